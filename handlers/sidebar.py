"""The chat sidebar (聊天工具栏 page), skeleton: sign-in, JS-SDK signatures, the clients behind a chat.

Every request is checked on the server: a member only gets answers for an external contact they follow,
or a customer group they own or sit in (admins: any).
"""
from __future__ import annotations

import hashlib
import secrets
import time
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

import models
from bot import keys, session
from bot.wecom import WeComError
from handlers.access import clients_for_contact, clients_for_group
from handlers.clients import TAXPAYER

SIDEBAR = "/sidebar"


def setup(app: web.Application) -> None:
    app.router.add_get(SIDEBAR, page)
    app.router.add_get(SIDEBAR + "/api/jssdk", jssdk_signatures)
    app.router.add_get(SIDEBAR + "/api/context", chat_context)


def _message(request: web.Request, title: str, text: str, status: int = 200) -> web.Response:
    return aiohttp_jinja2.render_template("sidebar/message.html", request, {"title": title, "text": text},
                                          status=status)


def _page_url(request: web.Request) -> str:
    """This page's path and query without OAuth's code/state (the chat ids in the query are kept)."""
    query = {k: v for k, v in request.query.items() if k not in ("code", "state")}
    return SIDEBAR + (f"?{urlencode(query)}" if query else "")


def _oauth_redirect(request: web.Request) -> web.Response:
    config = request.app[keys.CONFIG]
    query = urlencode({"appid": config.wecom.corp_id, "redirect_uri": config.base_url + _page_url(request),
                       "response_type": "code", "scope": "snsapi_base", "state": secrets.token_urlsafe(8),
                       "agentid": config.wecom.agent_id})
    raise web.HTTPFound(f"{config.wecom.oauth_url}?{query}#wechat_redirect")


async def page(request: web.Request) -> web.Response:
    """GET /sidebar: OAuth code -> member -> signed cookie; then the page (or the binding step)."""
    config = request.app[keys.CONFIG]
    code = request.query.get("code")
    if code:
        try:
            info = await request.app[keys.WECOM].auth_getuserinfo(code)
        except WeComError:
            return _message(request, "登录已失效", "请关闭后重新打开侧边栏。", status=403)
        if not info.get("userid"):
            return _message(request, "无法使用", "侧边栏仅限本企业成员使用。", status=403)
        response = web.HTTPFound(_page_url(request))
        session.set_cookie(response, config, session.issue(config, info["userid"]))
        raise response
    current = session.read(config, request.cookies.get(session.COOKIE))
    if current is None:
        return _oauth_redirect(request)
    staff = await _staff(request, current[0])
    if staff is None:
        return _message(request, "尚未绑定员工账号",
                        "你的企业微信账号还没有绑定账房员工账号。请联系本机构的管理员为你绑定后再打开侧边栏。")
    context = {"staff": staff, "csrf": current[1], "corp_id": config.wecom.corp_id,
               "agent_id": config.wecom.agent_id, "jssdk_url": config.sidebar.jssdk_url,
               "sandbox": config.demo_mode and request.query.get("sandbox") == "1"}
    return aiohttp_jinja2.render_template("sidebar/index.html", request, context)


async def _staff(request: web.Request, userid: str):
    return await request.app[keys.DB].run(
        lambda: models.Staff.get_or_none((models.Staff.wecom_userid == userid) & (models.Staff.active == True)))  # noqa: E712


async def require_staff(request: web.Request):
    """The signed-in, bound staff member, or a JSON 401/403."""
    current = session.read(request.app[keys.CONFIG], request.cookies.get(session.COOKIE))
    if current is None:
        raise web.HTTPUnauthorized(text='{"error": "登录已失效，请重新打开侧边栏"}', content_type="application/json")
    staff = await _staff(request, current[0])
    if staff is None:
        raise web.HTTPForbidden(text='{"error": "尚未绑定员工账号"}', content_type="application/json")
    return staff


def js_signature(ticket: str, noncestr: str, timestamp: str, url: str) -> str:
    """doc/90506: sha1 over jsapi_ticket, noncestr, timestamp and url (without the #fragment)."""
    url = url.split("#", 1)[0]
    raw = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


async def jssdk_signatures(request: web.Request) -> web.Response:
    """Signatures for ww.register's config and agentConfig; tickets never leave the server."""
    await require_staff(request)
    url = request.query.get("url", "")
    if not url.startswith(("http://", "https://")):
        return web.json_response({"error": "url 参数必须是当前页面的完整地址"}, status=400)
    wecom = request.app[keys.WECOM]
    try:
        corp_ticket, agent_ticket = await wecom.get_jsapi_ticket(), await wecom.get_agent_ticket()
    except WeComError:
        return web.json_response({"error": "暂时无法获取企业微信签名，请稍后重试"}, status=502)
    timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
    sign = {"timestamp": timestamp, "nonceStr": nonce}
    return web.json_response({
        "config": {**sign, "signature": js_signature(corp_ticket, nonce, timestamp, url)},
        "agentConfig": {**sign, "signature": js_signature(agent_ticket, nonce, timestamp, url)},
    })


def _contact_context(staff, external_userid: str) -> tuple[int, dict]:
    contact = models.ExternalContact.get_or_none(models.ExternalContact.external_userid == external_userid)
    if contact is None:
        return 404, {"error": "没有这个客户联系人的资料，请管理员先同步企业微信联系人"}
    follows = (models.FollowRelation.select()
               .where((models.FollowRelation.contact == contact) & (models.FollowRelation.userid == staff.wecom_userid)
                      & models.FollowRelation.deleted_at.is_null()).exists())
    if not (staff.is_admin or follows):
        return 403, {"error": "你没有跟进这位客户联系人，无权查看"}
    return 200, {"chat": {"type": "single", "name": contact.name, "corp_name": contact.corp_name or ""},
                 "clients": _clients(clients_for_contact(external_userid))}


def _group_context(staff, chat_id: str) -> tuple[int, dict]:
    group = models.CustomerGroup.get_or_none(models.CustomerGroup.chat_id == chat_id)
    if group is None:
        return 404, {"error": "没有这个客户群的资料，请管理员先同步客户群"}
    member = (models.GroupMember.select()
              .where((models.GroupMember.group == group) & (models.GroupMember.member_id == staff.wecom_userid))
              .exists())
    if not (staff.is_admin or group.owner_userid == staff.wecom_userid or member):
        return 403, {"error": "你不在这个客户群中，无权查看"}
    return 200, {"chat": {"type": "group", "name": group.name},
                 "clients": _clients(clients_for_group(chat_id))}


def _clients(query) -> list[dict]:
    return [{"id": c.id, "name": c.name, "short_name": c.short_name,
             "taxpayer": TAXPAYER.get(c.taxpayer_type, c.taxpayer_type),
             "manager": c.manager.name if c.manager else "", "accountant": c.accountant.name if c.accountant else ""}
            for c in query]


async def chat_context(request: web.Request) -> web.Response:
    """GET /sidebar/api/context?external_userid=… | chat_id=…: the clients linked to the current chat."""
    staff = await require_staff(request)
    external_userid = request.query.get("external_userid", "").strip()
    chat_id = request.query.get("chat_id", "").strip()
    if bool(external_userid) == bool(chat_id):
        return web.json_response({"error": "请提供 external_userid 或 chat_id 中的一个"}, status=400)
    db = request.app[keys.DB]
    if external_userid:
        status, body = await db.run(_contact_context, staff, external_userid)
    else:
        status, body = await db.run(_group_context, staff, chat_id)
    return web.json_response(body, status=status)
