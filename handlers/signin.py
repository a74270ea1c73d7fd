"""Member sign-in for our pages opened inside WeCom (the sidebar, the reminder list): OAuth2 snsapi_base code
-> auth/getuserinfo -> a signed, HttpOnly session cookie. One flow, used by every page."""
from __future__ import annotations

import secrets
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from bot import keys, session
from bot.edge.inbox import find_staff
from bot.wecom import WeComError


def message_page(request: web.Request, title: str, text: str, status: int = 200) -> web.Response:
    return aiohttp_jinja2.render_template("sidebar/message.html", request, {"title": title, "text": text},
                                          status=status)


def page_url(request: web.Request) -> str:
    """This page's path and query without OAuth's code/state (chat ids and filters in the query are kept)."""
    query = {k: v for k, v in request.query.items() if k not in ("code", "state")}
    return request.path + (f"?{urlencode(query)}" if query else "")


def oauth_redirect(request: web.Request) -> web.Response:
    config = request.app[keys.CONFIG]
    query = urlencode({"appid": config.wecom.corp_id, "redirect_uri": config.base_url + page_url(request),
                       "response_type": "code", "scope": "snsapi_base", "state": secrets.token_urlsafe(8),
                       "agentid": config.wecom.agent_id})
    # Set the header as is: aiohttp would normalise the URL and decode the %3A/%2F WeCom expects in redirect_uri.
    return web.Response(status=302, headers={"Location": f"{config.wecom.oauth_url}?{query}#wechat_redirect"})


async def signed_in_userid(request: web.Request) -> str | web.Response:
    """The WeCom userid of the signed-in member, or the response that signs them in (redirect or error page)."""
    config = request.app[keys.CONFIG]
    code = request.query.get("code")
    if code:
        try:
            info = await request.app[keys.WECOM].auth_getuserinfo(code)
        except WeComError:
            return message_page(request, "登录已失效", "请回到企业微信重新打开这个页面。", status=403)
        if not info.get("userid"):
            return message_page(request, "无法使用", "这个页面仅限本企业成员使用。", status=403)
        response = web.Response(status=302, headers={"Location": page_url(request)})
        session.set_cookie(response, config, session.issue(config, info["userid"]))
        return response
    current = session.read(config, request.cookies.get(session.COOKIE))
    return current[0] if current else oauth_redirect(request)


def unbound_page(request: web.Request) -> web.Response:
    return message_page(request, "尚未绑定员工账号",
                        "你的企业微信账号还没有绑定账房员工账号。请向管理员索取绑定码，"
                        "然后在企业微信中给账房应用发送「绑定 绑定码」，绑定后重新打开本页面。", status=403)


async def signed_in_staff(request: web.Request):
    """The signed-in member's active staff account, or the response to send instead (sign-in or binding step)."""
    userid = await signed_in_userid(request)
    if isinstance(userid, web.Response):
        return userid
    staff = await request.app[keys.DB].run(find_staff, userid)
    return staff if staff is not None else unbound_page(request)
