"""A signed-in sidebar, as the page uses it: session cookie, CSRF header, the current chat in every request."""
import re
from urllib.parse import parse_qs, urlsplit

import aiohttp


class SidebarClient:
    def __init__(self, stack, session: aiohttp.ClientSession, csrf: str, **chat):
        self.stack, self.session, self.csrf, self.chat = stack, session, csrf, chat

    async def request(self, method: str, path: str, json=None, csrf: str | None = None, data=None, **query):
        headers = {"X-CSRF-Token": self.csrf if csrf is None else csrf}
        params = {**self.chat, **query}
        async with self.session.request(method, self.stack.url(path), params=params, json=json, data=data,
                                        headers=headers) as r:
            body = await r.json() if r.content_type == "application/json" else await r.read()
            return r.status, body

    async def get(self, path, **query):
        return await self.request("GET", path, **query)

    async def post(self, path, json=None, **kw):
        return await self.request("POST", path, json=json, **kw)

    async def close(self):
        await self.session.close()


async def oauth_state(stack, session: aiohttp.ClientSession, path: str = "/sidebar", **query) -> str:
    """Open ``path`` signed out: our 302 to WeCom carries the state (and sets the cookie it is checked against)."""
    async with session.get(stack.url(path), params=query, allow_redirects=False) as r:
        assert r.status == 302, r.status
        return parse_qs(urlsplit(r.headers["Location"]).query)["state"][0]


async def signed_in_get(stack, session: aiohttp.ClientSession, userid: str, path: str = "/sidebar",
                        follow: bool = True, code: str | None = None, **query):
    """The OAuth round trip as WeCom's webview makes it: start at ``path``, come back with a code for ``userid``
    and the state we sent. (status, text, headers) of the answer."""
    state = await oauth_state(stack, session, path, **query)
    code = code or stack.fake.issue_oauth_code(userid)
    async with session.get(stack.url(path), params={**query, "code": code, "state": state},
                           allow_redirects=follow) as r:
        return r.status, await r.text(), r.headers


async def open_sidebar(stack, userid: str, **chat) -> SidebarClient:
    """Sign in through OAuth as ``userid`` and read the page's CSRF token."""
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    _, page, _ = await signed_in_get(stack, session, userid)
    match = re.search(r'data-csrf="([^"]+)"', page)
    assert match, page[:300]
    return SidebarClient(stack, session, match.group(1), **chat)
