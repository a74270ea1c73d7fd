"""/sandbox: the demo's WeCom simulator (demo mode only; `serve` never mounts it).

A person picks a member, types commands as in WeCom (they travel encrypted through the real callback
path and the decrypted passive reply is shown), sees what the server pushed through the fake API, and
opens the sidebar as if chatting with a chosen contact or group.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import aiohttp_jinja2
from aiohttp import web

from bot import keys, session
from bot.sandbox import jobs
from bot.edge.inputs import InputError, load_json
from bot.sandbox.driver import CallbackDriver
from bot.sandbox.fake.state import FakeWeCom

SANDBOX_FAKE = web.AppKey("sandbox_fake", FakeWeCom)
USER_COOKIE = "zf_sandbox_user"


def setup_sandbox_page(app: web.Application) -> None:
    app.middlewares.append(demo_guard)
    app.router.add_get("/sandbox", page)
    app.router.add_get("/sandbox/api/directory", directory)
    app.router.add_post("/sandbox/api/send", send)
    app.router.add_get("/sandbox/api/messages", messages)
    app.router.add_get("/sandbox/open-sidebar", open_sidebar)
    app.router.add_get("/sandbox/open", open_link)
    app.router.add_get("/sandbox/api/media/{media_id}", media)
    jobs.setup(app)  # 立即运行提醒
    from bot.sandbox import login  # imports this module's helpers, so it is loaded here, not at the top
    login.setup(app)  # /sandbox/sso and /sandbox/oauth


def allowed_hosts(config) -> set[str]:
    """The Host values the demo answers to: the address it is bound to (127.0.0.1, or localhost, and its port).
    Any other name is a DNS-rebinding page trying to reach the demo from a browser."""
    return {f"127.0.0.1:{config.server.port}", f"localhost:{config.server.port}",
            urlsplit(config.base_url).netloc}


@web.middleware
async def demo_guard(request: web.Request, handler):
    """Demo mode: every request names our own host; simulator writes are JSON from our own origin."""
    hosts = allowed_hosts(request.app[keys.CONFIG])
    if request.host not in hosts:
        return web.Response(status=421, text="演示服务只接受发往 127.0.0.1 的请求（Host 不符）")
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.path.startswith("/sandbox/"):
        if request.headers.get("Origin") not in {f"http://{host}" for host in hosts}:
            return web.json_response({"error": "只接受来自模拟器页面本身的请求"}, status=403, dumps=_dumps)
        if request.content_type != "application/json":
            return web.json_response({"error": "请求体必须是 JSON"}, status=415, dumps=_dumps)
    return await handler(request)


def local_path(raw: str) -> str | None:
    """``raw`` as a path (and query) on this site, or None: no scheme, host, '//' or '\\' start, no control
    characters (browsers drop a tab, so '/\t/evil' would become '//evil', another site)."""
    if not raw or len(raw) > 2048 or any(ch < " " or ch in "\\\x7f" for ch in raw):
        return None
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return urlunsplit(("", "", parts.path, parts.query, ""))


def own_url(config, raw: str) -> str | None:
    """``raw`` when it is an absolute URL on the demo's own origin (no userinfo tricks), else None."""
    if not raw or any(ch < " " or ch in "\\\x7f" for ch in raw):
        return None
    parts, base = urlsplit(raw), urlsplit(config.base_url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    path = local_path(urlunsplit(("", "", parts.path, parts.query, "")))
    return f"{base.scheme}://{base.netloc}{path}" if path else None


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _driver(request: web.Request) -> CallbackDriver:
    cfg = request.app[keys.CONFIG]
    return CallbackDriver(cfg.base_url + cfg.wecom.callback_path, cfg.wecom.token, cfg.wecom.aes_key,
                          cfg.wecom.corp_id, cfg.wecom.agent_id, request.app[keys.HTTP])


async def page(request: web.Request) -> web.Response:
    fake = request.app[SANDBOX_FAKE]
    admin_links = [{"name": m.get("name") or m["userid"],
                    "url": "/sandbox/open?" + urlencode({"userid": m["userid"], "path": "/admin"})}
                   for m in fake.directory["members"]]
    return aiohttp_jinja2.render_template("sandbox/index.html", request,
                                          {"jobs": jobs.job_rows(request.app), "admin_links": admin_links})


async def directory(request: web.Request) -> web.Response:
    d = request.app[SANDBOX_FAKE].directory
    contacts = [{"external_userid": c["external_userid"], "name": c["name"], "corp_name": c.get("corp_name", ""),
                 "followers": [f["userid"] for f in c.get("follow_users", [])]} for c in d.get("contacts", [])]
    groups = [{"chat_id": g["chat_id"], "name": g["name"], "owner": g["owner"],
               "members": [m["userid"] for m in g.get("member_list", []) if m.get("type") == 1]}
              for g in d.get("groups", [])]
    return web.json_response({"members": d.get("members", []), "contacts": contacts, "groups": groups})


async def send(request: web.Request) -> web.Response:
    """Deliver a typed command (or the enter_agent event) through the real, encrypted callback path."""
    try:
        body = load_json(await request.read())
    except InputError as exc:
        return web.json_response({"error": exc.reason}, status=400, dumps=_dumps)
    if not isinstance(body, dict):
        return web.json_response({"error": "请求体必须是 JSON 对象"}, status=400, dumps=_dumps)
    userid = str(body.get("userid") or "")
    if request.app[SANDBOX_FAKE].member(userid) is None:
        return web.json_response({"error": "请选择一位企业成员"}, status=400)
    driver = _driver(request)
    if body.get("event") == "enter_agent":
        delivery = await driver.send_event(userid, "enter_agent", {"EventKey": ""})
    else:
        content = str(body.get("content") or "").strip()
        if not content:
            return web.json_response({"error": "请输入内容"}, status=400)
        delivery = await driver.send_text(userid, content[:2000])
    reply = delivery.reply.get("Content") if delivery.reply else None
    return web.json_response({"status": delivery.status, "reply": reply, "later": delivery.reply is None})


async def messages(request: web.Request) -> web.Response:
    """What the server pushed to a member through message/send (as the fake WeCom recorded it)."""
    fake = request.app[SANDBOX_FAKE]
    userid = request.query.get("userid", "")
    out = []
    for msg, dropped in fake.timeline:
        if msg.touser != userid:
            continue
        view = {**asdict(msg), "dropped": dropped}
        media_id = msg.content.get("media_id")
        if media_id and media_id in fake.media:
            view["media_url"] = f"/sandbox/api/media/{quote(media_id, safe='')}"  # same origin: the CSP allows it
            view["filename"] = fake.media[media_id].filename
        out.append(view)
    return web.json_response(out)


async def open_sidebar(request: web.Request) -> web.Response:
    """Open the sidebar as ``userid`` chatting with a contact or group: a fresh sign-in, then /sidebar."""
    userid = request.query.get("userid", "")
    chat = {k: request.query[k] for k in ("external_userid", "chat_id") if request.query.get(k)}
    if request.app[SANDBOX_FAKE].member(userid) is None or len(chat) != 1:
        raise web.HTTPBadRequest(text="需要 userid，以及 external_userid 或 chat_id 之一")
    response = web.HTTPFound("/sidebar?" + urlencode({"sandbox": "1", **chat}))
    response.del_cookie(session.COOKIE, path="/")
    response.set_cookie(USER_COOKIE, userid, httponly=True, samesite="Lax", path="/",
                        secure=session.secure(request.app[keys.CONFIG]))
    raise response


async def open_link(request: web.Request) -> web.Response:
    """Follow a link from a pushed message (e.g. a reminder digest's /reminders) as ``userid``."""
    userid, path = request.query.get("userid", ""), local_path(request.query.get("path", ""))
    if request.app[SANDBOX_FAKE].member(userid) is None or path is None:
        raise web.HTTPBadRequest(text="需要 userid，以及本站的路径 path")
    response = web.HTTPFound(path)
    response.del_cookie(session.COOKIE, path="/")
    response.set_cookie(USER_COOKIE, userid, httponly=True, samesite="Lax", path="/",
                        secure=session.secure(request.app[keys.CONFIG]))
    raise response


async def media(request: web.Request) -> web.Response:
    """An uploaded image or file, so the simulator can show what the sidebar dropped into the chat."""
    item = request.app[SANDBOX_FAKE].media.get(request.match_info["media_id"])
    if item is None:
        raise web.HTTPNotFound(text="没有这个素材（media_id 无效或已过期）")
    return web.Response(body=item.data, content_type=item.content_type)
