"""Live sync (L3): 客户联系 events through the real callback path, each ChangeType, replays and API errors."""
from __future__ import annotations

import time

import pytest

import models
from bot.edge.callback import build_context
from bot.edge.crypto import parse_xml
from bot.edge.messages import parse_message
from bot.sandbox.driver import event_xml
from bot.sandbox.fake.state import member_version
from handlers.access import visible_clients
from handlers.contacts import events as contacts
from tests.conftest import CORP_ID, run_sync
from tests.factories import small_agency

TAGS = {"vip": {"group_name": "客户等级", "tag_name": "重点客户", "tag_id": "etVip", "type": 1},
        "boss": {"group_name": "角色", "tag_name": "老板", "tag_id": "etBoss", "type": 1}}


@pytest.fixture
async def agency(stack):
    stack.data = await run_sync(stack, small_agency)
    return stack


def new_contact(external_userid="wmNewBoss", userid="lixiaomei", **follow):
    relation = {"userid": userid, "remark": "新客户赵总", "description": "介绍来的", "createtime": 1_710_000_000,
                "tags": [TAGS["vip"]], "state": "channel-7", "add_way": 3, **follow}
    return {"external_userid": external_userid, "name": "赵总", "type": 2, "corp_name": "宏图商贸", "gender": 1,
            "unionid": "", "avatar": "", "follow_users": [relation]}


async def contact_event(stack, change_type, external_userid, userid="lixiaomei", **extra):
    fields = {"ChangeType": change_type, "UserID": userid, "ExternalUserID": external_userid, **extra}
    delivery = await stack.driver.send_event("sys", "change_external_contact", fields, with_agent=False)
    assert (delivery.status, delivery.body) == (200, "")


async def chat_event(stack, change_type, chat_id, **extra):
    fields = {"ChatId": chat_id, "ChangeType": change_type, **extra}
    delivery = await stack.driver.send_event("sys", "change_external_chat", fields, with_agent=False)
    assert (delivery.status, delivery.body) == (200, "")


def relation(external_userid, userid):
    return (models.FollowRelation.select().join(models.ExternalContact)
            .where((models.ExternalContact.external_userid == external_userid)
                   & (models.FollowRelation.userid == userid)).first())


def contact_state(external_userid):
    """What a user would see of a contact: its fields and every follow relation, without timestamps of writes."""
    contact = models.ExternalContact.get_or_none(models.ExternalContact.external_userid == external_userid)
    if contact is None:
        return None
    follows = sorted((r.userid, r.remark, r.description, r.tags, r.state, r.add_way, r.followed_at, r.deleted_at)
                     for r in contact.follows)
    return (contact.name, contact.corp_name, contact.type, contact.vanished_at, follows, contact.updated_at)


def audit_actions():
    return [(a.action, a.after) for a in models.AuditLog.select().order_by(models.AuditLog.id)]


def event_message(event, fields):
    plaintext = event_xml(CORP_ID, "sys", event, fields)
    return parse_message(parse_xml(plaintext), plaintext)


# ---- change_external_contact -------------------------------------------------------------------------

async def test_added_customer_is_fetched_and_stored_with_its_relation(agency):
    agency.fake.add_contact(new_contact())
    await contact_event(agency, "add_external_contact", "wmNewBoss", State="channel-7", WelcomeCode="wc1")
    rel = await run_sync(agency, relation, "wmNewBoss", "lixiaomei")
    assert rel.contact.name == "赵总" and rel.contact.corp_name == "宏图商贸" and rel.contact.type == 2
    assert (rel.remark, rel.description, rel.state, rel.add_way) == ("新客户赵总", "介绍来的", "channel-7", 3)
    assert rel.tags == [TAGS["vip"]]
    assert rel.followed_at.timestamp() == 1_710_000_000 and rel.deleted_at is None
    assert len(agency.fake.calls_to("externalcontact/get")) == 1


async def test_replayed_event_is_fetched_once_and_changes_nothing_the_second_time(agency):
    agency.fake.add_contact(new_contact())
    plaintext = event_xml(CORP_ID, "sys", "change_external_contact",
                          {"ChangeType": "add_external_contact", "UserID": "lixiaomei",
                           "ExternalUserID": "wmNewBoss"}, create_time=int(time.time()))
    for _ in range(4):  # WeCom's three retries, each re-encrypted
        assert (await agency.driver.post(plaintext)).status == 200
    assert len(agency.fake.calls_to("externalcontact/get")) == 1
    assert (await run_sync(agency, relation, "wmNewBoss", "lixiaomei")).remark == "新客户赵总"


async def test_the_same_change_applied_twice_leaves_the_same_state(agency):
    agency.fake.add_contact(new_contact())
    ctx = build_context(agency.app, "sys", None)
    msg = event_message("change_external_contact", {"ChangeType": "add_external_contact", "UserID": "lixiaomei",
                                                    "ExternalUserID": "wmNewBoss"})
    await contacts.contact_changed(msg, ctx)
    first = await run_sync(agency, contact_state, "wmNewBoss")
    await contacts.contact_changed(msg, ctx)
    assert await run_sync(agency, contact_state, "wmNewBoss") == first  # updated_at included: nothing written


async def test_edit_updates_remark_description_and_tags(agency):
    agency.fake.set_follow("wmHuaxiaBoss", "lixiaomei", remark="陈总（老板）", description="年底续约",
                           tags=[TAGS["vip"], TAGS["boss"]])
    await contact_event(agency, "edit_external_contact", "wmHuaxiaBoss")
    rel = await run_sync(agency, relation, "wmHuaxiaBoss", "lixiaomei")
    assert (rel.remark, rel.description) == ("陈总（老板）", "年底续约")
    assert [t["tag_name"] for t in rel.tags] == ["重点客户", "老板"]


async def test_half_added_customer_is_stored(agency):
    agency.fake.add_contact(new_contact("wmHalf", remark=""))
    await contact_event(agency, "add_half_external_contact", "wmHalf", State="qr")
    assert (await run_sync(agency, relation, "wmHalf", "lixiaomei")).deleted_at is None


async def test_every_follower_is_paged_in_with_the_cursor(agency):
    contact = new_contact("wmPopular")
    contact["follow_users"] = [{"userid": f"m{i:03d}", "remark": "", "createtime": 1_700_000_000 + i, "tags": []}
                               for i in range(620)]
    agency.fake.add_contact(contact)
    await contact_event(agency, "add_external_contact", "wmPopular", userid="m000")
    count = await run_sync(agency, lambda: models.FollowRelation.select().join(models.ExternalContact).where(
        models.ExternalContact.external_userid == "wmPopular").count())
    assert count == 620
    calls = agency.fake.calls_to("externalcontact/get")
    assert len(calls) == 2 and calls[1].query.get("cursor")


async def _only_linked_client(stack):
    """A client 李小梅 sees only because she follows 陈总 (who is linked to it)."""
    def make():
        client = models.Client.create(name="宁波远航物流有限公司", short_name="远航物流")
        boss = models.ExternalContact.get(models.ExternalContact.external_userid == "wmHuaxiaBoss")
        models.ContactClientLink.create(contact=boss, client=client)
        return client
    return await run_sync(stack, make)


def _li_sees(client_id):
    li = models.Staff.get(models.Staff.wecom_userid == "lixiaomei")
    return visible_clients(li).where(models.Client.id == client_id).exists()


@pytest.mark.parametrize("change_type, source, action", [
    ("del_external_contact", "", "wecom.follow_deleted_by_member"),
    ("del_external_contact", "DELETE_BY_TRANSFER", "wecom.follow_transferred"),
    ("del_follow_user", "", "wecom.follow_deleted_by_customer"),
])
async def test_deleted_relation_is_soft_deleted_and_the_client_link_stays(agency, change_type, source, action):
    client = await _only_linked_client(agency)
    assert await run_sync(agency, _li_sees, client.id)
    agency.fake.remove_follow("wmHuaxiaBoss", "lixiaomei")
    await contact_event(agency, change_type, "wmHuaxiaBoss", **({"Source": source} if source else {}))
    rel = await run_sync(agency, relation, "wmHuaxiaBoss", "lixiaomei")
    assert rel is not None and rel.deleted_at is not None
    assert rel.contact.vanished_at is None
    assert await run_sync(agency, lambda: models.ContactClientLink.select().where(
        models.ContactClientLink.client == client.id).count()) == 1
    assert not await run_sync(agency, _li_sees, client.id)
    actions = await run_sync(agency, audit_actions)
    assert [a for a, _ in actions] == [action]
    assert actions[0][1]["source"] == source


async def test_deleting_twice_notes_once(agency):
    ctx = build_context(agency.app, "sys", None)
    msg = event_message("change_external_contact", {"ChangeType": "del_follow_user", "UserID": "lixiaomei",
                                                    "ExternalUserID": "wmHuaxiaBoss"})
    await contacts.follow_removed(msg, ctx)
    first = await run_sync(agency, contact_state, "wmHuaxiaBoss")
    await contacts.follow_removed(msg, ctx)
    assert await run_sync(agency, contact_state, "wmHuaxiaBoss") == first
    assert len(await run_sync(agency, audit_actions)) == 1


async def test_transfer_failure_is_noted_once_and_relations_stay(agency):
    before = await run_sync(agency, contact_state, "wmHuaxiaBoss")
    ctx = build_context(agency.app, "sys", None)
    msg = event_message("change_external_contact", {"ChangeType": "transfer_fail", "UserID": "wanggang",
                                                    "ExternalUserID": "wmHuaxiaBoss", "FailReason": "customer_refused"})
    await contacts.transfer_failed(msg, ctx)
    await contacts.transfer_failed(msg, ctx)
    assert await run_sync(agency, contact_state, "wmHuaxiaBoss") == before
    notes = await run_sync(agency, audit_actions)
    assert len(notes) == 1 and notes[0][0] == "wecom.transfer_failed"
    assert notes[0][1]["fail_reason"] == "customer_refused" and notes[0][1]["takeover_userid"] == "wanggang"


async def test_event_for_an_unknown_contact_fetches_it_first(agency):
    agency.fake.add_contact(new_contact("wmStranger", userid="wanggang"))
    agency.fake.set_follow("wmStranger", "lixiaomei", remark="李的客户")
    await contact_event(agency, "del_follow_user", "wmStranger", userid="lixiaomei")
    assert (await run_sync(agency, relation, "wmStranger", "wanggang")).deleted_at is None
    assert (await run_sync(agency, relation, "wmStranger", "lixiaomei")).deleted_at is not None


async def test_no_relationship_any_more_is_handled(agency):
    agency.fake.remove_follow("wmHuaxiaBoss", "lixiaomei")  # externalcontact/get now answers 84061
    await contact_event(agency, "edit_external_contact", "wmHuaxiaBoss")
    assert agency.fake.calls_to("externalcontact/get")[-1].errcode == 84061
    assert (await run_sync(agency, relation, "wmHuaxiaBoss", "lixiaomei")).deleted_at is not None


async def test_an_api_failure_is_noted_and_changes_nothing(agency):
    before = await run_sync(agency, contact_state, "wmHuaxiaBoss")
    agency.fake.inject("externalcontact/get", 48001)
    await contact_event(agency, "edit_external_contact", "wmHuaxiaBoss")
    assert await run_sync(agency, contact_state, "wmHuaxiaBoss") == before
    notes = await run_sync(agency, audit_actions)
    assert notes == [("wecom.live_sync_failed",
                      {"event": "edit_external_contact", "path": "externalcontact/get", "errcode": 48001})]


# ---- change_external_chat ----------------------------------------------------------------------------

def group_state(chat_id):
    group = models.CustomerGroup.get_or_none(models.CustomerGroup.chat_id == chat_id)
    if group is None:
        return None
    members = {m.member_id: (m.member_type, m.name, m.left_at is None) for m in group.members}
    return {"name": group.name, "owner": group.owner_userid, "notice": group.notice, "version": group.member_version,
            "dismissed": group.dismissed_at is not None, "members": members, "updated_at": group.updated_at}


def fake_group(chat_id="wrNewGroup", owner="lixiaomei"):
    return {"chat_id": chat_id, "name": "宏图商贸服务群", "owner": owner, "create_time": 1_710_000_000,
            "notice": "工作日回复", "admin_list": [{"userid": "wanggang"}], "member_list": [
                {"userid": owner, "type": 1, "join_time": 1_710_000_000, "join_scene": 1, "name": "李小梅"},
                {"userid": "wmNewBoss", "type": 2, "join_time": 1_710_000_100, "join_scene": 3,
                 "invitor": {"userid": owner}, "name": "赵总"}]}


async def test_created_group_is_fetched_with_members(agency):
    agency.fake.add_group(fake_group())
    await chat_event(agency, "create", "wrNewGroup")
    state = await run_sync(agency, group_state, "wrNewGroup")
    assert (state["name"], state["owner"], state["notice"]) == ("宏图商贸服务群", "lixiaomei", "工作日回复")
    assert state["members"] == {"lixiaomei": (1, "李小梅", True), "wmNewBoss": (2, "赵总", True)}
    assert state["version"] == member_version(agency.fake.group("wrNewGroup"))


async def _synced_group(stack):
    stack.fake.add_group(fake_group())
    await chat_event(stack, "create", "wrNewGroup")
    return agency_group(stack)


def agency_group(stack):
    return stack.fake.group("wrNewGroup")


async def test_member_added_is_fetched(agency):
    group = await _synced_group(agency)
    old = member_version(group)
    group["member_list"].append({"userid": "wmJinchengCashier", "type": 2, "join_time": 1_710_000_500,
                                 "join_scene": 2, "invitor": {"userid": "lixiaomei"}, "name": "刘出纳"})
    await chat_event(agency, "update", "wrNewGroup", UpdateDetail="add_member", JoinScene=0, MemChangeCnt=1,
                     MemChangeList=["wmJinchengCashier"], LastMemVer=old, CurMemVer=member_version(group))
    members = (await run_sync(agency, group_state, "wrNewGroup"))["members"]
    assert members["wmJinchengCashier"] == (2, "刘出纳", True)
    assert len(agency.fake.calls_to("groupchat/get")) == 2


async def test_member_left_with_matching_version_needs_no_fetch(agency):
    group = await _synced_group(agency)
    old = member_version(group)
    group["member_list"] = group["member_list"][:1]
    await chat_event(agency, "update", "wrNewGroup", UpdateDetail="del_member", QuitScene=0, MemChangeCnt=1,
                     MemChangeList=["wmNewBoss"], LastMemVer=old, CurMemVer=member_version(group))
    state = await run_sync(agency, group_state, "wrNewGroup")
    assert state["members"]["wmNewBoss"][2] is False and state["members"]["lixiaomei"][2] is True
    assert state["version"] == member_version(group)
    assert len(agency.fake.calls_to("groupchat/get")) == 1  # only the create


async def test_member_left_with_a_version_gap_refetches_everything(agency):
    group = await _synced_group(agency)
    group["member_list"] = group["member_list"][:1]
    await chat_event(agency, "update", "wrNewGroup", UpdateDetail="del_member", QuitScene=1, MemChangeCnt=1,
                     MemChangeList=["wmNewBoss"], LastMemVer="some-version-we-never-saw", CurMemVer="v9")
    state = await run_sync(agency, group_state, "wrNewGroup")
    assert state["members"]["wmNewBoss"][2] is False
    assert state["version"] == member_version(group)  # the fetched version, not the event's
    assert len(agency.fake.calls_to("groupchat/get")) == 2


async def test_member_left_applied_twice_leaves_the_same_state(agency):
    group = await _synced_group(agency)
    old = member_version(group)
    group["member_list"] = group["member_list"][:1]
    msg = event_message("change_external_chat", {
        "ChatId": "wrNewGroup", "ChangeType": "update", "UpdateDetail": "del_member", "MemChangeCnt": 1,
        "MemChangeList": ["wmNewBoss"], "LastMemVer": old, "CurMemVer": member_version(group)})
    ctx = build_context(agency.app, "sys", None)
    await contacts.group_changed(msg, ctx)
    first = await run_sync(agency, group_state, "wrNewGroup")
    await contacts.group_changed(msg, ctx)  # our version moved on: a full re-fetch that finds nothing new
    assert await run_sync(agency, group_state, "wrNewGroup") == first


@pytest.mark.parametrize("detail, change, expect", [
    ("change_owner", {"owner": "wanggang"}, ("owner", "wanggang")),
    ("change_name", {"name": "宏图商贸VIP群"}, ("name", "宏图商贸VIP群")),
    ("change_notice", {"notice": "春节期间暂停回复"}, ("notice", "春节期间暂停回复")),
])
async def test_owner_name_and_notice_changes_are_fetched(agency, detail, change, expect):
    group = await _synced_group(agency)
    group.update(change)
    await chat_event(agency, "update", "wrNewGroup", UpdateDetail=detail)
    assert (await run_sync(agency, group_state, "wrNewGroup"))[expect[0]] == expect[1]


async def test_update_for_an_unknown_group_fetches_it(agency):
    agency.fake.add_group(fake_group("wrUnseen"))
    await chat_event(agency, "update", "wrUnseen", UpdateDetail="change_name")
    assert (await run_sync(agency, group_state, "wrUnseen"))["name"] == "宏图商贸服务群"


async def test_dismissed_group_is_marked_and_keeps_its_links(agency):
    agency.fake.remove_group("wrHuaxiaGroup")
    await chat_event(agency, "dismiss", "wrHuaxiaGroup")
    state = await run_sync(agency, group_state, "wrHuaxiaGroup")
    assert state["dismissed"] and state["members"]
    assert await run_sync(agency, lambda: models.GroupClientLink.select().count()) == 1
    ctx = build_context(agency.app, "sys", None)
    await contacts.group_dismissed(event_message("change_external_chat",
                                                 {"ChatId": "wrHuaxiaGroup", "ChangeType": "dismiss"}), ctx)
    assert await run_sync(agency, group_state, "wrHuaxiaGroup") == state
    assert agency.fake.calls_to("groupchat/get") == []


async def test_group_that_cannot_be_fetched_is_noted(agency):
    await chat_event(agency, "update", "wrGhost", UpdateDetail="change_name")
    assert await run_sync(agency, group_state, "wrGhost") is None
    assert [a for a, _ in await run_sync(agency, audit_actions)] == ["wecom.live_sync_failed"]


# ---- change_external_tag -----------------------------------------------------------------------------

async def _tagged(stack):
    stack.fake.set_follow("wmHuaxiaBoss", "lixiaomei", tags=[TAGS["vip"], TAGS["boss"]])
    stack.fake.set_follow("wmJinchengCashier", "wanggang", tags=[TAGS["vip"]])
    await contact_event(stack, "edit_external_contact", "wmHuaxiaBoss")
    await contact_event(stack, "edit_external_contact", "wmJinchengCashier", userid="wanggang")


def tags_of(external_userid, userid):
    return [t["tag_name"] or t["tag_id"] for t in relation(external_userid, userid).tags]


async def tag_event(stack, change_type, tag_id, tag_type="tag"):
    fields = {"Id": tag_id, "TagType": tag_type, "ChangeType": change_type}
    assert (await stack.driver.send_event("sys", "change_external_tag", fields, with_agent=False)).status == 200


async def test_deleted_tag_is_removed_from_every_relation(agency):
    await _tagged(agency)
    await tag_event(agency, "delete", "etVip")
    assert await run_sync(agency, tags_of, "wmHuaxiaBoss", "lixiaomei") == ["老板"]
    assert await run_sync(agency, tags_of, "wmJinchengCashier", "wanggang") == []


async def test_renamed_tag_is_read_back_and_applied_everywhere(agency):
    await _tagged(agency)
    renamed = {**TAGS["vip"], "tag_name": "核心客户"}
    agency.fake.set_follow("wmHuaxiaBoss", "lixiaomei", tags=[renamed, TAGS["boss"]])
    agency.fake.set_follow("wmJinchengCashier", "wanggang", tags=[renamed])
    await tag_event(agency, "update", "etVip")
    assert await run_sync(agency, tags_of, "wmHuaxiaBoss", "lixiaomei") == ["核心客户", "老板"]
    assert await run_sync(agency, tags_of, "wmJinchengCashier", "wanggang") == ["核心客户"]
    assert len(agency.fake.calls_to("externalcontact/get")) == 3  # two edits, then one read for the new name


@pytest.mark.parametrize("change_type, tag_type", [("create", "tag"), ("shuffle", "tag_group"),
                                                   ("delete", "tag_group"), ("update", "tag_group")])
async def test_tag_events_without_a_stored_effect_change_nothing(agency, change_type, tag_type):
    await _tagged(agency)
    before = await run_sync(agency, contact_state, "wmHuaxiaBoss")
    await tag_event(agency, change_type, "etVip" if tag_type == "tag" else "etgGroup", tag_type)
    assert await run_sync(agency, contact_state, "wmHuaxiaBoss") == before
