"""用手机号自动匹配员工账号: a member who is not bound yet lets us read their mobile (OAuth snsapi_privateinfo,
the member confirms in WeCom), and when exactly one active, unbound staff account has that mobile we bind it
and sign them in. Newer apps get no mobile from user/get (WECOM.md §9), so the member's consent is the only way
to learn it. The ``state`` is checked on return as for every sign-in (bot/session.py)."""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import aiohttp_jinja2
from aiohttp import web

from bot import keys, session
from bot.edge.guard import client_address
from bot.wecom import WeComError
from handlers import signin
from handlers.admin import sessions
from handlers.admin.shell import done
from handlers.admin.signin import safe_next
from handlers.staff import memberlist

START = "/admin/match-mobile"
RETURN = "/admin/match-mobile/return"


def safe_target(raw: str | None) -> str:
    """Where to go once bound: a console path (signed in there), or one of our own pages (the sidebar)."""
    raw = raw or ""
    parts = urlsplit(raw)
    if parts.path.startswith("/admin") or parts.scheme or parts.netloc or "\\" in raw \
            or not parts.path.startswith("/") or parts.path.startswith("//") or len(raw) > 1000:
        target = safe_next(raw)
        return "/admin" if target.startswith(START) else target  # never back into this flow
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page(request: web.Request, title: str, text: str, status: int = 200, retry: bool = False) -> web.Response:
    """A result page; ``retry`` offers the self-match link again (back to the same page)."""
    target = safe_target(request.query.get("next")) if retry else None
    return aiohttp_jinja2.render_template("admin/members/unbound.html", request,
                                          {"title": title, "text": text, "match_next": target}, status=status)


async def start(request: web.Request) -> web.Response:
    """GET /admin/match-mobile?next: on to WeCom's consent (scope snsapi_privateinfo needs the agentid)."""
    config = request.app[keys.CONFIG]
    state, browser = session.start_signin(config, request)
    back = config.base_url + RETURN + "?" + urlencode({"next": safe_target(request.query.get("next"))})
    query = urlencode({"appid": config.wecom.corp_id, "redirect_uri": back, "response_type": "code",
                       "scope": "snsapi_privateinfo", "state": state, "agentid": config.wecom.agent_id})
    response = web.Response(status=302, headers={"Location": f"{config.wecom.oauth_url}?{query}#wechat_redirect"})
    session.set_state_cookie(response, config, browser)
    return response


async def _mobile(request: web.Request, code: str) -> tuple[str, str] | web.Response:
    """(userid, consented mobile) for the code WeCom sent back, or the page to show instead."""
    config, limiter = request.app[keys.CONFIG], request.app[signin.SIGNIN_LIMITER]
    address = client_address(request)
    if not session.state_ok(config, request, request.query.get("state")):
        return page(request, "校验失败", "链接已过期或不是从本页面发起的，请回到企业微信重新打开账房。", status=403)
    if not signin._CODE.fullmatch(code):
        return page(request, "链接不正确", "请回到企业微信重新打开账房。", status=400)
    if limiter.blocked(address):
        return page(request, "尝试次数过多", "失败次数过多，请稍后再试。", status=429)
    wecom = request.app[keys.WECOM]
    try:
        info = await wecom.auth_getuserinfo(code)
        if not info.get("userid"):
            limiter.fail(address)
            return page(request, "无法使用", "仅限本企业成员使用。", status=403)
        if not info.get("user_ticket"):
            return page(request, "没有获得授权", "你没有同意提供手机号，无法自动匹配。" + memberlist.ASK_ADMIN,
                        status=403, retry=True)
        detail = await wecom.user_getuserdetail(info["user_ticket"])
    except WeComError:
        limiter.fail(address)
        return page(request, "授权已失效", "请回到企业微信重新打开账房，再点「用手机号自动匹配员工账号」。", status=403)
    return info["userid"], str(detail.get("mobile") or "")


async def finish(request: web.Request) -> web.Response:
    """GET /admin/match-mobile/return?code&state&next: read the mobile, bind when it names one account."""
    app = request.app
    found = await _mobile(request, request.query.get("code", ""))
    if isinstance(found, web.Response):
        return found
    userid, mobile = found
    now = app[keys.CLOCK]()
    outcome = await app[keys.DB].atomic(memberlist.match_by_mobile, userid, mobile, now)
    if outcome.staff is None:
        return page(request, "无法自动匹配", outcome.error, status=409)
    return await _sign_in(request, outcome.staff, userid, now)


async def _sign_in(request: web.Request, staff, userid: str, now) -> web.Response:
    """Bound: into the console (a console page asked) or back to the sidebar page, signed in either way."""
    config = request.app[keys.CONFIG]
    target = safe_target(request.query.get("next"))
    console = target.startswith("/admin")
    response = done(target, f"已通过手机号自动匹配到员工账号「{staff.name}」，欢迎使用账房。") if console \
        else web.Response(status=302, headers={"Location": target})
    session.set_cookie(response, config, session.issue(config, userid))
    if console:
        token = await request.app[keys.DB].run(sessions.open_session, staff, userid, "oauth",
                                               client_address(request), now)
        response.set_cookie(sessions.COOKIE, token, httponly=True, samesite="Lax", secure=session.secure(config),
                            path="/admin")
    response.del_cookie(session.STATE_COOKIE, path="/")
    return response


def setup(app: web.Application) -> None:
    app.router.add_get(START, start)
    app.router.add_get(RETURN, finish)
