"""Signing in to the console: inside WeCom through OAuth (snsapi_base, the same flow as the sidebar), in an
ordinary browser through 企业微信 Web 登录 (the QR panel). Both come back to /admin/login/return with a code and the
``state`` this browser was given, and end in the same server-side session. Sign-out ends it."""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from aiohttp import web

from bot import keys, session
from bot.edge.guard import client_address
from bot.edge.inbox import find_staff
from handlers import signin
from handlers.admin import sessions
from handlers.admin.shell import ConsoleRoutes, done, redirect, render, signed

console = ConsoleRoutes()
AREA = None
RETURN = "/admin/login/return"


def safe_next(raw: str | None) -> str:
    """Where to go after signing in: a console path of ours, never another site."""
    parts = urlsplit(raw or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin") or "\\" in (raw or "") \
            or parts.path.startswith("/admin/login") or len(raw or "") > 1000:
        return "/admin"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def in_wecom(request: web.Request) -> bool:
    """WeCom's webviews (desktop and mobile) name themselves in the User-Agent."""
    return "wxwork" in request.headers.get("User-Agent", "").lower()


def _links(request: web.Request, state: str) -> dict[str, str]:
    config = request.app[keys.CONFIG]
    redirect = config.base_url + RETURN + "?" + urlencode({"next": safe_next(request.query.get("next"))})
    qr = urlencode({"login_type": "CorpApp", "appid": config.wecom.corp_id, "agentid": config.wecom.agent_id,
                    "redirect_uri": redirect, "state": state})
    oauth = urlencode({"appid": config.wecom.corp_id, "redirect_uri": redirect, "response_type": "code",
                       "scope": "snsapi_base", "state": state, "agentid": config.wecom.agent_id})
    return {"qr": f"{config.wecom.sso_url}?{qr}", "oauth": f"{config.wecom.oauth_url}?{oauth}#wechat_redirect"}


async def login(request: web.Request) -> web.Response:
    """GET /admin/login: inside WeCom straight on to OAuth; elsewhere the page with the QR sign-in."""
    config = request.app[keys.CONFIG]
    state, browser = session.start_signin(config, request)
    links = _links(request, state)
    if in_wecom(request) and not request.query.get("bye"):
        response = web.Response(status=302, headers={"Location": links["oauth"]})
    else:
        response = render(request, "admin/login.html", {"links": links, "bye": bool(request.query.get("bye")),
                                                        "demo": config.demo_mode})
    session.set_state_cookie(response, config, browser)
    return response


async def login_return(request: web.Request) -> web.Response:
    """GET /admin/login/return?code&state&next: check the state, redeem the code, open a session."""
    config, db = request.app[keys.CONFIG], request.app[keys.DB]
    code = request.query.get("code")
    if not code:
        return signin.message_page(request, "未完成登录", "没有收到企业微信的登录确认，请重新扫码或在企业微信中打开后台。",
                                   status=400)
    userid = await signin.redeem(request, code)
    if isinstance(userid, web.Response):
        return userid
    staff = await db.run(find_staff, userid)
    if staff is None:
        return signin.unbound_page(request, safe_next(request.query.get("next")))
    via = "qr" if not in_wecom(request) else "oauth"
    token = await db.run(sessions.open_session, staff, userid, via, client_address(request),
                         request.app[keys.CLOCK]())
    response = redirect(safe_next(request.query.get("next")))
    response.set_cookie(sessions.COOKIE, token, httponly=True, samesite="Lax", secure=session.secure(config),
                        path="/admin")
    response.del_cookie(session.STATE_COOKIE, path="/")
    return response


@console.post("/admin/logout", need="member")
async def logout(request: web.Request, me) -> web.Response:
    """POST /admin/logout: end this session on the server, then forget the cookie."""
    who = signed(request)
    await request.app[keys.DB].run(sessions.end, who.session_id, request.app[keys.CLOCK]())
    response = done("/admin/login?bye=1", "你已退出登录。")
    response.del_cookie(sessions.COOKIE, path="/admin")
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/login", login)
    app.router.add_get(RETURN, login_return)
