"""A fake WeCom server API: an aiohttp app serving /cgi-bin/... like https://qyapi.weixin.qq.com/cgi-bin/.

Every request passes WeCom's gates in order: known API, access token, injected fault,
body format, then the endpoint's own checks. Every answer is HTTP 200 with errcode and
errmsg. /_sandbox/... is not WeCom: it is the demo page's window into the fake's state.
The state and its rules live in fake_state.py.
"""
from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import mimetypes
import secrets
import weakref
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import asdict, dataclass
from typing import Any, Callable
from urllib.parse import quote

from aiohttp import web

from bot.sandbox.fake_state import (
    Call,
    Delivered,
    FakeConfig,
    FakeWeCom,
    Media,
    WeComError,
    member_version,
)

__all__ = ["FAKE_KEY", "Call", "Delivered", "FakeConfig", "FakeWeCom", "Media", "WeComError",
           "create_fake_wecom_app"]

FAKE_KEY = web.AppKey("fake_wecom", FakeWeCom)

MB = 1024 * 1024
TEXT_LIMIT = 2048  # bytes, text and markdown
MAX_RECIPIENTS, MAX_PARTIES_OR_TAGS = 1000, 100
FOLLOW_USER_PAGE = 500
_dumps = functools.partial(json.dumps, ensure_ascii=False)


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Endpoint:
    handler: Callable[[FakeWeCom, dict, Any], dict]
    body: str = "none"  # "none" | "json" | "multipart"
    needs_token: bool = True


# --- small helpers ----------------------------------------------------------------------

def _cut(text: str, limit: int) -> str:
    """Cut to at most `limit` UTF-8 bytes without splitting a character, as WeCom truncates."""
    data = text.encode()
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def _str_field(obj: Any, key: str) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is not None and not isinstance(value, str):
        raise WeComError(40058)
    return value or ""


def _int_field(obj: dict, key: str, default: int | None = None) -> int | None:
    value = obj.get(key, default)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not str(value).lstrip("-").isdigit():
        raise WeComError(40058)
    return int(value)


def _ids(value: Any) -> list[str]:
    """'a|b|c' -> ['a', 'b', 'c'] without blanks or repeats."""
    if value is None:
        return []
    if not isinstance(value, str):
        raise WeComError(40058)
    return list(dict.fromkeys(part.strip() for part in value.split("|") if part.strip()))


def _encode_cursor(offset: int) -> str:
    return urlsafe_b64encode(f"zf:{offset}".encode()).decode().rstrip("=")


def _page(items: list, cursor: Any, limit: int) -> tuple[list, str]:
    """One page of `items` from an opaque cursor, and the next cursor ('' at the end)."""
    start = 0
    if cursor:
        try:
            prefix, _, offset = urlsafe_b64decode(str(cursor) + "==").decode().partition(":")
            start = int(offset) if prefix == "zf" else -1
        except ValueError:
            start = -1
        if start < 0:
            raise WeComError(40058)
    end = start + limit
    return items[start:end], (_encode_cursor(end) if end < len(items) else "")


# --- gettoken, users, OAuth, tickets ----------------------------------------------------

def gettoken(fake: FakeWeCom, query: dict, _: Any) -> dict:
    token, expires_in = fake.issue_token(query.get("corpid"), query.get("corpsecret"))
    return {"access_token": token, "expires_in": expires_in}


def user_get(fake: FakeWeCom, query: dict, _: Any) -> dict:
    if not query.get("userid"):
        raise WeComError(41009)
    member = fake.require_member(query["userid"])
    return {"status": 1, **member}


def auth_getuserinfo(fake: FakeWeCom, query: dict, _: Any) -> dict:
    userid = fake.redeem_oauth_code(query.get("code"))
    if fake.member(userid):
        return {"userid": userid}
    # Not a member (a customer on WeChat): WeCom answers with an openid instead.
    answer = {"openid": "o" + hashlib.sha1(userid.encode()).hexdigest()[:27]}
    if fake.contact(userid):
        answer["external_userid"] = userid
    return answer


def get_jsapi_ticket(fake: FakeWeCom, _: dict, __: Any) -> dict:
    ticket, expires_in = fake.fetch_ticket("corp")
    return {"ticket": ticket, "expires_in": expires_in}


def ticket_get(fake: FakeWeCom, query: dict, _: Any) -> dict:
    if query.get("type") != "agent_config":
        raise WeComError(40058)
    ticket, expires_in = fake.fetch_ticket("agent_config")
    return {"ticket": ticket, "expires_in": expires_in}


# --- message/send -----------------------------------------------------------------------

def _text(fake: FakeWeCom, obj: Any) -> dict:
    content = _str_field(obj, "content")
    if not content:
        raise WeComError(44004)
    return {"content": _cut(content, TEXT_LIMIT)}


def _markdown(fake: FakeWeCom, obj: Any) -> dict:
    content = _str_field(obj, "content")
    if not content:
        raise WeComError(44004)
    if len(content.encode()) > TEXT_LIMIT:
        raise WeComError(45002)
    return {"content": content}


def _textcard(fake: FakeWeCom, obj: Any) -> dict:
    card = {key: _str_field(obj, key) for key in ("title", "description", "url", "btntxt")}
    for key, errcode in (("title", 41016), ("description", 41033), ("url", 41010)):
        if not card[key]:
            raise WeComError(errcode)
    card["title"], card["description"] = _cut(card["title"], 128), _cut(card["description"], 512)
    card["btntxt"] = card["btntxt"][:4] or "详情"
    return card


def _media_message(kind: str) -> Callable[[FakeWeCom, Any], dict]:
    def validate(fake: FakeWeCom, obj: Any) -> dict:
        media_id = obj.get("media_id") if isinstance(obj, dict) else None
        fake.usable_media(media_id, kind)
        return {"media_id": media_id}
    return validate


CONTENT_RULES = {"text": _text, "markdown": _markdown, "textcard": _textcard,
                 "image": _media_message("image"), "file": _media_message("file")}


def _recipients(fake: FakeWeCom, body: dict) -> tuple[list[str], dict]:
    """Members to deliver to, and the invalid* fields of the answer."""
    touser, toparty, totag = (_ids(body.get(k)) for k in ("touser", "toparty", "totag"))
    if len(touser) > MAX_RECIPIENTS:
        raise WeComError(40032)
    if len(toparty) > MAX_PARTIES_OR_TAGS:
        raise WeComError(82002)
    if len(totag) > MAX_PARTIES_OR_TAGS:
        raise WeComError(82003)
    members = fake.directory["members"]
    if touser == ["@all"]:
        return [m["userid"] for m in members], {"invaliduser": "", "invalidparty": "", "invalidtag": ""}
    users = [u for u in touser if fake.member(u)]
    bad_parties = []
    for party in toparty:
        in_party = [m["userid"] for m in members if party in map(str, m.get("department", []))]
        users += in_party
        bad_parties += [] if in_party else [party]
    invalid = {"invaliduser": "|".join(u for u in touser if not fake.member(u)),
               "invalidparty": "|".join(bad_parties),
               "invalidtag": "|".join(totag)}  # the fake has no tags
    return list(dict.fromkeys(users)), invalid


def _duplicate_check(body: dict, msgtype: str, content: dict) -> tuple[str, int] | None:
    if not _int_field(body, "enable_duplicate_check", 0):
        return None
    interval = _int_field(body, "duplicate_check_interval", 1800)
    if not 0 < interval <= 4 * 3600:
        raise WeComError(40058)
    key = [body.get("touser"), body.get("toparty"), body.get("totag"), msgtype, content]
    return json.dumps(key, sort_keys=True, ensure_ascii=False), interval


def message_send(fake: FakeWeCom, _: dict, body: dict) -> dict:
    agentid = body.get("agentid")
    if agentid in (None, ""):
        raise WeComError(41011)
    if str(agentid) != str(fake.config.agent_id):
        raise WeComError(40056)
    msgtype = body.get("msgtype")
    validate = CONTENT_RULES.get(msgtype) if isinstance(msgtype, str) else None
    if validate is None:
        raise WeComError(40008)
    content = validate(fake, body.get(msgtype))
    duplicate_check = _duplicate_check(body, msgtype, content)
    users, invalid = _recipients(fake, body)
    if not users:
        raise WeComError(81013)
    msgid = fake.send(users, msgtype, content, duplicate_check)
    return {**invalid, "unlicenseduser": "", "msgid": msgid}


# --- media/upload -----------------------------------------------------------------------

def _is_image(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


# type -> (max bytes, errcode when too big, content sniffer or None for any content)
UPLOAD_RULES: dict[str, tuple[int, int, Callable[[bytes], str | None] | None]] = {
    "image": (10 * MB, 40009, _is_image),
    "voice": (2 * MB, 40006, lambda d: "audio/amr" if d.startswith(b"#!AMR") else None),
    "video": (10 * MB, 40011, lambda d: "video/mp4" if d[4:8] == b"ftyp" else None),
    "file": (20 * MB, 40006, None),
}
MAX_UPLOAD = max(limit for limit, _, _ in UPLOAD_RULES.values())


def media_upload(fake: FakeWeCom, query: dict, upload: Upload | None) -> dict:
    rule = UPLOAD_RULES.get(query.get("type") or "")
    if rule is None:
        raise WeComError(40005)
    if upload is None or not upload.data:
        raise WeComError(44001)
    max_size, too_big, sniff = rule
    if len(upload.data) <= 5:
        raise WeComError(40006)
    if len(upload.data) > max_size:
        raise WeComError(too_big)
    if sniff is None:
        guessed = mimetypes.guess_type(upload.filename)[0]
        content_type = guessed or upload.content_type or "application/octet-stream"
    else:
        content_type = sniff(upload.data) or ""
        if not content_type:
            raise WeComError(40004)
    media_id = fake.store_media(query["type"], upload.filename, content_type, upload.data)
    return {"type": query["type"], "media_id": media_id,
            "created_at": str(int(fake.media[media_id].created_at))}


# --- external contacts and customer groups ----------------------------------------------

def _contact_view(contact: dict) -> dict:
    return {k: v for k, v in contact.items() if k != "follow_users"}


def _follow_user_view(relation: dict) -> dict:
    defaults = {"remark": "", "description": "", "createtime": 0, "tags": [], "remark_mobiles": [],
                "add_way": 0, "oper_userid": relation["userid"], "state": ""}
    return {**defaults, **relation}


def _follow_info_view(relation: dict) -> dict:
    view = _follow_user_view(relation)
    view["tag_id"] = [tag["tag_id"] for tag in view.pop("tags")]
    return view


def get_follow_user_list(fake: FakeWeCom, _: dict, __: Any) -> dict:
    followers = {f["userid"] for c in fake.directory["contacts"] for f in c.get("follow_users", [])}
    return {"follow_user": [m["userid"] for m in fake.directory["members"] if m["userid"] in followers]}


def externalcontact_list(fake: FakeWeCom, query: dict, _: Any) -> dict:
    if not query.get("userid"):
        raise WeComError(41009)
    fake.require_member(query["userid"])
    ids = [contact["external_userid"] for contact, _ in fake.follow_pairs(query["userid"])]
    if not ids:
        raise WeComError(84061)
    return {"external_userid": ids}


def externalcontact_get(fake: FakeWeCom, query: dict, _: Any) -> dict:
    contact = fake.contact(query.get("external_userid") or "")
    if contact is None:
        raise WeComError(40096)
    follows = contact.get("follow_users", [])
    if not follows:
        raise WeComError(84061)
    page, next_cursor = _page(follows, query.get("cursor"), FOLLOW_USER_PAGE)
    return {"external_contact": _contact_view(contact),
            "follow_user": [_follow_user_view(f) for f in page], "next_cursor": next_cursor}


_PAIR_SNAPSHOTS: "weakref.WeakKeyDictionary[FakeWeCom, tuple]" = weakref.WeakKeyDictionary()


def _follow_pairs_snapshot(fake: FakeWeCom, userids: list[str], continued: bool) -> list:
    """(contact, relation) pairs of these members. A first page (no cursor) cuts a snapshot that its cursor
    pages read on, like a cursor over a result set: paging 20,000 contacts stays linear, not quadratic."""
    cached = _PAIR_SNAPSHOTS.get(fake)
    if continued and cached is not None and cached[0] == userids:
        return cached[1]
    by_user: dict[str, list] = {userid: [] for userid in userids}
    for contact in fake.directory["contacts"]:
        for relation in contact.get("follow_users", []):
            if relation["userid"] in by_user:
                by_user[relation["userid"]].append((contact, relation))
    pairs = [pair for userid in userids for pair in by_user[userid]]
    _PAIR_SNAPSHOTS[fake] = (userids, pairs)
    return pairs


def batch_get_by_user(fake: FakeWeCom, _: dict, body: dict) -> dict:
    userids = body.get("userid_list")
    if not isinstance(userids, list) or not 1 <= len(userids) <= 100 \
            or not all(isinstance(u, str) for u in userids):
        raise WeComError(40058)
    if not all(fake.member(u) for u in userids):
        raise WeComError(40031)
    limit = _int_field(body, "limit", 50) or 50
    if not 1 <= limit <= 100:
        raise WeComError(40058)
    pairs = _follow_pairs_snapshot(fake, list(dict.fromkeys(userids)), bool(body.get("cursor")))
    page, next_cursor = _page(pairs, body.get("cursor"), limit)
    return {"external_contact_list": [
        {"external_contact": _contact_view(c), "follow_info": _follow_info_view(f)} for c, f in page],
        "next_cursor": next_cursor}


def groupchat_list(fake: FakeWeCom, _: dict, body: dict) -> dict:
    limit = _int_field(body, "limit")
    status = _int_field(body, "status_filter", 0)
    owner_filter = body.get("owner_filter") or {}
    owners = (owner_filter.get("userid_list") or []) if isinstance(owner_filter, dict) else None
    if limit is None or not 1 <= limit <= 1000 or status not in (0, 1, 2, 3) \
            or not isinstance(owners, list) or len(owners) > 100:
        raise WeComError(40058)
    # Every fake group is a normal one, so the 离职继承 filters (1-3) match nothing.
    groups = [g for g in fake.directory["groups"] if status == 0 and (not owners or g.get("owner") in owners)]
    page, next_cursor = _page(groups, body.get("cursor"), limit)
    return {"group_chat_list": [{"chat_id": g["chat_id"], "status": 0} for g in page],
            "next_cursor": next_cursor}


def groupchat_get(fake: FakeWeCom, _: dict, body: dict) -> dict:
    group = fake.group(body.get("chat_id") or "") if isinstance(body.get("chat_id"), str) else None
    if group is None:
        raise WeComError(40050)
    need_name = _int_field(body, "need_name", 0) == 1
    members = [{k: v for k, v in m.items() if k != "name" or need_name} for m in group.get("member_list", [])]
    keys = ("chat_id", "name", "owner", "create_time", "notice")
    return {"group_chat": {**{k: group.get(k, "") for k in keys}, "member_list": members,
                           "admin_list": group.get("admin_list", []),
                           "member_version": member_version(group)}}


ATTACHMENT_TYPES = ("image", "link", "miniprogram", "video", "file")


def _check_attachments(fake: FakeWeCom, attachments: Any) -> None:
    if not isinstance(attachments, list) or len(attachments) > 9:
        raise WeComError(40058)
    for item in attachments:
        kind = item.get("msgtype") if isinstance(item, dict) else None
        if kind not in ATTACHMENT_TYPES:
            raise WeComError(40008)
        payload = item.get(kind) if isinstance(item.get(kind), dict) else {}
        if kind in ("video", "file") or (kind == "image" and not payload.get("pic_url")):
            fake.usable_media(payload.get("media_id"), kind)


def add_msg_template(fake: FakeWeCom, _: dict, body: dict) -> dict:
    chat_type = body.get("chat_type") or "single"
    sender = _str_field(body, "sender") or None
    external_userids = body.get("external_userid") or []
    if chat_type not in ("single", "group") or not isinstance(external_userids, list) \
            or len(external_userids) > 10000:
        raise WeComError(40058)
    if (chat_type == "group" or not external_userids) and not sender:
        raise WeComError(40058)
    if sender:
        fake.require_member(sender)
    content = _str_field(body.get("text"), "content")
    attachments = body.get("attachments") or []
    _check_attachments(fake, attachments)
    if not content and not attachments:
        raise WeComError(44004)
    if len(content.encode()) > 4000:
        raise WeComError(45002)
    text = {"content": content} if content else None
    msgid, fail_list = fake.create_template_task(chat_type, sender, external_userids, text, attachments)
    return {"msgid": msgid, "fail_list": fail_list}


ENDPOINTS: dict[str, Endpoint] = {
    "gettoken": Endpoint(gettoken, needs_token=False),
    "message/send": Endpoint(message_send, body="json"),
    "media/upload": Endpoint(media_upload, body="multipart"),
    "user/get": Endpoint(user_get),
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
    query = {key: request.query.get(key) for key in request.query}
    endpoint = ENDPOINTS.get(api)
    body, body_error = None, None
    if endpoint is not None and endpoint.body == "json":
        body, body_error = await _read_json(request)
    elif endpoint is not None and endpoint.body == "multipart":
        body = await _read_upload(request)
    try:
        if endpoint is None:
            raise WeComError(48001)
        if endpoint.needs_token:
            fake.check_token(query.get("access_token"))
        fake.take_fault(api)
        if body_error is not None:
            raise body_error
        payload = {"errcode": 0, "errmsg": "ok", **endpoint.handler(fake, query, body)}
    except WeComError as error:
        payload = {"errcode": error.errcode, "errmsg": _errmsg(error, request, fake.clock())}
    fake.record(request.path, request.method, query, _recorded_body(body), payload["errcode"])
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
    return app
