"""The chat sidebar (聊天工具栏 page), skeleton: sign-in, JS-SDK signatures, the clients behind a chat.

Every request is checked on the server: a member only gets answers for an external contact they follow,
or a customer group they own or sit in (admins: any).
"""
from __future__ import annotations

import hashlib
import secrets
import time
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web

import models
from bot import keys, session
from bot.wecom import WeComError
from handlers.sidebar.choice import default_client, remember_choice
from handlers.sidebar.scope import chat_scope, json_error, read_json, require_staff
from handlers import signin
from handlers.signin import signed_in_staff

SIDEBAR = "/sidebar"
# Tab scripts under static/tabs/, in the order the tabs appear (the manual's order).
TABS = ["profile", "services", "billing", "intake", "followups", "filings", "reports", "invoices",
        "knowledge"]


def setup(app: web.Application) -> None:
    signin.setup(app)
    app.router.add_get(SIDEBAR, page)
    app.router.add_get(SIDEBAR + "/api/jssdk", jssdk_signatures)
    app.router.add_get(SIDEBAR + "/api/context", chat_context)
    app.router.add_post(SIDEBAR + "/api/context/client", choose_client)


async def page(request: web.Request) -> web.Response:
    """GET /sidebar: sign the member in, then the page (or the binding step)."""
    staff = await signed_in_staff(request)
    if isinstance(staff, web.Response):
        return staff
    config = request.app[keys.CONFIG]
    csrf = session.read(config, request.cookies.get(session.COOKIE))[1]
    context = {"staff": staff, "csrf": csrf, "corp_id": config.wecom.corp_id,
               "agent_id": config.wecom.agent_id, "jssdk_url": config.sidebar.jssdk_url,
               "sandbox": config.demo_mode and request.query.get("sandbox") == "1", "tabs": TABS}
    return aiohttp_jinja2.render_template("sidebar/index.html", request, context)


def js_signature(ticket: str, noncestr: str, timestamp: str, url: str) -> str:
    """doc/90506: sha1 over jsapi_ticket, noncestr, timestamp and url (without the #fragment)."""
    url = url.split("#", 1)[0]
    raw = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


def under_base_url(base_url: str, url: str) -> bool:
    """True for an absolute URL on our own origin and under our base path: a signature for any other URL would
    let another site use our corp's JS-SDK identity."""
    if not url or len(url) > 2048 or any(ch <= " " or ch in "\\\x7f" for ch in url):
        return False
    base, parts = urlsplit(base_url), urlsplit(url)
    prefix = base.path.rstrip("/") + "/"
    return (parts.scheme == base.scheme and parts.netloc.lower() == base.netloc.lower()
            and parts.path.startswith(prefix))


async def jssdk_signatures(request: web.Request) -> web.Response:
    """Signatures for ww.register's config and agentConfig; tickets never leave the server."""
    await require_staff(request)
    url = request.query.get("url", "")
    if not under_base_url(request.app[keys.CONFIG].base_url, url):
        return web.json_response({"error": "url 参数必须是本站页面的完整地址"}, status=400)
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


def _clients(scope, ids: list[int]) -> tuple[list[dict], int | None]:
    """The chat's linked clients by name, and the one the sidebar opens on (sidebar/choice.py)."""
    clients = list(models.Client.select().where(models.Client.id.in_(ids)).order_by(models.Client.name))
    names = [scope.name, getattr(scope.entity, "corp_name", "") or ""]
    selected = default_client(scope.staff, scope.key, names, clients)
    return [{"id": c.id, "name": c.name, "short_name": c.short_name,
             "taxpayer": models.TAXPAYER_TYPES.get(c.taxpayer_type, c.taxpayer_type),
             "manager": c.manager.name if c.manager else "", "accountant": c.accountant.name if c.accountant else ""}
            for c in clients], selected


async def chat_context(request: web.Request) -> web.Response:
    """GET /sidebar/api/context?external_userid=… | chat_id=…: the clients linked to the current chat."""
    scope = await chat_scope(request)
    clients, selected = await request.app[keys.DB].run(_clients, scope, scope.client_ids)
    corp_name = getattr(scope.entity, "corp_name", "") or ""
    return web.json_response({"chat": {"type": scope.kind, "name": scope.name, "corp_name": corp_name},
                              "clients": clients, "selected": selected,
                              "staff": {"name": scope.staff.name, "is_admin": scope.staff.is_admin}})


async def choose_client(request: web.Request) -> web.Response:
    """POST {client_id}: the member switched to another of the chat's clients; opened on it next time."""
    scope = await chat_scope(request)
    body = await read_json(request)
    client_id = body.get("client_id")
    if not isinstance(client_id, int) or client_id not in scope.client_ids:
        raise json_error(400, "请选择当前会话已关联的客户")
    await request.app[keys.DB].run(remember_choice, scope.staff, scope.key, client_id, request.app[keys.CLOCK]())
    return web.json_response({"selected": client_id})
