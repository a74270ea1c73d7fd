"""A fake WeCom server API: an aiohttp app serving /cgi-bin/... like https://qyapi.weixin.qq.com/cgi-bin/.

Every request passes WeCom's gates in order: known API, access token, injected fault,
body format, then the endpoint's own checks. Every answer is HTTP 200 with errcode and
errmsg. /_sandbox/... is not WeCom: it is the demo page's window into the fake's state.
The state and its rules live in state.py; the endpoints by API group in auth.py, messages.py, contacts.py.
"""
from __future__ import annotations

import asyncio
import functools
import json
import secrets
from dataclasses import asdict
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.sandbox.fake.auth import auth_getuserinfo, get_jsapi_ticket, gettoken, ticket_get
from bot.sandbox.fake.contacts import (
    add_msg_template,
    batch_get_by_user,
    externalcontact_get,
    externalcontact_list,
    get_follow_user_list,
    groupchat_get,
    groupchat_list,
)
from bot.sandbox.fake.control import add_control_routes
from bot.sandbox.fake.kit import MB, Endpoint, Upload
from bot.sandbox.fake.members import user_get, user_getuserdetail, user_list_id
from bot.sandbox.fake.messages import MAX_UPLOAD, media_upload, message_send
from bot.sandbox.fake.state import Delivered, FakeWeCom, WeComError
from bot.sandbox.fake.transfer import (
    get_unassigned_list,
    groupchat_onjob_transfer,
    groupchat_transfer,
    resigned_transfer_customer,
    resigned_transfer_result,
    transfer_customer,
    transfer_result,
)

FAKE_KEY = web.AppKey("fake_wecom", FakeWeCom)

_dumps = functools.partial(json.dumps, ensure_ascii=False)


ENDPOINTS: dict[str, Endpoint] = {
    "gettoken": Endpoint(gettoken, needs_token=False),
    "message/send": Endpoint(message_send, body="json"),
    "media/upload": Endpoint(media_upload, body="multipart"),
    "user/get": Endpoint(user_get),
    "user/list_id": Endpoint(user_list_id, body="json"),
    "user/getuserdetail": Endpoint(user_getuserdetail, body="json"),
    "auth/getuserinfo": Endpoint(auth_getuserinfo),
    "get_jsapi_ticket": Endpoint(get_jsapi_ticket),
    "ticket/get": Endpoint(ticket_get),
    "externalcontact/get_follow_user_list": Endpoint(get_follow_user_list),
    "externalcontact/list": Endpoint(externalcontact_list),
    "externalcontact/get": Endpoint(externalcontact_get),
    "externalcontact/batch/get_by_user": Endpoint(batch_get_by_user, body="json"),
    "externalcontact/groupchat/list": Endpoint(groupchat_list, body="json"),
    "externalcontact/groupchat/get": Endpoint(groupchat_get, body="json"),
    "externalcontact/add_msg_template": Endpoint(add_msg_template, body="json"),
    "externalcontact/transfer_customer": Endpoint(transfer_customer, body="json"),
    "externalcontact/resigned/transfer_customer": Endpoint(resigned_transfer_customer, body="json"),
    "externalcontact/transfer_result": Endpoint(transfer_result, body="json"),
    "externalcontact/resigned/transfer_result": Endpoint(resigned_transfer_result, body="json"),
    "externalcontact/groupchat/transfer": Endpoint(groupchat_transfer, body="json"),
    "externalcontact/groupchat/onjob_transfer": Endpoint(groupchat_onjob_transfer, body="json"),
    "externalcontact/get_unassigned_list": Endpoint(get_unassigned_list, body="json"),
}


# --- the /cgi-bin dispatcher -------------------------------------------------------------

async def _read_json(request: web.Request) -> tuple[dict | None, WeComError | None]:
    raw = await request.read()
    if not raw.strip():
        return None, WeComError(44002)
    try:
        body = json.loads(raw)
    except ValueError:
        return None, WeComError(47001)
    return (body, None) if isinstance(body, dict) else (None, WeComError(47001))


async def _read_upload(request: web.Request) -> Upload | None:
    """The multipart field `media` (with a filename), read up to just past the largest limit."""
    if not request.content_type.startswith("multipart/"):
        return None
    try:
        async for part in await request.multipart():
            if getattr(part, "name", None) == "media" and getattr(part, "filename", None):
                chunks, size = [], 0
                while size <= MAX_UPLOAD and (chunk := await part.read_chunk()):
                    chunks.append(chunk)
                    size += len(chunk)
                content_type = part.headers.get("Content-Type", "").split(";")[0].strip()
                return Upload(part.filename, content_type, b"".join(chunks))
    except ValueError:
        return None
    return None


def _recorded_body(body: Any) -> dict | None:
    if isinstance(body, Upload):
        return {"media": {"filename": body.filename, "content_type": body.content_type,
                          "length": len(body.data)}}
    return body


def _errmsg(error: WeComError, request: web.Request, now: float) -> str:
    if error.custom_errmsg:
        return error.custom_errmsg
    hint = f"{int(now)}_{secrets.token_hex(16)}"
    return (f"{error.errmsg}, hint: [{hint}], from ip: {request.remote}, "
            f"more info at https://open.work.weixin.qq.com/devtool/query?e={error.errcode}")


async def _cgi_bin(request: web.Request) -> web.Response:
    fake = request.app[FAKE_KEY]
    if fake.config.latency > 0:
        await asyncio.sleep(fake.config.latency)
    api = request.match_info["api"].strip("/")
    fake.handover.settle()  # transfers whose 24 hours passed on the fake's clock end before anyone looks
    query = {key: request.query.get(key) for key in request.query}
    endpoint = ENDPOINTS.get(api)
    body, body_error = None, None
    if endpoint is not None and endpoint.body == "json":
        body, body_error = await _read_json(request)
    elif endpoint is not None and endpoint.body == "multipart":
        body = await _read_upload(request)
    fault = None
    try:
        if endpoint is None:
            raise WeComError(48001)
        if endpoint.needs_token:
            fake.check_token(query.get("access_token"))
        fault = fake.take_fault(api)
        if fault is not None and not fault.after_delivery:
            raise WeComError(fault.errcode or -1, fault.errmsg)  # refused before anything happened
        if body_error is not None:
            raise body_error
        payload = {"errcode": 0, "errmsg": "ok", **endpoint.handler(fake, query, body)}
        if fault is not None and fault.errcode:  # WeCom did the work, then answered with an error
            raise WeComError(fault.errcode, fault.errmsg)
    except WeComError as error:
        payload = {"errcode": error.errcode, "errmsg": _errmsg(error, request, fake.clock())}
    status = fault.status if fault is not None else 200
    fake.record(request.path, request.method, query, _recorded_body(body),
                payload["errcode"] if status == 200 else -status)
    if fault is not None and fault.stall:
        await asyncio.sleep(fault.stall)  # the client has given up by now
    if status != 200:
        return web.Response(status=status, text=f"<html><body>{status} Bad Gateway</body></html>",
                            content_type="text/html")
    return web.json_response(payload, dumps=_dumps)


# --- /_sandbox: the demo page's view (not part of WeCom) --------------------------------

def _message_view(message: Delivered, dropped: bool, fake: FakeWeCom) -> dict:
    view = {**asdict(message), "dropped": dropped}
    media = fake.media.get(message.content.get("media_id", ""))
    if message.msgtype in ("image", "file") and media is not None:
        view.update(media_url=f"/_sandbox/media/{message.content['media_id']}", filename=media.filename)
    return view


async def _sandbox_messages(request: web.Request) -> web.Response:
    fake = request.app[FAKE_KEY]
    userid = request.query.get("userid")
    if not userid:
        return web.json_response({"error": "userid is required"}, status=400)
    views = [_message_view(m, dropped, fake) for m, dropped in fake.timeline if m.touser == userid]
    return web.json_response(views, dumps=_dumps)


async def _sandbox_media(request: web.Request) -> web.Response:
    media = request.app[FAKE_KEY].media.get(request.match_info["media_id"])
    if media is None:
        return web.json_response({"error": "unknown media_id"}, status=404)
    disposition = "inline" if media.type == "image" else "attachment"
    headers = {"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(media.filename)}"}
    return web.Response(body=media.data, content_type=media.content_type, headers=headers)


async def _sandbox_calls(request: web.Request) -> web.Response:
    raw = request.query.get("limit", "50")
    if not raw.isdigit():
        return web.json_response({"error": "limit must be a number"}, status=400)
    calls = request.app[FAKE_KEY].calls[-int(raw):] if int(raw) else []
    return web.json_response([asdict(c) for c in calls], dumps=_dumps)


async def _sandbox_oauth_code(request: web.Request) -> web.Response:
    try:
        userid = (await request.json()).get("userid")
    except (ValueError, AttributeError):
        userid = None
    if not isinstance(userid, str) or not userid:
        return web.json_response({"error": "userid is required"}, status=400)
    return web.json_response({"code": request.app[FAKE_KEY].issue_oauth_code(userid)})


async def _sandbox_directory(request: web.Request) -> web.Response:
    return web.json_response(request.app[FAKE_KEY].directory, dumps=_dumps)


def create_fake_wecom_app(fake: FakeWeCom) -> web.Application:
    """The fake as an aiohttp app: WeCom's /cgi-bin/... plus the demo's /_sandbox/..."""
    app = web.Application(client_max_size=2 * MB)  # JSON bodies; uploads are streamed
    app[FAKE_KEY] = fake
    app.router.add_route("*", "/cgi-bin/{api:.*}", _cgi_bin)
    app.router.add_get("/_sandbox/messages", _sandbox_messages)
    app.router.add_get("/_sandbox/media/{media_id}", _sandbox_media)
    app.router.add_get("/_sandbox/calls", _sandbox_calls)
    app.router.add_post("/_sandbox/oauth-code", _sandbox_oauth_code)
    app.router.add_get("/_sandbox/directory", _sandbox_directory)
    add_control_routes(app, FAKE_KEY)
    return app
