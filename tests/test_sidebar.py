"""The sidebar skeleton over HTTP: OAuth sign-in, signed session, JS-SDK signatures, the clients behind a chat."""
import asyncio
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest

from handlers.sidebar.page import js_signature
from tests.conftest import run_sync
from tests.sidebar_client import signed_in_get
from tests.factories import small_agency


def test_js_signature_matches_the_documented_vector():
    ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
    assert js_signature(ticket, "Wm3WZYTPz0wzccnW", "1414587457",
                        "http://mp.weixin.qq.com?params=value#fragment") == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"


async def _sign_in(stack, userid: str) -> aiohttp.ClientSession:
    """Follow the OAuth dance as WeCom's webview would, returning a session holding the cookie."""
    jar = aiohttp.CookieJar(unsafe=True)
    session = aiohttp.ClientSession(cookie_jar=jar)
    status, _, headers = await signed_in_get(stack, session, userid, follow=False)
    assert status == 302
    assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Lax" in headers["Set-Cookie"]
    return session


@pytest.fixture
async def agency(stack):
    await run_sync(stack, small_agency)
    return stack


async def test_without_a_session_the_page_sends_the_member_to_oauth(agency):
    async with agency.http.get(agency.url("/sidebar?external_userid=wmX"), allow_redirects=False) as r:
        assert r.status == 302
        target = urlparse(r.headers["Location"])
        assert "redirect_uri=http%3A%2F%2F" in r.headers["Location"]  # kept encoded for WeCom
    query = parse_qs(target.query)
    assert query["scope"] == ["snsapi_base"] and query["agentid"] == ["1000002"]
    assert query["redirect_uri"][0].endswith("/sidebar?external_userid=wmX")
    assert target.fragment == "wechat_redirect"


async def test_signed_in_staff_member_gets_the_page(agency):
    session = await _sign_in(agency, "lixiaomei")
    async with session:
        async with session.get(agency.url("/sidebar")) as r:
            body = await r.text()
    assert r.status == 200 and "李小梅" in body and "wecom-jssdk" in body


async def test_a_used_oauth_code_is_refused(agency):
    code = agency.fake.issue_oauth_code("lixiaomei")
    for expected in (302, 403):  # the second time from another browser, with a valid state of its own
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            status, text, _ = await signed_in_get(agency, session, "lixiaomei", follow=False, code=code)
        assert status == expected
    assert "重新打开" in text


async def test_unbound_member_sees_the_binding_step(agency):
    session = await _sign_in(agency, "newbie")
    async with session:
        async with session.get(agency.url("/sidebar")) as r:
            body = await r.text()
    assert "尚未绑定员工账号" in body and "管理员" in body


async def _context(session, stack, **query):
    async with session.get(stack.url("/sidebar/api/context"), params=query) as r:
        return r.status, await r.json()


async def test_contact_followed_by_the_member_shows_its_linked_clients(agency):
    async with await _sign_in(agency, "lixiaomei") as session:
        status, body = await _context(session, agency, external_userid="wmHuaxiaBoss")
    assert status == 200
    assert body["chat"]["name"] == "陈总"
    assert [c["name"] for c in body["clients"]] == ["杭州华夏科技有限公司"]


async def test_group_the_member_owns_shows_its_linked_clients(agency):
    async with await _sign_in(agency, "lixiaomei") as session:
        status, body = await _context(session, agency, chat_id="wrHuaxiaGroup")
    assert status == 200 and body["clients"][0]["short_name"] == "华夏科技"


async def test_another_members_contact_or_group_is_forbidden(agency):
    async with await _sign_in(agency, "wanggang") as session:
        assert (await _context(session, agency, external_userid="wmHuaxiaBoss"))[0] == 403
        assert (await _context(session, agency, chat_id="wrHuaxiaGroup"))[0] == 403
        status, body = await _context(session, agency, external_userid="wmJinchengCashier")
        assert status == 200 and body["clients"][0]["name"] == "上海锦程贸易有限公司"


async def test_admin_may_open_any_chat(agency):
    async with await _sign_in(agency, "admin") as session:
        assert (await _context(session, agency, external_userid="wmHuaxiaBoss"))[0] == 200


async def test_bad_requests_get_a_reason(agency):
    async with await _sign_in(agency, "lixiaomei") as session:
        status, body = await _context(session, agency)
        assert status == 400 and "external_userid" in body["error"]
        status, body = await _context(session, agency, external_userid="wmNobody")
        assert status == 404 and "同步" in body["error"]


async def test_api_without_or_with_a_forged_session_is_401(agency):
    status, _ = await _context(agency.http, agency, external_userid="wmHuaxiaBoss")
    assert status == 401
    forged = aiohttp.ClientSession(cookies={"zf_session": "admin|9999999999|x|forgedsignature"})
    async with forged:
        assert (await _context(forged, agency, external_userid="wmHuaxiaBoss"))[0] == 401


async def test_jssdk_signatures_verify_and_tickets_are_fetched_once(agency):
    page = "http://testserver/sidebar?external_userid=wmHuaxiaBoss"
    async with await _sign_in(agency, "lixiaomei") as session:
        async def sign():
            async with session.get(agency.url("/sidebar/api/jssdk"), params={"url": page}) as r:
                assert r.status == 200
                return await r.json()
        results = await asyncio.gather(*(sign() for _ in range(20)))
    assert len(agency.fake.calls_to("get_jsapi_ticket")) == 1
    assert len(agency.fake.calls_to("ticket/get")) == 1
    one = results[0]
    tickets = [t for t, _ in agency.fake._tickets.values()]
    expected = {js_signature(t, one["config"]["nonceStr"], one["config"]["timestamp"], page) for t in tickets}
    assert one["config"]["signature"] in expected and one["agentConfig"]["signature"] in expected
    assert one["config"]["signature"] != one["agentConfig"]["signature"]
    assert all(t not in str(results) for t in tickets)  # tickets never reach the browser
