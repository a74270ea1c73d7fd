"""A signed-in console, as a browser uses it: the session cookie, and the page's CSRF token in every form post."""
import re
from urllib.parse import parse_qs, urlsplit

import aiohttp

CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


async def login_state(stack, session: aiohttp.ClientSession, next_path: str = "/admin") -> str:
    """Open /admin/login in an ordinary browser: the QR sign-in link carries the state (and its cookie is set)."""
    async with session.get(stack.url("/admin/login"), params={"next": next_path}) as r:
        assert r.status == 200, r.status
        page = await r.text()
    link = re.search(r'href="([^"]*login_type=CorpApp[^"]*)"', page).group(1).replace("&amp;", "&")
    return parse_qs(urlsplit(link).query)["state"][0]


async def come_back(stack, session, code: str, state: str, next_path: str = "/admin", follow: bool = False):
    """WeCom's redirect back to us after the member scanned: (status, text, headers)."""
    async with session.get(stack.url("/admin/login/return"), params={"code": code, "state": state,
                                                                     "next": next_path},
                           allow_redirects=follow) as r:
        return r.status, await r.text(), r.headers


class ConsoleClient:
    def __init__(self, stack, session: aiohttp.ClientSession):
        self.stack, self.session, self.csrf = stack, session, ""

    async def get(self, path: str, follow: bool = False, **query):
        async with self.session.get(self.stack.url(path), params=query, allow_redirects=follow) as r:
            body = await r.read()
            text = body.decode("utf-8", "replace") if r.content_type.startswith("text/") else body
            if isinstance(text, str) and (found := CSRF.search(text)):
                self.csrf = found.group(1)
            return r.status, text, r.headers

    async def post(self, path: str, data: dict | list | None = None, csrf: str | None = None, follow: bool = False):
        fields = list(data.items()) if isinstance(data, dict) else list(data or [])
        fields.append(("_csrf", self.csrf if csrf is None else csrf))
        async with self.session.post(self.stack.url(path), data=fields, allow_redirects=follow) as r:
            return r.status, await r.text(), r.headers

    async def close(self):
        await self.session.close()


async def open_console(stack, userid: str) -> ConsoleClient:
    """Sign in through the QR flow as ``userid`` and load the home page (which holds the CSRF token)."""
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    state = await login_state(stack, session)
    status, _, _ = await come_back(stack, session, stack.fake.issue_oauth_code(userid), state)
    assert status == 302, status
    client = ConsoleClient(stack, session)
    status, page, _ = await client.get("/admin")
    assert status == 200, page[:300]
    return client
