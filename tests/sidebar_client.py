"""A signed-in sidebar, as the page uses it: session cookie, CSRF header, the current chat in every request."""
import re

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


async def open_sidebar(stack, userid: str, **chat) -> SidebarClient:
    """Sign in through OAuth as ``userid`` and read the page's CSRF token."""
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    code = stack.fake.issue_oauth_code(userid)
    async with session.get(stack.url("/sidebar"), params={"code": code}) as r:
        page = await r.text()
    match = re.search(r'data-csrf="([^"]+)"', page)
    assert match, page[:300]
    return SidebarClient(stack, session, match.group(1), **chat)
