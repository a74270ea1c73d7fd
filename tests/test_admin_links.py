"""微信联系人 and 客户群 in the console (L1, L2, L4, L5): what each member sees, filters and search, linking through
the sidebar's rules (same link, same audit, same refusals), starting a sync and watching it, and the exports."""
import io
import json

import pytest
from openpyxl import load_workbook

import models
from bot import keys
from tests.conftest import run_sync, start_stack, stop_stack
from tests.console_client import open_console
from tests.factories import small_agency


def _more_contacts():
    """A contact nobody linked yet, followed by 王刚 with a tag, and a group owned by 王刚."""
    wang_contact = models.ExternalContact.create(external_userid="wmNewLead", name="=HYPERLINK(1)",
                                                 corp_name="新星商贸")
    models.FollowRelation.create(contact=wang_contact, userid="wanggang", remark="新客户",
                                 tags=[{"group_name": "客户等级", "tag_name": "重要", "tag_id": "etVIP", "type": 1}])
    models.CustomerGroup.create(chat_id="wrJinchengGroup", name="锦程贸易对接群", owner_userid="wanggang")


OPEN = []


@pytest.fixture
async def console(db_url, fake_server):
    stack = await start_stack(db_url, fake_server)
    ids = await run_sync(stack, small_agency)
    await run_sync(stack, _more_contacts)
    yield stack, ids
    while OPEN:
        await OPEN.pop().close()
    await stop_stack(stack)


async def _as(stack, userid):
    """A signed-in console, closed when the test ends (pass or fail)."""
    client = await open_console(stack, userid)
    OPEN.append(client)
    return client


def _contact_id(external_userid):
    return models.ExternalContact.get(models.ExternalContact.external_userid == external_userid).id


def _group_id(chat_id):
    return models.CustomerGroup.get(models.CustomerGroup.chat_id == chat_id).id


async def test_staff_see_the_contacts_they_follow_admins_see_all(console):
    stack, _ = console
    li = await _as(stack, "lixiaomei")
    status, page, _ = await li.get("/admin/contacts")
    assert status == 200 and "陈总" in page and "华夏陈总" in page and "杭州华夏科技有限公司" in page
    assert "刘出纳" not in page and "新星商贸" not in page and "全部" not in page.split("<h1>")[1][:400]
    admin = await _as(stack, "admin")
    status, page, _ = await admin.get("/admin/contacts")
    assert "陈总" in page and "刘出纳" in page and "新星商贸" in page and "李小梅" in page
    assert "同步微信联系人</button>" in page and 'name="_csrf" value=""' not in page
    _, mine, _ = await admin.get("/admin/contacts", scope="mine")
    assert "陈总" not in mine and "还没有微信联系人" not in mine


async def test_contact_filters_and_search_change_the_list(console):
    stack, _ = console
    admin = await _as(stack, "admin")
    _, page, _ = await admin.get("/admin/contacts", linked="no")
    assert "新星商贸" in page and "陈总" not in page
    _, page, _ = await admin.get("/admin/contacts", linked="yes")
    assert "新星商贸" not in page and "陈总" in page and "刘出纳" in page
    _, page, _ = await admin.get("/admin/contacts", tag="etVIP")
    assert "新星商贸" in page and "重要" in page and "陈总" not in page
    _, page, _ = await admin.get("/admin/contacts", follower="lixiaomei")
    assert "陈总" in page and "刘出纳" not in page
    _, page, _ = await admin.get("/admin/contacts", q="新客户")  # the follower's remark
    assert "新星商贸" in page and "陈总" not in page
    _, page, _ = await admin.get("/admin/contacts", q="锦程")  # the corp name
    assert "刘出纳" in page and "陈总" not in page
    _, page, _ = await admin.get("/admin/contacts", sort="-added")
    assert page.count("<tr>") >= 4


async def test_groups_show_owned_or_joined_groups_to_staff_and_all_to_admins(console):
    stack, _ = console
    li = await _as(stack, "lixiaomei")
    _, page, _ = await li.get("/admin/groups")
    assert "华夏科技服务群" in page and "锦程贸易对接群" not in page and "杭州华夏科技有限公司" in page
    wang = await _as(stack, "wanggang")
    _, page, _ = await wang.get("/admin/groups")
    assert "锦程贸易对接群" in page and "华夏科技服务群" not in page
    admin = await _as(stack, "admin")
    _, page, _ = await admin.get("/admin/groups")
    assert "锦程贸易对接群" in page and "华夏科技服务群" in page
    _, page, _ = await admin.get("/admin/groups", linked="no")
    assert "锦程贸易对接群" in page and "华夏科技服务群" not in page
    _, page, _ = await admin.get("/admin/groups", q="华夏")
    assert "华夏科技服务群" in page and "锦程贸易对接群" not in page
    _, page, _ = await admin.get("/admin/groups", owner="wanggang")
    assert "锦程贸易对接群" in page and "华夏科技服务群" not in page


def _links(model, column, chat):
    return sorted(cid for (cid,) in model.select(model.client).where(column == chat).tuples())


def _audits(action):
    return [(a.actor.name if a.actor else None, a.after or a.before)
            for a in models.AuditLog.select().where(models.AuditLog.action == action).order_by(models.AuditLog.id)]


async def test_linking_a_contact_from_the_console_writes_the_sidebars_link_and_audit(console):
    stack, ids = console
    li = await _as(stack, "lixiaomei")
    boss = await run_sync(stack, _contact_id, "wmHuaxiaBoss")
    status, page, _ = await li.get(f"/admin/contacts/{boss}/links", q="华信")
    assert status == 200 and "杭州华信建材有限公司" in page and 'checked> 杭州华夏科技有限公司' in page
    assert 'name="_csrf" value=""' not in page  # a browser posts the form's own token
    status, _, headers = await li.post(f"/admin/contacts/{boss}/links",
                                       [("client", str(ids["huaxia"].id)), ("client", str(ids["huaxin"].id))])
    assert status == 302
    status, page, _ = await li.get(headers["Location"])
    assert "新关联 1 个客户" in page
    links = await run_sync(stack, _links, models.ContactClientLink, models.ContactClientLink.contact, boss)
    assert links == sorted([ids["huaxia"].id, ids["huaxin"].id])
    audits = await run_sync(stack, _audits, "link_single")
    assert audits == [("李小梅", {"chat": "wmHuaxiaBoss", "client": ids["huaxin"].id})]
    # Unticking a client unlinks it, with the sidebar's unlink entry.
    await li.post(f"/admin/contacts/{boss}/links", {"client": str(ids["huaxin"].id)})
    links = await run_sync(stack, _links, models.ContactClientLink, models.ContactClientLink.contact, boss)
    assert links == [ids["huaxin"].id]
    assert await run_sync(stack, _audits, "unlink_single") == [("李小梅", {"chat": "wmHuaxiaBoss",
                                                                            "client": ids["huaxia"].id})]


async def test_linking_a_client_the_member_cannot_see_is_refused_and_writes_nothing(console):
    stack, ids = console
    li = await _as(stack, "lixiaomei")
    boss = await run_sync(stack, _contact_id, "wmHuaxiaBoss")
    status, page, _ = await li.get(f"/admin/contacts/{boss}/links", q="锦程")
    assert "上海锦程贸易有限公司" not in page and "没有找到你可以关联的客户" in page
    before = await run_sync(stack, lambda: models.AuditLog.select().count())
    status, page, _ = await li.post(f"/admin/contacts/{boss}/links",
                                    [("client", str(ids["huaxin"].id)), ("client", str(ids["jincheng"].id))])
    assert status == 403 and "你无权关联这个客户" in page and "没有保存任何修改" in page
    links = await run_sync(stack, _links, models.ContactClientLink, models.ContactClientLink.contact, boss)
    assert links == [ids["huaxia"].id]
    assert await run_sync(stack, lambda: models.AuditLog.select().count()) == before
    # A contact the member does not follow cannot be opened at all.
    cashier = await run_sync(stack, _contact_id, "wmJinchengCashier")
    status, _, _ = await li.get(f"/admin/contacts/{cashier}/links")
    assert status == 404


async def test_linking_a_group_and_a_member_without_the_right(console):
    stack, ids = console
    group = await run_sync(stack, _group_id, "wrJinchengGroup")
    admin = await _as(stack, "admin")
    status, _, _ = await admin.post(f"/admin/groups/{group}/links", {"client": str(ids["jincheng"].id)})
    assert status == 302
    links = await run_sync(stack, _links, models.GroupClientLink, models.GroupClientLink.group, group)
    assert links == [ids["jincheng"].id]
    assert await run_sync(stack, _audits, "link_group") == [("张总", {"chat": "wrJinchengGroup",
                                                                       "client": ids["jincheng"].id})]
    await run_sync(stack, lambda: models.Staff.update(permissions=[]).where(models.Staff.wecom_userid == "wanggang")
                   .execute())
    wang = await _as(stack, "wanggang")
    status, page, _ = await wang.get("/admin/groups")
    assert status == 200 and "修改关联" not in page and "同步客户群</button>" not in page
    status, _, _ = await wang.post(f"/admin/groups/{group}/links", {"client": ""})
    assert status == 403
    links = await run_sync(stack, _links, models.GroupClientLink, models.GroupClientLink.group, group)
    assert links == [ids["jincheng"].id]


async def test_sync_starts_refuses_a_second_and_reports_progress(console):
    stack, _ = console
    admin = await _as(stack, "admin")
    answer = json.loads((await admin.get("/admin/sync/contacts/progress"))[1])
    assert answer == {"text": "还没有同步过客户联系人。", "running": False}
    status, _, headers = await admin.post("/admin/sync/contacts")
    assert status == 302 and headers["Location"] == "/admin/contacts"
    await stack.app[keys.TASKS].drain(30)
    status, page, _ = await admin.get("/admin/contacts")
    assert "已开始同步客户联系人" in page
    answer = json.loads((await admin.get("/admin/sync/contacts/progress"))[1])
    assert answer["running"] is False and "上次同步客户联系人完成于" in answer["text"]
    assert await run_sync(stack, _audits, "wecom.sync")
    # A run still beating: the console refuses with the bot's words and the progress says it runs.
    now = stack.app[keys.CLOCK]()
    await run_sync(stack, lambda: models.SyncRun.create(kind="groups", state="running", started_at=now,
                                                        heartbeat_at=now, cursor={"items": 7}))
    _, _, headers = await admin.post("/admin/sync/groups")
    _, page, _ = await admin.get(headers["Location"])
    assert "已有同步正在进行" in page and "正在同步客户群" in page
    answer = json.loads((await admin.get("/admin/sync/groups/progress"))[1])
    assert answer["running"] is True and "已处理 7 条" in answer["text"]
    assert await run_sync(stack, lambda: models.SyncRun.select().where(models.SyncRun.kind == "groups").count()) == 1


async def test_exports_hold_the_filtered_rows_and_neutralise_formulas(console):
    stack, _ = console
    admin = await _as(stack, "admin")
    status, body, headers = await admin.get("/admin/contacts/export.xlsx", linked="no")
    assert status == 200 and "spreadsheetml" in headers["Content-Type"]
    sheet = load_workbook(io.BytesIO(body)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["名称", "企业", "跟进成员"] and len(rows) == 2
    name = sheet["A2"]  # text shown as written, never evaluated
    assert name.value == "=HYPERLINK(1)" and name.data_type == "s" and name.quotePrefix
    assert rows[1][1] == "新星商贸" and rows[1][2] == "王刚（新客户）" and rows[1][3] == "重要"
    status, body, _ = await admin.get("/admin/groups/export.xlsx", q="华夏")
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(body)).active.iter_rows()]
    assert len(rows) == 2 and rows[1][0] == "华夏科技服务群" and rows[1][4] == "杭州华夏科技有限公司"
    li = await _as(stack, "lixiaomei")
    _, body, _ = await li.get("/admin/contacts/export.xlsx")
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(body)).active.iter_rows()]
    assert [r[0] for r in rows[1:]] == ["陈总"]
