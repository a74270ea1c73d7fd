"""The demo's stand-ins for WeCom's sign-in pages (demo mode only, mounted by page.setup_sandbox_page).

- /sandbox/sso: 企业微信 Web 登录 (login.work.weixin.qq.com/wwlogin/sso/login, WECOM.md §9): pick a member, and
  the browser returns to redirect_uri?code=CODE&state=STATE, a code auth/getuserinfo redeems.
- /sandbox/oauth: OAuth inside WeCom (open.weixin.qq.com/connect/oauth2/authorize): the member chosen on /sandbox
  (a cookie), or picked here; scope=snsapi_privateinfo first asks for consent, as WeCom does.
Plain links only: the pages' CSP forbids inline scripts. Every redirect_uri must be on our own origin.
"""
from __future__ import annotations

from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from bot import keys, session
from bot.sandbox.page import SANDBOX_FAKE, USER_COOKIE, own_url

PRIVATEINFO = "snsapi_privateinfo"


def setup(app: web.Application) -> None:
    app.router.add_get("/sandbox/sso", sso)
    app.router.add_get("/sandbox/oauth", oauth)


def with_code(redirect: str, code: str, state: str) -> str:
    sep = "&" if "?" in redirect else "?"
    return f"{redirect}{sep}{urlencode({'code': code, 'state': state})}"


def _same_page_with(request: web.Request, **extra: str) -> str:
    """This page's URL with ``extra`` query parameters set (links of the chooser and the consent page)."""
    query = {**{k: v for k, v in request.query.items() if k not in extra}, **extra}
    return f"{request.path}?{urlencode(query)}"


def _chooser(request: web.Request, title: str, hint: str) -> web.Response:
    """The demo members (inside the app's visible range) as links back to this page with ``userid``."""
    fake = request.app[SANDBOX_FAKE]
    members = [{"name": m.get("name") or m["userid"], "position": m.get("position", ""),
                "url": _same_page_with(request, userid=m["userid"])}
               for m in fake.directory["members"] if fake.privacy.in_range(m["userid"])]
    context = {"title": title, "hint": hint, "members": members,
               "corp_name": fake.directory.get("corp_name", "")}
    return aiohttp_jinja2.render_template("sandbox/login.html", request, context)


async def sso(request: web.Request) -> web.Response:
    """企业微信扫码登录（演示）: validates the link as WeCom would, then a member is picked and sent back."""
    config, fake, query = request.app[keys.CONFIG], request.app[SANDBOX_FAKE], request.query
    redirect = own_url(config, query.get("redirect_uri", ""))
    if (query.get("login_type") != "CorpApp" or query.get("appid") != config.wecom.corp_id
            or query.get("agentid") != str(config.wecom.agent_id) or redirect is None):
        raise web.HTTPBadRequest(text="登录链接不正确：login_type 应为 CorpApp，appid、agentid 应为本应用的，"
                                      "redirect_uri 应为本站地址")
    userid = query.get("userid", "")
    if not userid:
        return _chooser(request, "企业微信扫码登录（演示）", "演示中不用扫码：点一位成员，就像他用企业微信扫码确认了登录。")
    if fake.member(userid) is None or not fake.privacy.in_range(userid):
        raise web.HTTPBadRequest(text="没有这位企业成员（或不在应用可见范围内）")
    raise web.HTTPFound(with_code(redirect, fake.issue_oauth_code(userid), query.get("state", "")))


async def oauth(request: web.Request) -> web.Response:
    """The sandbox's open.weixin.qq.com authorize page: the chosen member 'signs in' (after consent for
    snsapi_privateinfo; a refusal still signs in, but user/getuserdetail then leaves the private fields out)."""
    config, fake, query = request.app[keys.CONFIG], request.app[SANDBOX_FAKE], request.query
    redirect = own_url(config, query.get("redirect_uri", ""))
    if redirect is None:
        raise web.HTTPBadRequest(text="请从 /sandbox 打开侧边栏（redirect_uri 应为本站地址）")
    picked = query.get("userid", "")
    userid = picked or request.cookies.get(USER_COOKIE, "")
    if fake.member(userid) is None:
        return _chooser(request, "选择企业成员（演示）", "你还没有在模拟器中选择成员：点一位成员，就像他在企业微信中打开了这个页面。")
    agreed: bool | None = None
    if query.get("scope") == PRIVATEINFO:
        if query.get("agentid") != str(config.wecom.agent_id):  # WeCom requires agentid for this scope
            raise web.HTTPBadRequest(text="snsapi_privateinfo 授权链接必须带本应用的 agentid")
        if query.get("consent") not in ("allow", "deny"):
            return _consent(request, fake.member(userid))
        agreed = query["consent"] == "allow"
    response = web.HTTPFound(with_code(redirect, fake.issue_oauth_code(userid, agreed), query.get("state", "")))
    if picked:  # later pages in this browser act as the member picked here, as after /sandbox/open
        response.set_cookie(USER_COOKIE, userid, httponly=True, samesite="Lax", path="/",
                            secure=session.secure(config))
    raise response


def _consent(request: web.Request, member: dict) -> web.Response:
    context = {"member_name": member.get("name") or member["userid"],
               "allow_url": _same_page_with(request, consent="allow"),
               "deny_url": _same_page_with(request, consent="deny")}
    return aiohttp_jinja2.render_template("sandbox/consent.html", request, context)
