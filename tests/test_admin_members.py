"""企业微信成员 (S4) in the console: the members in the app's visible range with their binding, 匹配员工, 取消关联
and 发绑定码 (audited, refused when either side is already bound), and the member's own mobile self-match
through snsapi_privateinfo."""
import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

import models
from bot import keys
from handlers.staff.consent import safe_target
from handlers.staff.rules import bind_with_code
from tests.conftest import run_sync, start_stack, stop_stack
from tests.console_client import come_back, login_state, open_console
from tests.factories import small_agency
from tests.sidebar_client import signed_in_get

NEWBIE_MOBILE = "13800000003"  # SMALL_DIRECTORY's unbound member 'newbie'


@pytest.fixture
async def console(db_url, fake_server):
    stack = await start_stack(db_url, fake_server)
    ids = await run_sync(stack, small_agency)
    ids["zhao"] = await run_sync(stack, lambda: models.Staff.create(name="赵新", mobile=NEWBIE_MOBILE, position="助理"))
    yield stack, ids
    await stop_stack(stack)


@pytest.fixture
async def admin(console):
    stack, _ = console
    client = await open_console(stack, "admin")
    yield client
    await client.close()


def _jar():
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def refresh(stack, admin) -> str:
    """Press 刷新成员列表, let the background refresh finish, and return the list page."""
    status, _, headers = await admin.post("/admin/members/refresh")
    assert status == 302 and headers["Location"] == "/admin/members"
    await stack.app[keys.TASKS].drain(30)
    status, page, _ = await admin.get("/admin/members")
    assert status == 200
    return page


def rows(page: str) -> dict[str, str]:
    """userid -> the text of its table row."""
    found = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S):
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        if cells:
            found[cells[0].strip()] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
    return found


def audits(action: str) -> list[models.AuditLog]:
    return list(models.AuditLog.select().where(models.AuditLog.action == action).order_by(models.AuditLog.id))


def staff(staff_id: int) -> models.Staff:
    return models.Staff.get_by_id(staff_id)


# ---- the list -------------------------------------------------------------------------------------------

async def test_refresh_lists_members_with_their_binding(console, admin):
    stack, _ = console
    status, page, _ = await admin.get("/admin/members")
    assert status == 200 and "还没有成员数据" in page
    page = await refresh(stack, admin)
    listed = rows(page)
    assert set(listed) == {"admin", "lixiaomei", "wanggang", "newbie"}
    assert "已绑定 李小梅" in listed["lixiaomei"] and "未绑定" in listed["newbie"]
    assert "匹配员工" in listed["newbie"] and "取消关联" in listed["lixiaomei"]
    assert NEWBIE_MOBILE not in page  # a new app gets no mobile from user/get, and none is ever shown in full
    tokens = re.findall(r'name="_csrf" value="([^"]*)"', page)
    assert len(tokens) > 3 and set(tokens) == {admin.csrf}  # every form on the page can be submitted
    _, page, _ = await admin.get("/admin/members", bound="unbound")
    assert set(rows(page)) == {"newbie"}
    _, page, _ = await admin.get("/admin/members", bound="bound", q="王刚")
    assert set(rows(page)) == {"wanggang"}
    done = await run_sync(stack, audits, "staff.members_refresh")
    assert len(done) == 1 and done[0].after["total"] == 4 and done[0].actor.name == "张总"


async def test_the_list_works_when_user_get_hides_names(console, admin):
    stack, ids = console
    for member in stack.fake.directory["members"]:
        member.pop("name")
    await run_sync(stack, lambda: models.Staff.update(mobile="13800000001").where(models.Staff.id == ids["li"].id)
                   .execute())
    page = await refresh(stack, admin)
    listed = rows(page)
    assert set(listed) == {"admin", "lixiaomei", "wanggang", "newbie"}
    assert "李小梅" in listed["lixiaomei"] and "138****0001" in listed["lixiaomei"]  # from the staff account
    assert "企业微信未向本应用提供成员姓名和手机号" in page
    members = await run_sync(stack, lambda: {m.userid: m.name for m in models.WeComMember.select()})
    assert members == {"admin": "", "lixiaomei": "", "wanggang": "", "newbie": ""}


async def test_members_no_longer_listed_are_marked_out_of_range(console, admin):
    stack, _ = console
    await refresh(stack, admin)
    stack.fake.privacy.outside_range.add("newbie")
    page = await refresh(stack, admin)
    assert "不在可见范围" in rows(page)["newbie"] and "匹配员工" not in rows(page)["newbie"]


# ---- 匹配员工 / 取消关联 / 发绑定码 ------------------------------------------------------------------------

async def test_match_binds_the_member_and_is_audited(console, admin):
    stack, ids = console
    page = await refresh(stack, admin)
    assert f'<option value="{ids["zhao"].id}"' in rows(page)["newbie"] or "赵新" in page
    status, _, headers = await admin.post("/admin/members/match", {"userid": "newbie", "staff_id": ids["zhao"].id})
    assert status == 302
    _, page, _ = await admin.get("/admin/members")
    assert "已将企业微信成员 newbie 匹配到员工「赵新」" in page and "已绑定 赵新" in rows(page)["newbie"]
    zhao = await run_sync(stack, staff, ids["zhao"].id)
    assert zhao.wecom_userid == "newbie" and zhao.bound_at is not None
    bound = await run_sync(stack, audits, "staff.bind")
    assert len(bound) == 1 and bound[0].actor.name == "张总"
    assert bound[0].after == {"wecom_userid": "newbie", "via": "console"} and bound[0].entity_id == str(zhao.id)


async def test_match_is_refused_when_either_side_is_bound(console, admin):
    stack, ids = console
    await refresh(stack, admin)
    status, page, _ = await admin.post("/admin/members/match", {"userid": "newbie", "staff_id": ids["li"].id})
    assert status == 409 and "员工「李小梅」已绑定企业微信成员 lixiaomei" in page
    status, page, _ = await admin.post("/admin/members/match", {"userid": "wanggang", "staff_id": ids["zhao"].id})
    assert status == 409 and "企业微信成员 wanggang 已绑定员工「王刚」" in page
    status, page, _ = await admin.post("/admin/members/match", {"userid": "newbie", "staff_id": ""})
    assert status == 400 and "请选择" in page
    assert (await run_sync(stack, staff, ids["zhao"].id)).wecom_userid is None
    assert await run_sync(stack, audits, "staff.bind") == []


async def test_staff_members_may_not_use_the_page(console):
    stack, ids = console
    li = await open_console(stack, "lixiaomei")
    try:
        _, page, _ = await li.get("/admin")
        assert 'href="/admin/members"' not in page
        status, page, _ = await li.get("/admin/members")
        assert status == 403 and "没有权限" in page
        status, _, _ = await li.post("/admin/members/match", {"userid": "newbie", "staff_id": ids["zhao"].id})
        assert status == 403
        status, _, _ = await li.post("/admin/members/unbind", {"userid": "wanggang"})
        assert status == 403
        status, page, _ = await li.post("/admin/members/code", {"staff_id": ids["zhao"].id})
        assert status == 403 and "绑定码" not in page.replace("没有权限", "")
    finally:
        await li.close()
    assert (await run_sync(stack, staff, ids["wang"].id)).wecom_userid == "wanggang"
    assert (await run_sync(stack, staff, ids["zhao"].id)).wecom_userid is None
    assert await run_sync(stack, audits, "staff.binding_code") == []


async def test_unbind_locks_the_member_out_of_the_console_at_once(console, admin):
    stack, ids = console
    await refresh(stack, admin)
    wang = await open_console(stack, "wanggang")
    try:
        status, _, headers = await admin.post("/admin/members/unbind", {"userid": "wanggang"})
        assert status == 302
        _, page, _ = await admin.get("/admin/members")
        assert "已取消员工「王刚」与企业微信成员 wanggang 的关联" in page and "未绑定" in rows(page)["wanggang"]
        status, _, headers = await wang.get("/admin")
        assert status == 302 and headers["Location"].startswith("/admin/login")
    finally:
        await wang.close()
    assert (await run_sync(stack, staff, ids["wang"].id)).wecom_userid is None
    ended = await run_sync(stack, lambda: models.ConsoleSession.select().where(
        (models.ConsoleSession.staff == ids["wang"].id) & models.ConsoleSession.ended_at.is_null()).count())
    assert ended == 0
    unbound = await run_sync(stack, audits, "staff.unbind")
    assert len(unbound) == 1 and unbound[0].before == {"wecom_userid": "wanggang"} and unbound[0].actor.name == "张总"
    status, page, _ = await admin.post("/admin/members/unbind", {"userid": "wanggang"})
    assert status == 409 and "没有绑定员工账号" in page


async def test_binding_code_is_shown_once_and_works(console, admin):
    stack, ids = console
    await refresh(stack, admin)
    status, page, headers = await admin.post("/admin/members/code", {"staff_id": ids["zhao"].id})
    assert status == 200 and "员工「赵新」的绑定码" in page and headers["Cache-Control"] == "no-store"
    code = re.search(r'class="binding-code">([A-Z0-9]{8})<', page).group(1)
    issued = await run_sync(stack, audits, "staff.binding_code")
    assert len(issued) == 1 and issued[0].actor.name == "张总" and code not in str(issued[0].after)
    bound = await stack.app[keys.DB].atomic(bind_with_code, "newbie", code, models.utcnow())
    assert bound.id == ids["zhao"].id
    status, page, _ = await admin.post("/admin/members/code", {"staff_id": ids["li"].id})
    assert status == 409 and "已绑定" in page


# ---- the member's own mobile self-match (snsapi_privateinfo) ---------------------------------------------

MATCH = "/admin/match-mobile"


def match_next(page: str) -> str:
    """The 用手机号自动匹配员工账号 button's form: where it returns once bound."""
    form = re.search(r'<form method="get" action="/admin/match-mobile".*?</form>', page, re.S).group(0)
    assert "用手机号自动匹配员工账号" in form
    return html.unescape(re.search(r'name="next" value="([^"]*)"', form).group(1))


async def unbound_page(stack, session, userid: str = "newbie") -> str:
    state = await login_state(stack, session, "/admin/members")
    status, page, _ = await come_back(stack, session, stack.fake.issue_oauth_code(userid), state, "/admin/members")
    assert status == 403 and "尚未绑定员工账号" in page
    return page


async def consent(stack, session, page: str, userid: str = "newbie", agreed: bool = True):
    """Follow 用手机号自动匹配员工账号 through WeCom's consent and back: (status, text, headers)."""
    async with session.get(stack.url(MATCH), params={"next": match_next(page)}, allow_redirects=False) as r:
        assert r.status == 302
        oauth = parse_qs(urlsplit(r.headers["Location"]).query)
    assert oauth["scope"] == ["snsapi_privateinfo"] and oauth["agentid"] == [str(stack.app[keys.CONFIG].wecom.agent_id)]
    back = urlsplit(oauth["redirect_uri"][0])
    code = stack.fake.issue_oauth_code(userid, privateinfo=agreed)
    async with session.get(stack.url(back.path + "?" + back.query), params={"code": code, "state": oauth["state"][0]},
                           allow_redirects=False) as r:
        return r.status, await r.text(), r.headers


async def test_consented_mobile_binds_the_one_account_and_signs_in(console):
    stack, ids = console
    async with _jar() as session:
        page = await unbound_page(stack, session)
        status, _, headers = await consent(stack, session, page)
        assert status == 302 and headers["Location"] == "/admin/members"
        async with session.get(stack.url("/admin"), allow_redirects=False) as r:
            text = await r.text()
            assert r.status == 200 and "赵新" in text and "已通过手机号自动匹配到员工账号「赵新」" in text
    zhao = await run_sync(stack, staff, ids["zhao"].id)
    assert zhao.wecom_userid == "newbie"
    bound = await run_sync(stack, audits, "staff.bind")
    assert len(bound) == 1 and bound[0].actor_label == "newbie" and bound[0].after["via"] == "mobile"
    member = await run_sync(stack, models.WeComMember.get, models.WeComMember.userid == "newbie")
    assert member.consent_mobile == NEWBIE_MOBILE and member.consent_mobile_at is not None


@pytest.mark.parametrize("setup, told", [
    ("nobody", "没有手机号为 138****0003 的员工账号"),
    ("taken", "手机号为 138****0003 的员工账号已绑定其他企业微信成员"),
    ("several", "有 2 个员工账号使用手机号 138****0003"),
    ("declined", "没有获取到你的手机号"),
])
async def test_self_match_refuses_unless_exactly_one_free_account(console, setup, told):
    stack, ids = console

    def arrange():
        zhao = models.Staff.get_by_id(ids["zhao"].id)
        if setup == "nobody":
            zhao.mobile = "13999999999"
        elif setup == "taken":
            zhao.wecom_userid = "someone_else"
        elif setup == "several":
            models.Staff.create(name="赵新（旧）", mobile="+86 138 0000 0003")
        zhao.save()
    await run_sync(stack, arrange)
    async with _jar() as session:
        page = await unbound_page(stack, session)
        status, text, _ = await consent(stack, session, page, agreed=setup != "declined")
        assert status in (403, 409) and told in text and "管理员" in text
        assert "zf_console" not in {c.key for c in session.cookie_jar}
    assert await run_sync(stack, audits, "staff.bind") == []
    assert await run_sync(stack, lambda: models.Staff.select().where(models.Staff.wecom_userid == "newbie").count()) == 0


async def test_self_match_checks_the_state(console):
    stack, ids = console
    async with _jar() as victim, _jar() as attacker:
        page = await unbound_page(stack, attacker)
        async with attacker.get(stack.url(MATCH), params={"next": match_next(page)}, allow_redirects=False) as r:
            state = parse_qs(urlsplit(r.headers["Location"]).query)["state"][0]
        await login_state(stack, victim)
        code = stack.fake.issue_oauth_code("newbie", privateinfo=True)
        async with victim.get(stack.url("/admin/match-mobile/return"), params={"code": code, "state": state},
                              allow_redirects=False) as r:
            assert r.status == 403 and "校验失败" in await r.text()
    assert (await run_sync(stack, staff, ids["zhao"].id)).wecom_userid is None


async def test_sidebar_offers_the_self_match_and_comes_back_signed_in(console):
    stack, ids = console
    async with _jar() as session:
        status, page, _ = await signed_in_get(stack, session, "newbie")
        assert status == 403 and "尚未绑定员工账号" in page and "用手机号自动匹配员工账号" in page
        status, _, headers = await consent(stack, session, page)
        assert status == 302 and headers["Location"] == "/sidebar"
        assert "zf_console" not in {c.key for c in session.cookie_jar}  # the sidebar asked, not the console
        async with session.get(stack.url("/sidebar")) as r:
            assert r.status == 200 and "赵新" in await r.text()
    assert (await run_sync(stack, staff, ids["zhao"].id)).wecom_userid == "newbie"


async def test_a_failed_refresh_says_so_and_keeps_the_list(console, admin):
    stack, _ = console
    await refresh(stack, admin)
    stack.fake.inject("user/list_id", 60011)
    page = await refresh(stack, admin)
    assert "刷新失败（企业微信接口错误 60011）" in page and set(rows(page)) == {"admin", "lixiaomei", "wanggang", "newbie"}
    status, body, _ = await admin.get("/admin/members/refresh")
    assert status == 200 and "刷新失败" in json.loads(body)["text"] and json.loads(body)["running"] is False


def test_the_self_match_only_returns_to_our_own_pages():
    assert safe_target("/sidebar?chat=1") == "/sidebar?chat=1" and safe_target("/admin/audit") == "/admin/audit"
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil", "sidebar", "", "/admin/match-mobile?next=/x"):
        assert safe_target(bad) == "/admin", bad
