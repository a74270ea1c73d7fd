"""Fake endpoints for messages: message/send (content rules, caps, duplicate check) and media/upload."""
from __future__ import annotations

import json
import mimetypes
from typing import Any, Callable

from bot.sandbox.fake.kit import MB, TEXT_LIMIT, Upload, cut_text, id_list, int_field, str_field
from bot.sandbox.fake.records import WeComError
from bot.sandbox.fake.state import FakeWeCom

MAX_RECIPIENTS, MAX_PARTIES_OR_TAGS = 1000, 100


def _text(fake: FakeWeCom, obj: Any) -> dict:
    content = str_field(obj, "content")
    if not content:
        raise WeComError(44004)
    return {"content": cut_text(content, TEXT_LIMIT)}


def _markdown(fake: FakeWeCom, obj: Any) -> dict:
    content = str_field(obj, "content")
    if not content:
        raise WeComError(44004)
    if len(content.encode()) > TEXT_LIMIT:
        raise WeComError(45002)
    return {"content": content}


def _textcard(fake: FakeWeCom, obj: Any) -> dict:
    card = {key: str_field(obj, key) for key in ("title", "description", "url", "btntxt")}
    for key, errcode in (("title", 41016), ("description", 41033), ("url", 41010)):
        if not card[key]:
            raise WeComError(errcode)
    card["title"], card["description"] = cut_text(card["title"], 128), cut_text(card["description"], 512)
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
    touser, toparty, totag = (id_list(body.get(k)) for k in ("touser", "toparty", "totag"))
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
    if not int_field(body, "enable_duplicate_check", 0):
        return None
    interval = int_field(body, "duplicate_check_interval", 1800)
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
