"""Issue 10 item 8, the demo's simulator: redirects and OAuth redirect_uri stay on our own origin, writes are JSON
from our own page, and only requests naming the bound address are answered (DNS rebinding). Every refusal is a
4xx with a reason and leaves no traceback in the log."""
import aiohttp
import pytest

from bot.sandbox.page import USER_COOKIE
from tests.browser import demo, needs_browser, page, seeded  # noqa: F401 (fixtures)
from tests.edge_kit import assert_no_traceback, raw_exchange


def _member(demo) -> str:
    return demo.fake.directory["members"][0]["userid"]


def _origin(demo) -> str:
    return demo.config.base_url


@pytest.mark.parametrize("path", ["/%09/evil.example", "/%0a/evil.example", "//evil.example", "/\\evil.example",
                                  "https://evil.example/", "http:evil.example", "evil.example", "%2F%2Fevil.example",
                                  "/%5C%5Cevil.example", ""])
async def test_open_redirects_are_refused(demo, caplog, path):
    url = f"{_origin(demo)}/sandbox/open?userid={_member(demo)}&path={path}"
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as r:
        assert r.status == 400 and "本站的路径" in await r.text()
    assert_no_traceback(caplog)


async def test_a_path_on_our_site_is_followed(demo):
    url = f"{_origin(demo)}/sandbox/open?userid={_member(demo)}&path=/reminders%3Fkind%3Darrears"
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as r:
        assert r.status == 302 and r.headers["Location"] == "/reminders?kind=arrears"


@pytest.mark.parametrize("redirect", ["{base}@evil.example/sidebar", "http://evil.example/?next={base}",
                                      "{base}.evil.example/sidebar", "{base}\\@evil.example/", "{base}//evil.example",
                                      "{base}/\t/evil", "https://127.0.0.1/sidebar", "/sidebar"])
async def test_oauth_redirect_uri_must_be_our_own_origin(demo, caplog, redirect):
    uri = redirect.format(base=_origin(demo))
    async with aiohttp.ClientSession(cookies={USER_COOKIE: _member(demo)}) as http:
        async with http.get(f"{_origin(demo)}/sandbox/oauth", params={"redirect_uri": uri, "state": "s"},
                            allow_redirects=False) as r:
            assert r.status == 400 and "/sandbox" in await r.text()
    assert_no_traceback(caplog)


async def test_oauth_returns_to_our_page_with_code_and_state(demo):
    async with aiohttp.ClientSession(cookies={USER_COOKIE: _member(demo)}) as http:
        async with http.get(f"{_origin(demo)}/sandbox/oauth", allow_redirects=False,
                            params={"redirect_uri": f"{_origin(demo)}/sidebar?chat_id=wr1", "state": "abc"}) as r:
            assert r.status == 302
            location = r.headers["Location"]
    assert location.startswith(f"{_origin(demo)}/sidebar?chat_id=wr1&code=") and location.endswith("&state=abc")


@pytest.mark.parametrize("headers, body, status", [
    ({"Origin": "http://evil.example", "Content-Type": "application/json"}, '{"content": "帮助"}', 403),
    ({"Origin": "http://evil.example", "Content-Type": "text/plain"}, '{"content": "帮助"}', 403),  # no preflight
    ({"Content-Type": "application/json"}, '{"content": "帮助"}', 403),  # no Origin at all
    ({"Origin": "null", "Content-Type": "application/json"}, '{"content": "帮助"}', 403),  # a sandboxed iframe
    ({"Origin": "{base}", "Content-Type": "application/x-www-form-urlencoded"}, "content=帮助", 415),
    ({"Origin": "{base}", "Content-Type": "application/json"}, '{"content": ' + "[" * 5000 + "]" * 5000 + "}", 400),
])
async def test_cross_site_or_non_json_posts_to_send_are_refused(demo, caplog, headers, body, status):
    headers = {k: v.format(base=_origin(demo)) for k, v in headers.items()}
    before = len(demo.fake.timeline)
    payload = body.replace('{"content"', f'{{"userid": "{_member(demo)}", "content"') if body.startswith("{") else body
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{_origin(demo)}/sandbox/api/send", data=payload.encode(), headers=headers) as r:
            assert r.status == status and (await r.json())["error"]
    assert len(demo.fake.timeline) == before
    assert_no_traceback(caplog)


async def test_a_json_post_from_the_simulator_itself_is_answered(demo):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{_origin(demo)}/sandbox/api/send", json={"userid": "admin", "content": "帮助"},
                             headers={"Origin": _origin(demo)}) as r:
            assert r.status == 200 and "帮助" in (await r.json())["reply"]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.nip.io:{port}", "127.0.0.1:1"])
@pytest.mark.parametrize("path", ["/sandbox", "/sandbox/api/directory", "/healthz"])
async def test_requests_naming_another_host_are_refused(demo, caplog, host, path):
    host = host.format(port=demo.config.server.port)
    server = demo.servers[0]
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    answer = await raw_exchange(server, [request])
    assert answer.status == 421 and "127.0.0.1" in answer.text
    good = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{demo.config.server.port}\r\nConnection: close\r\n\r\n".encode()
    assert (await raw_exchange(server, [good])).status == 200
    assert_no_traceback(caplog)


@needs_browser
async def test_the_simulator_page_works_under_its_csp_and_origin_check(page, demo):
    """The real page: its fetch carries our Origin, its styles and scripts load (the page fixture fails on any
    CSP report), and a typed 帮助 gets the bot's answer."""
    await page.goto(demo.url("/sandbox"))
    await page.wait_for_selector("#member option", state="attached")
    await page.fill("#content", "帮助")
    await page.click("#composer button[type=submit]")
    await page.wait_for_selector(".bubble.bot")
    assert "帮助" in await page.locator(".bubble.bot").first.inner_text()
