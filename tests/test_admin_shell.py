"""The console's shell: sign-in through the QR and the in-WeCom flows with the state checked, sessions that end on
sign-out, idle timeout and deactivation, CSRF on writes, and the menu showing only what a member may use."""
import re
from datetime import timedelta

import aiohttp
import pytest
import time_machine

import models
from bot import keys
from tests.conftest import run_sync, start_stack, stop_stack
from tests.console_client import come_back, login_state, open_console
from tests.factories import small_agency

WXWORK_UA = "Mozilla/5.0 (Windows NT 10.0) wxwork/4.1.30 MicroMessenger/7.0.1"


@pytest.fixture
async def console(db_url, fake_server):
    stack = await start_stack(db_url, fake_server)
    ids = await run_sync(stack, small_agency)
    yield stack, ids
    await stop_stack(stack)


def _jar():
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_signed_out_pages_send_to_login_and_back(console):
    stack, _ = console
    async with _jar() as session:
        async with session.get(stack.url("/admin/audit"), params={"actor": "1"}, allow_redirects=False) as r:
            assert r.status == 302 and r.headers["Location"].startswith("/admin/login?next=")
        state = await login_state(stack, session, "/admin/audit?actor=1")
        status, _, headers = await come_back(stack, session, stack.fake.issue_oauth_code("admin"), state,
                                             "/admin/audit?actor=1")
        assert status == 302 and headers["Location"] == "/admin/audit?actor=1"
        async with session.get(stack.url("/admin/audit")) as r:
            assert r.status == 200 and "操作日志" in await r.text()


async def test_qr_login_link_names_the_app_and_comes_back_to_us(console):
    stack, _ = console
    async with _jar() as session:
        async with session.get(stack.url("/admin/login")) as r:
            page = (await r.text()).replace("&amp;", "&")
    link = re.search(r'href="([^"]*login_type=CorpApp[^"]*)"', page).group(1)
    config = stack.app[keys.CONFIG]
    assert f"appid={config.wecom.corp_id}" in link and f"agentid={config.wecom.agent_id}" in link
    assert "redirect_uri=" in link and "%2Fadmin%2Flogin%2Freturn" in link and "state=" in link


async def test_inside_wecom_login_goes_straight_to_oauth(console):
    stack, _ = console
    async with _jar() as session:
        async with session.get(stack.url("/admin/login"), headers={"User-Agent": WXWORK_UA},
                               allow_redirects=False) as r:
            assert r.status == 302 and "scope=snsapi_base" in r.headers["Location"]
            assert "state=" in r.headers["Location"]


async def test_a_state_from_another_browser_or_none_is_refused(console):
    stack, _ = console
    async with _jar() as victim, _jar() as attacker:
        state = await login_state(stack, attacker)
        status, page, headers = await come_back(stack, victim, stack.fake.issue_oauth_code("admin"), state)
        assert status == 403 and "登录校验失败" in page and "zf_console" not in headers.get("Set-Cookie", "")
        await login_state(stack, victim)
        status, _, _ = await come_back(stack, victim, stack.fake.issue_oauth_code("admin"), "")
        assert status == 403


async def test_unbound_member_is_told_to_bind(console):
    stack, _ = console
    async with _jar() as session:
        state = await login_state(stack, session)
        status, page, _ = await come_back(stack, session, stack.fake.issue_oauth_code("newbie"), state)
        assert status == 403 and "绑定" in page


async def test_menu_shows_only_what_the_member_may_use(console):
    stack, _ = console
    admin, li = await open_console(stack, "admin"), await open_console(stack, "lixiaomei")
    try:
        _, page, _ = await admin.get("/admin")
        assert 'href="/admin/audit"' in page
        _, page, _ = await li.get("/admin")
        assert 'href="/admin/audit"' not in page and "李小梅" in page
        status, page, _ = await li.get("/admin/audit")
        assert status == 403 and "没有权限" in page
    finally:
        await admin.close()
        await li.close()


async def test_writes_need_the_pages_csrf_token(console):
    stack, _ = console
    admin = await open_console(stack, "admin")
    try:
        status, page, _ = await admin.post("/admin/logout", csrf="forged")
        assert status == 403 and "请求校验失败" in page
        status, _, _ = await admin.get("/admin")
        assert status == 200  # still signed in
    finally:
        await admin.close()


async def test_sign_out_ends_the_session_on_the_server(console):
    stack, _ = console
    admin = await open_console(stack, "admin")
    stolen = next(c.value for c in admin.session.cookie_jar if c.key == "zf_console")
    try:
        status, _, headers = await admin.post("/admin/logout")
        assert status == 302 and headers["Location"].startswith("/admin/login")
        async with _jar() as other:
            async with other.get(stack.url("/admin"), cookies={"zf_console": stolen}, allow_redirects=False) as r:
                assert r.status == 302 and r.headers["Location"].startswith("/admin/login")
    finally:
        await admin.close()


async def test_idle_session_ends(console):
    stack, _ = console
    admin = await open_console(stack, "admin")
    idle = stack.app[keys.CONFIG].admin.idle_timeout
    try:
        with time_machine.travel(models.utcnow() + timedelta(seconds=idle + 5), tick=False):
            status, _, headers = await admin.get("/admin")
        assert status == 302 and headers["Location"].startswith("/admin/login")
    finally:
        await admin.close()


async def test_deactivated_member_is_refused_on_the_next_request(console):
    stack, ids = console
    li = await open_console(stack, "lixiaomei")
    try:
        await run_sync(stack, lambda: models.Staff.update(active=False).where(models.Staff.id == ids["li"].id)
                       .execute())
        status, _, headers = await li.get("/admin")
        assert status == 302 and headers["Location"].startswith("/admin/login")
        async with _jar() as session:  # and cannot sign in again
            state = await login_state(stack, session)
            status, page, _ = await come_back(stack, session, stack.fake.issue_oauth_code("lixiaomei"), state)
            assert status == 403
    finally:
        await li.close()


async def test_next_never_leaves_the_console(console):
    stack, _ = console
    async with _jar() as session:
        for target in ("https://evil.example/admin", "//evil.example/admin", "/sidebar", "/admin\\@evil"):
            state = await login_state(stack, session, target)
            status, _, headers = await come_back(stack, session, stack.fake.issue_oauth_code("admin"), state,
                                                 target)
            assert status == 302 and headers["Location"] == "/admin", target
