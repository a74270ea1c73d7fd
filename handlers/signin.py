"""Member sign-in for our pages opened inside WeCom (the sidebar, the reminder list): OAuth2 snsapi_base code
-> auth/getuserinfo -> a signed, HttpOnly session cookie. One flow, used by every page.

The OAuth ``state`` is checked on return (WECOM.md §9: it is the CSRF guard), so nobody can sign a member in
as someone else with a link; failed code redemptions are limited per client address, because every ``?code=``
costs a call to WeCom.
"""
from __future__ import annotations

import re
import time
from collections import deque
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from bot import keys, session
from bot.edge.guard import client_address
from bot.edge.inbox import find_staff
from bot.wecom import WeComError


class FailureLimiter:
    """Failures per key within a sliding window, in this process's memory (restarts forget them)."""

    def __init__(self, limit: int, window: float, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque] = {}

    def _recent(self, key: str) -> deque:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= self.clock() - self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures

    def blocked(self, key: str) -> bool:
        return len(self._recent(key)) >= self.limit

    def fail(self, key: str) -> None:
        self._failures.setdefault(key, self._recent(key)).append(self.clock())


_CODE = re.compile(r"[\x21-\x7e]{1,512}")  # WeCom's codes are short printable ASCII
SIGNIN_LIMITER = web.AppKey("signin_limiter", FailureLimiter)


def setup(app: web.Application) -> None:
    sidebar = app[keys.CONFIG].sidebar
    app[SIGNIN_LIMITER] = FailureLimiter(sidebar.signin_max_failures, sidebar.signin_window)


def message_page(request: web.Request, title: str, text: str, status: int = 200) -> web.Response:
    return aiohttp_jinja2.render_template("sidebar/message.html", request, {"title": title, "text": text},
                                          status=status)


def page_url(request: web.Request) -> str:
    """This page's path and query without OAuth's code/state (chat ids and filters in the query are kept)."""
    query = {k: v for k, v in request.query.items() if k not in ("code", "state")}
    return request.path + (f"?{urlencode(query)}" if query else "")


def oauth_redirect(request: web.Request) -> web.Response:
    config = request.app[keys.CONFIG]
    state, browser = session.start_signin(config, request)
    query = urlencode({"appid": config.wecom.corp_id, "redirect_uri": config.base_url + page_url(request),
                       "response_type": "code", "scope": "snsapi_base", "state": state,
                       "agentid": config.wecom.agent_id})
    # Set the header as is: aiohttp would normalise the URL and decode the %3A/%2F WeCom expects in redirect_uri.
    response = web.Response(status=302, headers={"Location": f"{config.wecom.oauth_url}?{query}#wechat_redirect"})
    session.set_state_cookie(response, config, browser)
    return response


async def redeem(request: web.Request, code: str) -> str | web.Response:
    """The member's userid for an OAuth code, or the page to show instead."""
    config, limiter = request.app[keys.CONFIG], request.app[SIGNIN_LIMITER]
    address = client_address(request)
    if not session.state_ok(config, request, request.query.get("state")):
        return message_page(request, "登录校验失败", "登录链接已过期或不是从本页面发起的，请回到企业微信重新打开这个页面。",
                            status=403)
    if not _CODE.fullmatch(code):
        return message_page(request, "登录链接不正确", "请回到企业微信重新打开这个页面。", status=400)
    if limiter.blocked(address):
        return message_page(request, "尝试次数过多", "登录失败次数过多，请稍后再回到企业微信重新打开这个页面。", status=429)
    try:
        info = await request.app[keys.WECOM].auth_getuserinfo(code)
    except WeComError:
        limiter.fail(address)
        return message_page(request, "登录已失效", "请回到企业微信重新打开这个页面。", status=403)
    if not info.get("userid"):
        limiter.fail(address)
        return message_page(request, "无法使用", "这个页面仅限本企业成员使用。", status=403)
    return info["userid"]


async def signed_in_userid(request: web.Request) -> str | web.Response:
    """The WeCom userid of the signed-in member, or the response that signs them in (redirect or error page)."""
    config = request.app[keys.CONFIG]
    code = request.query.get("code")
    if code:
        userid = await redeem(request, code)
        if isinstance(userid, web.Response):
            return userid
        response = web.Response(status=302, headers={"Location": page_url(request)})
        session.set_cookie(response, config, session.issue(config, userid))
        return response
    current = session.read(config, request.cookies.get(session.COOKIE))
    return current[0] if current else oauth_redirect(request)


def unbound_page(request: web.Request, next_path: str | None = None) -> web.Response:
    """The member is not bound: offer the mobile self-match (handlers/staff/consent.py), back to ``next_path``."""
    return aiohttp_jinja2.render_template("admin/members/unbound.html", request, {
        "title": "尚未绑定员工账号", "match_next": next_path or page_url(request),
        "text": "你的企业微信账号还没有绑定账房员工账号。",
        "after": "也可以请向管理员索取绑定码，然后在企业微信中给账房应用发送「绑定 绑定码」，绑定后重新打开本页面。"},
        status=403)


async def signed_in_staff(request: web.Request):
    """The signed-in member's active staff account, or the response to send instead (sign-in or binding step)."""
    userid = await signed_in_userid(request)
    if isinstance(userid, web.Response):
        return userid
    staff = await request.app[keys.DB].run(find_staff, userid)
    return staff if staff is not None else unbound_page(request)
