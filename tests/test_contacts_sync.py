"""Full sync (L1, L2): contacts and groups from the sandbox, vanishing, resume after a crash, refusal, 同步 and CLI."""
from __future__ import annotations

import asyncio
import copy
import datetime as dt
import io

import pytest

import models
from bot import keys
from bot.cli import main as cli_main
from bot.sandbox.synthetic import synthetic_directory
from handlers.access import visible_clients
from handlers.contacts import runs
from handlers.contacts.cli import sync_from_cli
from handlers.contacts.sync import SyncEnv
from handlers.contacts.sync import run_sync as full_sync
from tests.conftest import SMALL_DIRECTORY, make_config, run_sync, start_stack, stop_stack


def use_directory(fake, **sizes) -> dict:
    """Put a synthetic directory in the fake (plus the small one's members, who can receive messages)."""
    directory = synthetic_directory(**sizes)
    directory["members"] += copy.deepcopy(SMALL_DIRECTORY["members"])
    fake.directory = directory
    return directory


def env_of(stack, wecom=None, **kw) -> SyncEnv:
    return SyncEnv(stack.app[keys.DB], wecom or stack.app[keys.WECOM], **kw)


def expected(directory) -> dict:
    """What the database should hold after a complete sync of ``directory``."""
    return {"contacts": {c["external_userid"]: c["name"] for c in directory["contacts"]},
            "relations": {(c["external_userid"], f["userid"]): (f["remark"], [t["tag_name"] for t in f["tags"]])
                          for c in directory["contacts"] for f in c["follow_users"]},
            "groups": {g["chat_id"]: g["name"] for g in directory["groups"]},
            "members": {(g["chat_id"], m["userid"]) for g in directory["groups"] for m in g["member_list"]}}


def live_state() -> dict:
    """The same view read from the database: live rows only (vanished, deleted and left rows are out)."""
    contacts = {c.external_userid: c.name for c in
                models.ExternalContact.select().where(models.ExternalContact.vanished_at.is_null())}
    relations = {(eid, r.userid): (r.remark, [t["tag_name"] for t in r.tags]) for r, eid in
                 ((r, r.contact.external_userid) for r in models.FollowRelation.select(
                     models.FollowRelation, models.ExternalContact).join(models.ExternalContact)
                  .where(models.FollowRelation.deleted_at.is_null()))}
    groups = {g.chat_id: g.name for g in
              models.CustomerGroup.select().where(models.CustomerGroup.vanished_at.is_null())}
    members = {(m.group.chat_id, m.member_id) for m in models.GroupMember.select(models.GroupMember,
               models.CustomerGroup).join(models.CustomerGroup).where(models.GroupMember.left_at.is_null())}
    return {"contacts": contacts, "relations": relations, "groups": groups, "members": members}


def last_write() -> tuple:
    """The newest updated_at of each synced table: unchanged means nothing was written."""
    return tuple(m.select(m.updated_at).order_by(m.updated_at.desc()).scalar()
                 for m in (models.ExternalContact, models.FollowRelation, models.CustomerGroup))


CHANGES = ("contacts_added", "contacts_updated", "contacts_vanished", "contacts_restored", "relations_added",
           "relations_updated", "relations_removed", "groups_added", "groups_updated", "groups_vanished",
           "members_added", "members_updated", "members_left")


def changes(*outcomes) -> dict:
    return {k: v for o in outcomes for k, v in o.counts.items() if k in CHANGES and v}


class FailingWeCom:
    """The real client, except that ``method`` fails from its (after+1)-th call on: a crash mid-sync."""

    def __init__(self, real, method: str, after: int):
        self.real, self.method, self.after, self.calls = real, method, after, 0

    def __getattr__(self, name):
        if name != self.method:
            return getattr(self.real, name)

        async def call(*args, **kwargs):
            self.calls += 1
            if self.calls > self.after:
                raise RuntimeError("simulated crash")
            return await getattr(self.real, name)(*args, **kwargs)
        return call


# ---- a small synthetic corp: every behaviour, fast ---------------------------------------------------

SMALL = {"members": 5, "contacts": 330, "groups": 60}


async def test_full_sync_stores_what_wecom_has(stack):
    directory = use_directory(stack.fake, **SMALL)
    contacts = await full_sync(env_of(stack), "contacts")
    groups = await full_sync(env_of(stack), "groups")
    want = expected(directory)
    assert await run_sync(stack, live_state) == want
    assert contacts.counts["contacts_added"] == len(want["contacts"]) == contacts.counts["contacts_seen"]
    assert contacts.counts["relations_added"] == len(want["relations"])
    assert groups.counts["groups_added"] == len(want["groups"])
    assert groups.counts["members_added"] == len(want["members"])
    pages = stack.fake.calls_to("batch/get_by_user")
    assert len(pages) == -(-len(want["relations"]) // 100)
    assert all(len(c.body["userid_list"]) <= 100 and c.body["limit"] == 100 for c in pages)
    assert len(stack.fake.calls_to("groupchat/get")) == len(want["groups"])


async def test_second_run_changes_nothing(stack):
    use_directory(stack.fake, **SMALL)
    await full_sync(env_of(stack), "contacts")
    await full_sync(env_of(stack), "groups")
    before = await run_sync(stack, last_write)
    again = [await full_sync(env_of(stack), "contacts"), await full_sync(env_of(stack), "groups")]
    assert changes(*again) == {}
    assert await run_sync(stack, last_write) == before


async def test_tag_names_survive_a_sync_that_lists_tag_ids_only(stack):
    directory = use_directory(stack.fake, **SMALL)
    await full_sync(env_of(stack), "contacts")
    relation = directory["contacts"][0]["follow_users"][0]
    stored = await run_sync(stack, lambda: models.FollowRelation.get(userid=relation["userid"]).tags)
    assert [t["tag_name"] for t in stored] == [t["tag_name"] for t in relation["tags"]]


def _link_first_contacts_and_groups(n: int) -> None:
    client = models.Client.create(name="同步测试客户有限公司", short_name="同步测试")
    for contact in models.ExternalContact.select().order_by(models.ExternalContact.id).limit(n):
        models.ContactClientLink.create(contact=contact, client=client)
    for group in models.CustomerGroup.select().order_by(models.CustomerGroup.id).limit(n):
        models.GroupClientLink.create(group=group, client=client)


def _link_counts() -> tuple[int, int]:
    return models.ContactClientLink.select().count(), models.GroupClientLink.select().count()


async def test_vanished_rows_are_marked_links_survive_and_a_return_unmarks_them(stack):
    directory = use_directory(stack.fake, **SMALL)
    env = env_of(stack)
    await full_sync(env, "contacts")
    await full_sync(env, "groups")
    await run_sync(stack, _link_first_contacts_and_groups, 3)
    gone_contact = copy.deepcopy(directory["contacts"][0])
    gone_group = copy.deepcopy(directory["groups"][0])
    stack.fake.remove_contact(gone_contact["external_userid"])
    stack.fake.remove_group(gone_group["chat_id"])
    contacts = await full_sync(env, "contacts")
    groups = await full_sync(env, "groups")
    assert contacts.counts["contacts_vanished"] == 1 and groups.counts["groups_vanished"] == 1
    assert contacts.counts["relations_removed"] == len(gone_contact["follow_users"])
    assert await run_sync(stack, live_state) == expected(stack.fake.directory)
    assert await run_sync(stack, _link_counts) == (3, 3)
    stack.fake.add_contact(gone_contact)
    stack.fake.add_group(gone_group)
    contacts = await full_sync(env, "contacts")
    groups = await full_sync(env, "groups")
    assert contacts.counts["contacts_restored"] == 1 and groups.counts["groups_restored"] == 1
    assert await run_sync(stack, live_state) == expected(stack.fake.directory)
    assert await run_sync(stack, _link_counts) == (3, 3)


def _sees(userid: str, client_name: str) -> bool:
    staff = models.Staff.get(models.Staff.wecom_userid == userid)
    return visible_clients(staff).where(models.Client.name == client_name).exists()


async def test_staff_see_their_own_synced_contacts_and_admins_see_all(stack):
    directory = use_directory(stack.fake, **SMALL)
    contact = next(c for c in directory["contacts"] if [f["userid"] for f in c["follow_users"]] == ["syn001"])

    def setup():
        models.Staff.create(name="员工001", wecom_userid="syn001")
        models.Staff.create(name="员工002", wecom_userid="syn002")
        models.Staff.create(name="张总", role="admin", wecom_userid="admin")
    await run_sync(stack, setup)
    await full_sync(env_of(stack), "contacts")

    def link():
        client = models.Client.create(name="联系人关联客户有限公司")
        models.ContactClientLink.create(contact=models.ExternalContact.get(external_userid=contact["external_userid"]),
                                        client=client)
    await run_sync(stack, link)
    assert await run_sync(stack, _sees, "syn001", "联系人关联客户有限公司")
    assert not await run_sync(stack, _sees, "syn002", "联系人关联客户有限公司")
    assert await run_sync(stack, _sees, "admin", "联系人关联客户有限公司")
    stack.fake.remove_follow(contact["external_userid"], "syn001")
    await full_sync(env_of(stack), "contacts")
    assert not await run_sync(stack, _sees, "syn001", "联系人关联客户有限公司")
    assert await run_sync(stack, _sees, "admin", "联系人关联客户有限公司")


async def test_crash_mid_contacts_resumes_from_the_cursor_with_the_same_result(stack):
    directory = use_directory(stack.fake, **SMALL)
    pages = -(-sum(len(c["follow_users"]) for c in directory["contacts"]) // 100)
    crashing = FailingWeCom(stack.app[keys.WECOM], "batch_get_by_user", after=2)
    with pytest.raises(RuntimeError, match="simulated crash"):
        await full_sync(env_of(stack, crashing), "contacts")
    failed = await run_sync(stack, lambda: models.SyncRun.get(kind="contacts"))
    assert failed.state == "failed" and failed.cursor["chunk"] == 0 and failed.cursor["cursor"]
    assert len(stack.fake.calls_to("batch/get_by_user")) == 2
    resumed = await full_sync(env_of(stack), "contacts")
    assert resumed.resumed
    assert len(stack.fake.calls_to("batch/get_by_user")) == pages  # no page fetched twice
    assert await run_sync(stack, lambda: live_state()["relations"]) == expected(directory)["relations"]
    assert resumed.counts["contacts_added"] == len(directory["contacts"]) == resumed.counts["contacts_seen"]
    assert resumed.counts.get("contacts_vanished", 0) == 0


async def test_crash_mid_groups_resumes_where_it_stopped(stack):
    directory = use_directory(stack.fake, **SMALL)
    crashing = FailingWeCom(stack.app[keys.WECOM], "groupchat_get", after=55)
    with pytest.raises(RuntimeError):
        await full_sync(env_of(stack, crashing), "groups")
    outcome = await full_sync(env_of(stack), "groups")
    assert outcome.resumed and outcome.counts["groups_added"] == len(directory["groups"])
    assert await run_sync(stack, lambda: live_state()["members"]) == expected(directory)["members"]
    fetched = [c.body["chat_id"] for c in stack.fake.calls_to("groupchat/get")]
    assert len(fetched) - len(set(fetched)) <= 5  # only the batch in flight at the crash is fetched again


def _as_if_the_process_died(minutes_ago: float) -> None:
    """What a killed process leaves behind: its run still 'running', the heartbeat frozen."""
    beat = models.utcnow() - dt.timedelta(minutes=minutes_ago)
    models.SyncRun.update(state="running", heartbeat_at=beat, finished_at=None).execute()


async def test_a_running_sync_refuses_a_second_and_a_dead_one_is_taken_over(stack):
    directory = use_directory(stack.fake, **SMALL)
    with pytest.raises(RuntimeError):
        await full_sync(env_of(stack, FailingWeCom(stack.app[keys.WECOM], "batch_get_by_user", 1)), "contacts")
    await run_sync(stack, _as_if_the_process_died, 0.5)
    with pytest.raises(runs.SyncBusy):
        await full_sync(env_of(stack), "contacts")
    await run_sync(stack, _as_if_the_process_died, 3)
    outcome = await full_sync(env_of(stack), "contacts")
    assert outcome.resumed and outcome.counts["contacts_added"] == len(directory["contacts"])
    rows = await run_sync(stack, lambda: [(r.id, r.state) for r in models.SyncRun.select()])
    assert rows == [(outcome.run_id, "done")]


async def test_two_syncs_started_together_one_is_refused(stack):
    use_directory(stack.fake, **SMALL)
    stack.fake.config.latency = 0.005  # so the first is still running when the second asks
    results = await asyncio.gather(full_sync(env_of(stack), "groups"), full_sync(env_of(stack), "groups"),
                                   return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["SyncBusy", "SyncOutcome"]


def test_a_taken_over_run_stops_writing(database):
    now = models.utcnow()
    first = runs.claim("groups", now)
    later = now + runs.STALE_AFTER + dt.timedelta(seconds=1)
    second = runs.claim("groups", later)
    assert second.id == first.id and second.resumed
    with pytest.raises(runs.SyncLost):
        with models.db.atomic():
            runs.save(first, later)
    runs.fail(first, later, "too late")  # the loser cannot fail the winner's run either
    assert models.SyncRun.get_by_id(first.id).state == "running"


def test_a_cursor_that_keeps_failing_is_given_up_after_a_few_resumes(database):
    now = models.utcnow()
    for attempt in range(runs.MAX_RESUMES + 1):
        run = runs.claim("contacts", now)
        assert run.resumed == (attempt > 0) and run.cursor["resumes"] == attempt
        run.cursor.update(chunk=0, cursor="a-cursor-wecom-no-longer-takes")
        with models.db.atomic():
            runs.save(run, now)
        runs.fail(run, now, "WeComError")
    fresh = runs.claim("contacts", now)
    assert not fresh.resumed and "cursor" not in fresh.cursor


class InFlight:
    """Counts groupchat/get calls in flight at once."""

    def __init__(self, real):
        self.real, self.now, self.peak = real, 0, 0

    def __getattr__(self, name):
        return getattr(self.real, name)

    async def groupchat_get(self, *args, **kwargs):
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            return await self.real.groupchat_get(*args, **kwargs)
        finally:
            self.now -= 1


async def test_group_details_are_fetched_at_most_five_at_a_time(stack):
    use_directory(stack.fake, **SMALL)
    stack.fake.config.latency = 0.002
    probe = InFlight(stack.app[keys.WECOM])
    await full_sync(env_of(stack, probe), "groups")
    assert 1 < probe.peak <= 5


# ---- 同步 over the real callback path, and the CLI ------------------------------------------------------

@pytest.fixture
async def late_stack(db_url, fake_server):
    stack = await start_stack(db_url, fake_server, reply_deadline=0.2)
    await run_sync(stack, lambda: (models.Staff.create(name="张总", role="admin", wecom_userid="admin"),
                                   models.Staff.create(name="李小梅", wecom_userid="lixiaomei")))
    yield stack
    await stop_stack(stack)


async def _texts(stack, userid, count):
    for _ in range(1500):
        texts = [m.content["content"] for m in stack.fake.messages_for(userid)]
        if len(texts) >= count:
            return texts
        await asyncio.sleep(0.02)
    return [m.content["content"] for m in stack.fake.messages_for(userid)]


async def test_sync_command_answers_at_once_and_sends_the_summary_when_done(late_stack):
    use_directory(late_stack.fake, **SMALL)
    late_stack.fake.config.latency = 0.05  # the sync (about 20 calls in a row) outlasts the 0.2 s reply deadline
    delivery = await late_stack.driver.send_text("admin", "同步")
    assert (delivery.status, delivery.body) == (200, "")
    texts = await _texts(late_stack, "admin", 2)
    assert texts[0].startswith("已开始同步客户联系人和客户群")
    assert "客户 330 位，新增 330" in texts[1] and "客户群 60 个，新增 60" in texts[1]
    audit = await run_sync(late_stack, lambda: [a.action for a in models.AuditLog.select()])
    assert audit == ["wecom.sync", "wecom.sync"]


@pytest.mark.slow
async def test_sync_command_past_the_real_three_second_deadline(db_url, fake_server):
    stack = await start_stack(db_url, fake_server)  # config default: reply_deadline 3.0 (WeCom gives up at 5)
    try:
        await run_sync(stack, lambda: models.Staff.create(name="张总", role="admin", wecom_userid="admin"))
        use_directory(stack.fake, **SMALL)
        stack.fake.config.latency = 0.2  # about 20 calls in a row: the sync takes over 4 s
        delivery = await stack.driver.send_text("admin", "同步")
        assert (delivery.status, delivery.body) == (200, "")
        texts = await _texts(stack, "admin", 2)
        assert texts[0].startswith("已开始同步") and "客户群 60 个，新增 60" in texts[1]
    finally:
        await stop_stack(stack)


async def test_sync_command_is_refused_while_a_sync_runs(late_stack):
    await run_sync(late_stack, runs.claim, "contacts", models.utcnow())
    delivery = await late_stack.driver.send_text("admin", "同步 联系人")
    assert "已有同步正在进行（开始于" in delivery.reply["Content"] and "请稍后" in delivery.reply["Content"]
    assert late_stack.fake.calls_to("batch/get_by_user") == []


async def test_sync_command_is_for_admins_only(late_stack):
    delivery = await late_stack.driver.send_text("lixiaomei", "同步")
    assert "仅限管理员" in delivery.reply["Content"]
    assert late_stack.fake.calls_to("get_follow_user_list") == []


async def test_sync_command_explains_its_scopes(late_stack):
    delivery = await late_stack.driver.send_text("admin", "同步 发票")
    assert "同步 联系人" in delivery.reply["Content"] and "同步 客户群" in delivery.reply["Content"]


async def test_cli_sync_draws_progress_and_prints_the_summary(db_url, fake_server):
    fake, api_base = fake_server
    use_directory(fake, **SMALL)
    out = io.StringIO()
    assert await sync_from_cli(make_config(db_url, api_base), ["contacts", "groups"], out) == 0
    text = out.getvalue()
    assert "\r客户联系人 已处理" in text and "\r客户群 [" in text and "60/60" in text
    assert "客户 330 位" in text and "客户群 60 个" in text


def test_cli_sync_without_wecom_settings_says_what_is_missing(monkeypatch, capsys):
    for var in ("WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_AES_KEY"):
        monkeypatch.delenv(var, raising=False)
    assert cli_main(["sync", "contacts"]) == 2
    assert "wecom.corp_id" in capsys.readouterr().err


# ---- the acceptance corp: 20,000 contacts over 50 staff, 2,000 groups ------------------------------------

@pytest.mark.slow
async def test_twenty_thousand_contacts_and_two_thousand_groups(stack):
    directory = use_directory(stack.fake)
    want = expected(directory)
    env = env_of(stack)
    with pytest.raises(RuntimeError):  # a crash after 40 pages ...
        await full_sync(env_of(stack, FailingWeCom(stack.app[keys.WECOM], "batch_get_by_user", 40)), "contacts")
    contacts = await full_sync(env, "contacts")  # ... resumed from the cursor
    groups = await full_sync(env, "groups")
    assert contacts.resumed and contacts.counts["contacts_added"] == 20_000
    assert groups.counts["groups_added"] == 2_000
    assert len(stack.fake.calls_to("batch/get_by_user")) == -(-len(want["relations"]) // 100)
    assert await run_sync(stack, live_state) == want
    await run_sync(stack, _link_first_contacts_and_groups, 50)
    gone = directory["contacts"][:10]
    for c in gone:
        stack.fake.remove_contact(c["external_userid"])
    again = [await full_sync(env, "contacts"), await full_sync(env, "groups")]
    assert changes(*again) == {"contacts_vanished": 10,
                               "relations_removed": sum(len(c["follow_users"]) for c in gone)}
    assert await run_sync(stack, _link_counts) == (50, 50)
    before = await run_sync(stack, last_write)
    assert changes(await full_sync(env, "contacts"), await full_sync(env, "groups")) == {}
    assert await run_sync(stack, last_write) == before
