"""Issue 10 item 5, the web edge: sessions, ids and JSON from signed-in members, the OAuth state and the sign-in
limit, security headers, Secure cookies, the JS-SDK signer's origin check, and what `serve` refuses to start
without. Every refusal is a 4xx with a reason and leaves no traceback in the log."""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot import keys, session
from bot.app import create_app
from tests.conftest import AES_KEY, AGENT_ID, CORP_ID, SECRET, SERVE_ENV, TOKEN, Stack, make_config, stop_stack
from tests.edge_kit import assert_no_traceback, raw_exchange
from tests.sidebar_client import oauth_state
from tests.sidebar_tabs import li, tabs  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent
BIG = str(2 ** 63)
HUGE = "9" * 5000


# ---- cookies ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cookie", [b"zf_session=\xff\xfe|1|2|3", b"zf_session=admin|9999999999|x|\xc3\xa9\xc3\xa9",
                                    b"zf_session=" + b"a|" * 3 + b"\x80" * 600])
async def test_an_undecodable_session_cookie_is_simply_no_session(stack, caplog, cookie):
    api = (b"GET /sidebar/api/context?external_userid=wm HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
           b"Cookie: " + cookie + b"\r\n\r\n")
    answer = await raw_exchange(stack.server, [api])
    assert answer.status == 401 and "登录" in json.loads(answer.body)["error"]
    page = b"GET /sidebar HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nCookie: " + cookie + b"\r\n\r\n"
    answer = await raw_exchange(stack.server, [page])
    assert answer.status == 302 and "oauth2" in answer.headers["location"]  # sent to sign in again
    assert_no_traceback(caplog)


# ---- ids in paths and JSON ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/sidebar/api/clients/{big}/profile", "/sidebar/api/clients/{huge}/profile", "/sidebar/api/clients/٣/profile",
    "/sidebar/api/clients/{client}/services/{big}/reminder", "/sidebar/api/clients/{client}/missing/{huge}/reminder",
    "/sidebar/api/attachments/{big}", "/sidebar/api/attachments/{huge}",
])
async def test_ids_in_paths_past_64_bits_or_not_ascii_are_400(li, tabs, caplog, path):
    status, body = await li.get(path.format(big=BIG, huge=HUGE, client=tabs[1]["huaxia"]))
    assert status == 400 and "编号" in body["error"]
    assert_no_traceback(caplog)


@pytest.mark.parametrize("path", ["/sidebar/api/knowledge/{big}/send", "/sidebar/api/clients/{client}/payments/{huge}/receipt"])
async def test_ids_in_write_paths_are_400(li, tabs, caplog, path):
    status, body = await li.post(path.format(big=BIG, huge=HUGE, client=tabs[1]["huaxia"]), json={})
    assert status == 400 and "编号" in body["error"]
    assert_no_traceback(caplog)


@pytest.mark.parametrize("raw, reason", [
    ('{"client_id": %s}' % BIG, "超出范围"), ('{"client_id": %s}' % HUGE, "超出范围"),
    ('{"client_id": -%s}' % BIG, "超出范围"), ("[" * 100000 + "]" * 100000, "嵌套"),
    ('{"a":' * 30 + "1" + "}" * 30, "嵌套"), ('{"client_id": NaN}', "NaN"), (b'{"client_id": "\xff"}', "JSON"),
])
async def test_json_with_huge_numbers_deep_nesting_or_bad_bytes_is_400(li, caplog, raw, reason):
    data = raw if isinstance(raw, bytes) else raw.encode()
    status, body = await li.request("POST", "/sidebar/api/context/client", data=data)
    assert status == 400 and reason in body["error"]
    assert_no_traceback(caplog)


async def test_a_payment_with_a_huge_id_list_is_400_not_500(li, tabs, caplog):
    raw = '{"amount": "100", "method": "transfer", "receivable_ids": [%s]}' % BIG
    status, body = await li.request("POST", f"/sidebar/api/clients/{tabs[1]['huaxia']}/payments", data=raw.encode())
    assert status == 400 and "超出范围" in body["error"]
    assert_no_traceback(caplog)


# ---- security headers -----------------------------------------------------------------------------------

def _assert_security_headers(headers, what: str) -> None:
    csp = headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'", what  # no inline scripts, no eval
    assert directives["frame-ancestors"] == "'self'" and directives["object-src"] == "'none'", what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") == "same-origin", what
    assert headers.get("X-Frame-Options") == "SAMEORIGIN", what


async def test_every_page_and_answer_carries_the_security_headers(li, tabs, caplog):
    stack = tabs[0]
    async with li.session.get(stack.url("/sidebar")) as r:
        page = await r.text()
        _assert_security_headers(r.headers, "the sidebar page")
    assert r.status == 200 and re.findall(r"<script(?![^>]*\bsrc=)", page) == []  # every script is a file
    for path, status in [("/sidebar/api/context?external_userid=wmHuaxiaBoss", 200), ("/static/sidebar.js", 200),
                         ("/healthz", 200), ("/no/such/page", 404), ("/reminders", 200),
                         ("/wecom/callback?timestamp=²", 400), (f"/sidebar/api/attachments/{BIG}", 400)]:
        async with li.session.get(stack.url(path)) as r:
            assert r.status == status, path
            _assert_security_headers(r.headers, path)
    async with stack.http.get(stack.url("/sidebar"), allow_redirects=False) as r:  # signed out: the redirect
        assert r.status == 302
        _assert_security_headers(r.headers, "the sign-in redirect")
    assert_no_traceback(caplog)


# ---- OAuth state and the sign-in limit ----------------------------------------------------------------------

def _jar() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _return(stack, http, code: str, state: str | None, **headers):
    params = {"code": code, **({"state": state} if state is not None else {})}
    async with http.get(stack.url("/sidebar"), params=params, allow_redirects=False, headers=headers) as r:
        return r.status, await r.text()


async def test_a_sign_in_return_without_this_browsers_state_is_refused_before_asking_wecom(stack, caplog):
    async with _jar() as attacker, _jar() as victim:
        attackers_state = await oauth_state(stack, attacker)
        await oauth_state(stack, victim)  # the victim has a state cookie of their own
        code = stack.fake.issue_oauth_code("lixiaomei")
        for http, state in [(victim, None), (victim, attackers_state), (victim, "1" * 10 + "0" * 32),
                            (victim, "x" * 300), (stack.http, attackers_state)]:
            status, text = await _return(stack, http, code, state)
            assert status == 403 and "登录校验失败" in text
        browser = victim.cookie_jar.filter_cookies(stack.server.make_url("/"))[session.STATE_COOKIE].value
        expired = session._state_for(stack.app[keys.CONFIG], browser, str(int(time.time()) - 1))
        assert (await _return(stack, victim, code, expired))[0] == 403
    assert stack.fake.calls_to("auth/getuserinfo") == []  # the code was never spent
    assert_no_traceback(caplog)


async def test_two_tabs_signing_in_at_once_both_succeed(stack):
    async with _jar() as http:
        first, second = await oauth_state(stack, http), await oauth_state(stack, http)
        for state in (first, second):
            status, _ = await _return(stack, http, stack.fake.issue_oauth_code("lixiaomei"), state)
            assert status == 302


async def test_failed_code_redemptions_are_limited_per_address(stack, caplog):
    async with _jar() as http:
        state = await oauth_state(stack, http)
        for n in range(10):
            status, _ = await _return(stack, http, f"forged-code-{n}", state, **{"X-Forwarded-For": f"198.51.100.{n}"})
            assert status == 403
        status, text = await _return(stack, http, "forged-code-x", state)
        assert status == 429 and "次数过多" in text
        status, _ = await _return(stack, http, stack.fake.issue_oauth_code("lixiaomei"), state)
        assert status == 429  # even a good code waits: the address is blocked for the window
    # X-Forwarded-For from an untrusted peer changed nothing; WeCom saw the ten failures only.
    assert len(stack.fake.calls_to("auth/getuserinfo")) == 10
    assert_no_traceback(caplog)


@pytest.fixture
async def behind_proxy(db_url, fake_server):
    s = await _stack(db_url, fake_server, server={"public_url": "http://testserver", "trusted_proxies": "127.0.0.1"})
    yield s
    await stop_stack(s)


async def test_behind_a_trusted_proxy_the_limit_counts_the_forwarded_client(behind_proxy):
    stack = behind_proxy
    async with _jar() as http:
        state = await oauth_state(stack, http)
        for n in range(10):
            await _return(stack, http, f"forged-{n}", state, **{"X-Forwarded-For": "203.0.113.7"})
        assert (await _return(stack, http, "forged", state, **{"X-Forwarded-For": "203.0.113.7"}))[0] == 429
        code = stack.fake.issue_oauth_code("lixiaomei")
        assert (await _return(stack, http, code, state, **{"X-Forwarded-For": "203.0.113.8"}))[0] == 302


# ---- Secure cookies ---------------------------------------------------------------------------------------

async def _stack(db_url, fake_server, **sections) -> Stack:
    fake, api_base = fake_server
    app = create_app(make_config(db_url, api_base).replace(**sections))
    server = TestServer(app)
    await server.start_server()
    return Stack(app, server, fake, aiohttp.ClientSession(), None)


@pytest.mark.parametrize("public_url, secure", [("https://desk.example.com", True), ("http://testserver", False)])
async def test_cookies_are_secure_whenever_the_public_url_is_https(db_url, fake_server, public_url, secure):
    stack = await _stack(db_url, fake_server, server={"public_url": public_url})
    try:
        async with stack.http.get(stack.url("/sidebar"), allow_redirects=False) as r:
            state = parse_qs(urlsplit(r.headers["Location"]).query)["state"][0]
            assert parse_qs(urlsplit(r.headers["Location"]).query)["redirect_uri"][0].startswith(public_url)
            state_cookie = r.cookies[session.STATE_COOKIE]
        assert bool(state_cookie["secure"]) is secure and state_cookie["httponly"]
        params = {"code": stack.fake.issue_oauth_code("lixiaomei"), "state": state}
        async with stack.http.get(stack.url("/sidebar"), params=params, allow_redirects=False,
                                  headers={"Cookie": f"{session.STATE_COOKIE}={state_cookie.value}"}) as r:
            assert r.status == 302
            assert bool(r.cookies[session.COOKIE]["secure"]) is secure
    finally:
        await stop_stack(stack)


# ---- the JS-SDK signer ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["https://evil.example/sidebar", "http://testserver@evil.example/sidebar",
                                 "http://testserver.evil.example/sidebar", "https://testserver/sidebar",
                                 "//testserver/sidebar", "/sidebar", "http://testserver\\@evil.example/",
                                 "http://testserver/\tsidebar", ""])
async def test_the_jssdk_signer_signs_only_our_own_pages(li, caplog, url):
    status, body = await li.get("/sidebar/api/jssdk", url=url)
    assert status == 400 and "本站" in body["error"]
    status, body = await li.get("/sidebar/api/jssdk", url="http://testserver/sidebar?external_userid=wmHuaxiaBoss")
    assert status == 200 and body["config"]["signature"]
    assert_no_traceback(caplog)


# ---- what serve needs ---------------------------------------------------------------------------------------

def _serve(env_changes: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_URL", "SESSION_SECRET") and not k.startswith("WECOM_")}
    env.update({"WECOM_CORP_ID": CORP_ID, "WECOM_AGENT_ID": str(AGENT_ID), "WECOM_SECRET": SECRET, "WECOM_TOKEN": TOKEN,
                "WECOM_AES_KEY": AES_KEY, "DATABASE_URL": "sqlite:////nonexistent/never-opened.sqlite3", **SERVE_ENV})
    env.update(env_changes)
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run([sys.executable, "-m", "bot", "serve", "--port", "9"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("changes, setting", [
    ({"PUBLIC_URL": None}, "server.public_url (PUBLIC_URL)"),
    ({"SESSION_SECRET": None}, "sidebar.session_secret (SESSION_SECRET)"),
    ({"SESSION_SECRET": "short-secret-31-bytes-long-xxxxx"[:31]}, "sidebar.session_secret (SESSION_SECRET)"),
    ({"PUBLIC_URL": "desk.example.com"}, "server.public_url (PUBLIC_URL)"),
])
def test_serve_refuses_to_start_without_a_public_url_and_a_long_session_secret(changes, setting):
    done = _serve(changes)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and setting in lines[0], done.stderr
    assert "Traceback" not in done.stderr and "short-secret" not in done.stderr
