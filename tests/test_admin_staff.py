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
    admin = await _open(console, "admin")
    status, page, _ = await admin.get("/admin/staff")
    assert status == 200
    for text in ("姓名", "手机", "职位", "角色", "权限", "企业微信账号", "状态", "创建时间",
                 "李小梅", "钱经理", "13900000001", "办公室主任", "超级管理员", "全部权限", "lixiaomei", "在职"):
        assert text in page, text
    assert "服务情况、收款情况" in page  # short permission labels
    _, page, _ = await admin.get("/admin/staff", bound="no")  # the home page's link
    assert "新同事" in page and "李小梅" not in page and "发绑定码" in page
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
