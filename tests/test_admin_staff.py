"""员工管理 in the console (S3): the list, its filters and export, the add and edit forms with the role rules,
the permission grid, binding codes, and deactivation handing everything to a replacement, after which the
console, the sidebar and the bot all refuse the member."""
import io
import re

import openpyxl
import pytest

import models
from handlers.staff.rules import bind_with_code
from tests.conftest import run_sync, start_stack, stop_stack
from tests.console_client import open_console
from tests.factories import small_agency
from tests.sidebar_client import open_sidebar


def _agency():
    ids = small_agency()
    ids["qian"] = models.Staff.create(name="钱经理", role="admin", wecom_userid="qian", mobile="13900000001",
                                      position="办公室主任")
    ids["new"] = models.Staff.create(name="新同事", role="staff", mobile="13800000003", position="助理")
    return ids


@pytest.fixture
async def console(db_url, fake_server):
    stack = await start_stack(db_url, fake_server)
    for userid, name in (("qian", "钱经理"), ("zhao", "赵总")):
        stack.fake.add_member({"userid": userid, "name": name, "department": [1]})
    ids = await run_sync(stack, _agency)
    clients = []
    yield stack, ids, clients
    for client in clients:
        await client.close()
    await stop_stack(stack)


EMPTY_CSRF = 'name="_csrf" value=""'


async def _open(console, userid):
    stack, _, clients = console
    clients.append(await open_console(stack, userid))
    return clients[-1]


def _named(name):
    return models.Staff.get(models.Staff.name == name)


async def _audits(stack, action):
    return await run_sync(stack, lambda: list(models.AuditLog.select().where(models.AuditLog.action == action)
                                              .order_by(models.AuditLog.id)))


# ---- the list ---------------------------------------------------------------------------------------------

async def test_list_shows_every_column_and_filters(console):
    stack, ids, _ = console
    await run_sync(stack, lambda: models.Staff.update(permissions=["wecom.service", "knowledge.audit"])
                   .where(models.Staff.id == ids["wang"].id).execute())
    admin = await _open(console, "admin")
    status, page, _ = await admin.get("/admin/staff")
    assert status == 200
    for text in ("姓名", "手机", "职位", "角色", "权限", "企业微信账号", "状态", "创建时间",
                 "李小梅", "钱经理", "13900000001", "办公室主任", "超级管理员", "全部权限", "lixiaomei", "在职"):
        assert text in page, text
    assert "服务情况、审核知识库" in page and "企业微信全部 8 项" in page  # short permission labels
    _, page, _ = await admin.get("/admin/staff", bound="no")  # the home page's link
    assert "新同事" in page and "李小梅" not in page and "发绑定码" in page
    assert EMPTY_CSRF not in page  # every form carries the token, as a browser would post it
    _, page, _ = await admin.get("/admin/staff", q="139")
    assert "钱经理" in page and "李小梅" not in page
    _, page, _ = await admin.get("/admin/staff", role="admin")
    assert "钱经理" in page and "王刚" not in page


async def test_inactive_staff_are_listed_under_their_filter(console):
    stack, ids, _ = console
    await run_sync(stack, lambda: models.Staff.update(active=False).where(models.Staff.id == ids["wang"].id).execute())
    admin = await _open(console, "admin")
    _, page, _ = await admin.get("/admin/staff")
    assert "王刚" not in page
    _, page, _ = await admin.get("/admin/staff", status="inactive")
    assert "王刚" in page and "停用" in page and "李小梅" not in page
    _, page, _ = await admin.get("/admin/staff", status="all")
    assert "王刚" in page and "李小梅" in page


async def test_export_has_the_filtered_rows(console):
    admin = await _open(console, "admin")
    status, body, headers = await admin.get("/admin/staff/export.xlsx", role="staff", sort="name")
    assert status == 200 and "spreadsheetml" in headers["Content-Type"]
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows() if row[0].value]
    header = next(i for i, r in enumerate(rows) if r[0] == "姓名")
    assert rows[header][:8] == ["姓名", "手机", "职位", "角色", "权限", "企业微信账号", "状态", "创建时间"]
    names = {r[0]: r for r in rows[header + 1:]}
    assert set(names) == {"李小梅", "王刚", "新同事"}
    assert names["新同事"][5] == "未绑定" and names["李小梅"][5] == "lixiaomei" and names["李小梅"][6] == "在职"


async def test_members_without_admin_get_403(console):
    li = await _open(console, "lixiaomei")
    for path in ("/admin/staff", "/admin/staff/export.xlsx", "/admin/staff/permissions", "/admin/staff/new"):
        status, page, _ = await li.get(path)
        assert status == 403 and "没有权限" in page, path
    status, _, _ = await li.post("/admin/staff/new", {"name": "黑客", "role": "super_admin"})
    assert status == 403


# ---- add and edit -----------------------------------------------------------------------------------------

async def test_add_staff_then_issue_a_code_that_binds(console):
    stack, _, _ = console
    admin = await _open(console, "admin")
    status, _, headers = await admin.post("/admin/staff/new", {"name": "周会计", "mobile": "138 0000 0009",
                                                              "email": "zhou@example.com", "position": "会计",
                                                              "role": "staff"})
    assert status == 302
    zhou = await run_sync(stack, _named, "周会计")
    assert headers["Location"] == f"/admin/staff/{zhou.id}/edit"
    assert (zhou.mobile, zhou.role, zhou.permissions) == ("13800000009", "staff", [])
    log, = await _audits(stack, "staff.create")
    assert log.actor.name == "张总" and log.after["name"] == "周会计"
    status, page, _ = await admin.post(f"/admin/staff/{zhou.id}/code")
    assert status == 200 and "有效期至" in page and "只显示这一次" in page
    code = re.search(r'class="code-big">([A-Z0-9]{8})<', page).group(1)
    _, page, _ = await admin.get(f"/admin/staff/{zhou.id}/edit")
    assert code not in page
    bound = await run_sync(stack, lambda: bind_with_code("zhou", code, models.utcnow()))
    assert bound.id == zhou.id


async def test_bad_input_shows_field_errors_and_writes_nothing(console):
    stack, _, _ = console
    admin = await _open(console, "admin")
    before = await run_sync(stack, lambda: (models.Staff.select().count(), models.AuditLog.select().count()))
    for form, text in (({"name": "", "role": "staff"}, "请填写姓名"),
                       ({"name": "甲", "mobile": "12345", "role": "staff"}, "请填写 11 位手机号"),
                       ({"name": "甲", "mobile": "13800000003", "role": "staff"}, "已被其他员工使用"),
                       ({"name": "甲", "email": "x@", "role": "staff"}, "邮箱格式不正确")):
        status, page, _ = await admin.post("/admin/staff/new", form)
        assert status == 400 and text in page and 'class="field invalid"' in page, text
    after = await run_sync(stack, lambda: (models.Staff.select().count(), models.AuditLog.select().count()))
    assert after == before


async def test_an_admin_cannot_create_or_touch_a_super_admin(console):
    stack, ids, _ = console
    qian = await _open(console, "qian")
    _, page, _ = await qian.get("/admin/staff/new")
    assert 'value="super_admin"' not in page
    status, page, _ = await qian.post("/admin/staff/new", {"name": "冒充", "role": "super_admin"})
    assert status == 400 and "只有超级管理员可以添加超级管理员" in page
    status, page, _ = await qian.post(f"/admin/staff/{ids['admin'].id}/edit", {"name": "张总", "role": "staff"})
    assert status == 400 and "只有超级管理员" in page
    status, page, _ = await qian.post(f"/admin/staff/{ids['li'].id}/edit", {"name": "李小梅", "role": "super_admin"})
    assert status == 400 and "只有超级管理员可以设置或取消超级管理员" in page
    assert await run_sync(stack, lambda: models.Staff.select().where(models.Staff.role == "super_admin").count()) == 1


async def test_an_admin_edits_clerks_and_other_admins_fields_but_not_roles(console):
    stack, ids, _ = console
    qian = await _open(console, "qian")
    status, _, _ = await qian.post(f"/admin/staff/{ids['li'].id}/edit",
                                   {"name": "李小梅", "position": "主管会计", "role": "admin"})
    assert status == 302
    li = await run_sync(stack, models.Staff.get_by_id, ids["li"].id)
    assert (li.position, li.role) == ("主管会计", "admin")
    log, = await _audits(stack, "staff.update")
    assert log.before == {"position": "", "role": "staff"} and log.after == {"position": "主管会计", "role": "admin"}
    status, page, _ = await qian.post(f"/admin/staff/{ids['li'].id}/edit", {"name": "李小梅", "role": "staff"})
    assert status == 400 and "管理员不能修改其他管理员的角色" in page
    status, _, _ = await qian.post(f"/admin/staff/{ids['li'].id}/edit",
                                   {"name": "李小梅", "mobile": "13800000001", "role": "admin"})
    assert status == 302  # another admin's own fields are fine


async def test_nobody_raises_themselves(console):
    stack, ids, _ = console
    qian, admin = await _open(console, "qian"), await _open(console, "admin")
    _, page, _ = await qian.get(f"/admin/staff/{ids['qian'].id}/edit")
    assert "不能修改自己的角色" in page and '<select id="f-role"' not in page
    status, _, _ = await qian.post(f"/admin/staff/{ids['qian'].id}/edit", {"name": "钱主任", "role": "super_admin"})
    assert status == 302  # the name is saved, the posted role ignored
    me = await run_sync(stack, models.Staff.get_by_id, ids["qian"].id)
    assert (me.name, me.role) == ("钱主任", "admin")
    _, page, _ = await admin.get(f"/admin/staff/{ids['admin'].id}/deactivate")
    assert "不能停用自己" in page
    status, page, _ = await admin.post(f"/admin/staff/{ids['admin'].id}/deactivate", {})
    assert status == 400 and "不能停用自己" in page
    assert (await run_sync(stack, models.Staff.get_by_id, ids["admin"].id)).active


async def test_a_demoted_super_admin_loses_the_console_at_once(console):
    stack, ids, _ = console
    zhao = await run_sync(stack, lambda: models.Staff.create(name="赵总", role="super_admin", wecom_userid="zhao"))
    admin, other = await _open(console, "admin"), await _open(console, "zhao")
    status, _, _ = await admin.post(f"/admin/staff/{zhao.id}/edit", {"name": "赵总", "role": "staff"})
    assert status == 302
    status, _, headers = await other.get("/admin/staff")
    assert status == 302 and headers["Location"].startswith("/admin/login")  # the session was ended
    log, = await _audits(stack, "staff.update")
    assert log.before == {"role": "super_admin"} and log.after == {"role": "staff"}


# ---- the permission grid ------------------------------------------------------------------------------------

def _row(page: str, name: str) -> str:
    return next(row for row in page.split("<tr") if f"<td>{name}" in row)


async def test_grid_shows_every_permission_and_admins_greyed(console):
    admin = await _open(console, "admin")
    status, page, _ = await admin.get("/admin/staff/permissions")
    assert status == 200
    for label in ("关联微信联系人和客户群", "服务情况", "收款情况", "收票情况", "跟进情况", "报税情况", "报表情况",
                  "发票情况", "维护知识库", "审核知识库"):
        assert label in page, label
    row = _row(page, "钱经理")
    assert row.count("checked disabled") == len(models.PERMISSIONS) and "全部权限" in row
    li_row = _row(page, "李小梅")
    assert li_row.count("checked") == len(models.WECOM_PERMISSIONS) and "保存" in li_row
    assert EMPTY_CSRF not in page


async def test_saving_one_persons_permissions_is_audited(console):
    stack, ids, _ = console
    admin = await _open(console, "admin")
    await admin.get("/admin/staff/permissions")
    status, _, headers = await admin.post(f"/admin/staff/permissions/{ids['li'].id}",
                                          [("perm", "wecom.link"), ("perm", "knowledge.audit"),
                                           ("back", "/admin/staff/permissions?page=1")])
    assert status == 302 and headers["Location"] == "/admin/staff/permissions?page=1"
    li = await run_sync(stack, models.Staff.get_by_id, ids["li"].id)
    assert li.permissions == ["wecom.link", "knowledge.audit"]
    log, = await _audits(stack, "staff.permissions")
    assert log.before == {"permissions": models.WECOM_PERMISSIONS}
    assert log.after == {"permissions": ["wecom.link", "knowledge.audit"]} and log.actor.name == "张总"
    _, page, _ = await admin.get("/admin/staff/permissions")
    assert "已保存「李小梅」的权限" in page


async def test_bulk_grant_and_revoke(console):
    stack, ids, _ = console
    admin = await _open(console, "admin")
    await admin.get("/admin/staff/permissions")
    chosen = [("ids", str(ids[k].id)) for k in ("li", "wang", "new", "qian")]
    status, _, _ = await admin.post("/admin/staff/permissions/bulk", chosen + [("perm", "knowledge.maintain"),
                                                                               ("op", "grant")])
    assert status == 302
    _, page, _ = await admin.get("/admin/staff/permissions")
    assert "已为 3 人授予「维护知识库」权限" in page and "已拥有全部权限" in page
    people = await run_sync(stack, lambda: {s.name: s.permissions for s in models.Staff.select()})
    assert all("knowledge.maintain" in people[n] for n in ("李小梅", "王刚", "新同事"))
    assert people["钱经理"] == []
    await admin.post("/admin/staff/permissions/bulk", chosen[:2] + [("perm", "wecom.billing"), ("op", "revoke")])
    people = await run_sync(stack, lambda: {s.name: s.permissions for s in models.Staff.select()})
    assert "wecom.billing" not in people["李小梅"] and "wecom.billing" not in people["王刚"]
    logs = await _audits(stack, "staff.permissions")
    assert len(logs) == 5 and all(log.before != log.after for log in logs)


async def test_nobody_sets_their_own_permissions(console):
    stack, ids, _ = console
    qian = await _open(console, "qian")
    _, page, _ = await qian.get("/admin/staff/permissions")
    await qian.post(f"/admin/staff/permissions/{ids['qian'].id}", [("perm", "wecom.link")])
    _, page, _ = await qian.get("/admin/staff/permissions")
    assert "不能修改自己的权限" in page
    assert (await run_sync(stack, models.Staff.get_by_id, ids["qian"].id)).permissions == []
    assert await _audits(stack, "staff.permissions") == []


# ---- deactivation -------------------------------------------------------------------------------------------

def _queue(ids):
    """李小梅's reminders: one waiting, one in a digest not yet tried, one in a digest that may have been sent,
    one the replacement already has, and an admin summary."""
    Row, now = models.ReminderOutbox, models.utcnow()
    huaxia = ids["huaxia"]
    loose = Row.create(dedupe_key="service_expiry|c1|s1|lixiaomei", kind="service_expiry", client=huaxia,
                       recipient_userid="lixiaomei", payload={"client": "华夏科技", "recipient_name": "李小梅"})
    Row.create(dedupe_key="service_expiry|c1|s2|wanggang", kind="service_expiry", client=huaxia,
               recipient_userid="wanggang", payload={})
    twin = Row.create(dedupe_key="service_expiry|c1|s2|lixiaomei", kind="service_expiry", client=huaxia,
                      recipient_userid="lixiaomei", payload={})
    fresh = Row.create(dedupe_key="billing|c1|r1|lixiaomei", kind="billing", client=huaxia,
                       recipient_userid="lixiaomei", payload={}, wecom_msgid="digest:aaa")
    digest = Row.create(dedupe_key="digest|aaa", kind="digest", recipient_userid="lixiaomei",
                        payload={"kind": "billing", "items": [fresh.id], "message": {}}, next_attempt_at=now)
    doubt = Row.create(dedupe_key="billing|c2|r2|lixiaomei", kind="billing", client=huaxia,
                       recipient_userid="lixiaomei", payload={}, wecom_msgid="digest:bbb")
    tried = Row.create(dedupe_key="digest|bbb", kind="digest", recipient_userid="lixiaomei", maybe_sent_at=now,
                       payload={"kind": "billing", "items": [doubt.id], "message": {}}, next_attempt_at=now)
    return {"loose": loose.id, "twin": twin.id, "fresh": fresh.id, "digest": digest.id, "doubt": doubt.id,
            "tried": tried.id}


async def test_deactivation_needs_a_replacement_and_hands_everything_over(console):
    stack, ids, _ = console
    rows = await run_sync(stack, _queue, ids)
    admin, li = await _open(console, "admin"), await _open(console, "lixiaomei")
    status, page, _ = await admin.get(f"/admin/staff/{ids['li'].id}/deactivate")
    assert status == 200 and "data-confirm" in page and "请选择" in page and EMPTY_CSRF not in page
    assert re.search(r"作为客户经理负责的客户：<b>2</b>", page) and re.search(r"尚未发送的提醒：<b>3</b>", page)
    status, page, _ = await admin.post(f"/admin/staff/{ids['li'].id}/deactivate", {"replacement": ""})
    assert status == 400 and "请选择接替人" in page
    status, page, _ = await admin.post(f"/admin/staff/{ids['li'].id}/deactivate", {"replacement": ids["new"].id})
    assert status == 400 and "还没有绑定企业微信" in page
    assert (await run_sync(stack, models.Staff.get_by_id, ids["li"].id)).active  # nothing happened yet

    status, _, headers = await admin.post(f"/admin/staff/{ids['li'].id}/deactivate", {"replacement": ids["wang"].id})
    assert status == 302
    _, page, _ = await admin.get(headers["Location"])
    assert "已停用员工「李小梅」" in page and "2 个客户和 2 条待发提醒已转给「王刚」" in page

    def state():
        clients = {c.short_name: (c.manager_id, c.accountant_id) for c in models.Client.select()}
        out = {k: models.ReminderOutbox.get_by_id(v) for k, v in rows.items()}
        return models.Staff.get_by_id(ids["li"].id), clients, out
    gone, clients, out = await run_sync(stack, state)
    assert not gone.active and gone.wecom_userid == "lixiaomei"  # the binding is kept for a reactivation
    assert clients["华夏科技"] == (ids["wang"].id, None) and clients["华信建材"] == (ids["wang"].id, None)
    assert (out["loose"].recipient_userid, out["loose"].dedupe_key) == ("wanggang", "service_expiry|c1|s1|wanggang")
    assert out["loose"].payload["recipient_name"] == "王刚"
    assert out["twin"].state == "dropped"  # 王刚 already has that one
    assert out["digest"].state == "dropped" and out["fresh"].recipient_userid == "wanggang"
    assert out["fresh"].wecom_msgid is None and out["fresh"].state == "pending"
    assert out["tried"].state == "pending" and out["doubt"].recipient_userid == "lixiaomei"  # may have been sent
    log, = await _audits(stack, "staff.deactivate")
    assert log.actor.name == "张总" and log.after["replacement"] == "王刚" and log.after["sessions_ended"] == 1
    assert log.after["reminders"]["moved"] == 2 and log.after["reminders"]["duplicates"] == 1
    assert len(await _audits(stack, "client.reassign")) == 2
    status, _, headers = await li.get("/admin")
    assert status == 302 and headers["Location"].startswith("/admin/login")


async def test_a_member_without_work_is_deactivated_without_a_replacement_and_reactivated(console):
    stack, ids, _ = console
    admin = await _open(console, "admin")
    status, _, _ = await admin.post(f"/admin/staff/{ids['new'].id}/deactivate", {})
    assert status == 302
    assert not (await run_sync(stack, models.Staff.get_by_id, ids["new"].id)).active
    status, _, _ = await admin.post(f"/admin/staff/{ids['new'].id}/reactivate")
    assert status == 302
    assert (await run_sync(stack, models.Staff.get_by_id, ids["new"].id)).active
    assert [log.action for log in await _audits(stack, "staff.reactivate")] == ["staff.reactivate"]


async def test_an_admin_cannot_deactivate_another_admin(console):
    stack, ids, _ = console
    qian = await _open(console, "qian")
    await run_sync(stack, lambda: models.Staff.update(role="admin").where(models.Staff.id == ids["wang"].id).execute())
    _, page, _ = await qian.get(f"/admin/staff/{ids['wang'].id}/deactivate")
    assert "只有超级管理员可以停用管理员" in page and "<form method=\"post\" action=\"/admin/staff/" not in page
    status, page, _ = await qian.post(f"/admin/staff/{ids['wang'].id}/deactivate", {"replacement": ids["li"].id})
    assert status == 400 and "只有超级管理员可以停用管理员" in page


async def test_every_channel_refuses_a_deactivated_member_on_the_next_request(console):
    """The console, the sidebar API and a bot command, each within one request of the deactivation."""
    stack, ids, _ = console
    li_console = await _open(console, "lixiaomei")
    sidebar = await open_sidebar(stack, "lixiaomei", external_userid="wmHuaxiaBoss")
    try:
        path = f"/sidebar/api/clients/{ids['huaxia'].id}/services"
        assert (await sidebar.get(path))[0] == 200
        assert (await li_console.get("/admin"))[0] == 200
        before = await stack.driver.send_text("lixiaomei", "客户 华夏")
        assert "华夏科技" in before.reply["Content"] and "索取绑定码" not in before.reply["Content"]

        admin = await _open(console, "admin")
        status, _, _ = await admin.post(f"/admin/staff/{ids['li'].id}/deactivate", {"replacement": ids["wang"].id})
        assert status == 302

        status, _, headers = await li_console.get("/admin")
        assert status == 302 and headers["Location"].startswith("/admin/login")
        status, body = await sidebar.get(path)
        assert status == 403 and "尚未绑定员工账号" in body["error"]
        after = await stack.driver.send_text("lixiaomei", "客户 华夏")
        assert "请向管理员索取绑定码" in after.reply["Content"]
    finally:
        await sidebar.close()
