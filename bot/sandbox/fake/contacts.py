"""Fake endpoints for 客户联系: external contacts, follow users, customer groups and add_msg_template."""
from __future__ import annotations

import weakref
from typing import Any

from bot.sandbox.fake.kit import FOLLOW_USER_PAGE, int_field, page_of, str_field
from bot.sandbox.fake.records import WeComError
from bot.sandbox.fake.state import FakeWeCom, member_version

# the follow pairs of the last batch_get_by_user walk, so a cursor pages one consistent snapshot
PAIR_SNAPSHOTS: "weakref.WeakKeyDictionary[FakeWeCom, tuple]" = weakref.WeakKeyDictionary()


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
    page, next_cursor = page_of(follows, query.get("cursor"), FOLLOW_USER_PAGE)
    return {"external_contact": _contact_view(contact),
            "follow_user": [_follow_user_view(f) for f in page], "next_cursor": next_cursor}


def _follow_pairs_snapshot(fake: FakeWeCom, userids: list[str], continued: bool) -> list:
    """(contact, relation) pairs of these members. A first page (no cursor) cuts a snapshot that its cursor
    pages read on, like a cursor over a result set: paging 20,000 contacts stays linear, not quadratic."""
    cached = PAIR_SNAPSHOTS.get(fake)
    if continued and cached is not None and cached[0] == userids:
        return cached[1]
    by_user: dict[str, list] = {userid: [] for userid in userids}
    for contact in fake.directory["contacts"]:
        for relation in contact.get("follow_users", []):
            if relation["userid"] in by_user:
                by_user[relation["userid"]].append((contact, relation))
    pairs = [pair for userid in userids for pair in by_user[userid]]
    PAIR_SNAPSHOTS[fake] = (userids, pairs)
    return pairs


def batch_get_by_user(fake: FakeWeCom, _: dict, body: dict) -> dict:
    userids = body.get("userid_list")
    if not isinstance(userids, list) or not 1 <= len(userids) <= 100 \
            or not all(isinstance(u, str) for u in userids):
        raise WeComError(40058)
    if not all(fake.member(u) for u in userids):
        raise WeComError(40031)
    limit = int_field(body, "limit", 50) or 50
    if not 1 <= limit <= 100:
        raise WeComError(40058)
    pairs = _follow_pairs_snapshot(fake, list(dict.fromkeys(userids)), bool(body.get("cursor")))
    page, next_cursor = page_of(pairs, body.get("cursor"), limit)
    return {"external_contact_list": [
        {"external_contact": _contact_view(c), "follow_info": _follow_info_view(f)} for c, f in page],
        "next_cursor": next_cursor}


def groupchat_list(fake: FakeWeCom, _: dict, body: dict) -> dict:
    limit = int_field(body, "limit")
    status = int_field(body, "status_filter", 0)
    owner_filter = body.get("owner_filter") or {}
    owners = (owner_filter.get("userid_list") or []) if isinstance(owner_filter, dict) else None
    if limit is None or not 1 <= limit <= 1000 or status not in (0, 1, 2, 3) \
            or not isinstance(owners, list) or len(owners) > 100:
        raise WeComError(40058)
    # Every fake group is a normal one, so the 离职继承 filters (1-3) match nothing.
    groups = [g for g in fake.directory["groups"] if status == 0 and (not owners or g.get("owner") in owners)]
    page, next_cursor = page_of(groups, body.get("cursor"), limit)
    return {"group_chat_list": [{"chat_id": g["chat_id"], "status": 0} for g in page],
            "next_cursor": next_cursor}


def groupchat_get(fake: FakeWeCom, _: dict, body: dict) -> dict:
    group = fake.group(body.get("chat_id") or "") if isinstance(body.get("chat_id"), str) else None
    if group is None:
        raise WeComError(40050)
    need_name = int_field(body, "need_name", 0) == 1
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
    sender = str_field(body, "sender") or None
    external_userids = body.get("external_userid") or []
    if chat_type not in ("single", "group") or not isinstance(external_userids, list) \
            or len(external_userids) > 10000:
        raise WeComError(40058)
    if (chat_type == "group" or not external_userids) and not sender:
        raise WeComError(40058)
    if sender:
        fake.require_member(sender)
    content = str_field(body.get("text"), "content")
    attachments = body.get("attachments") or []
    _check_attachments(fake, attachments)
    if not content and not attachments:
        raise WeComError(44004)
    if len(content.encode()) > 4000:
        raise WeComError(45002)
    text = {"content": content} if content else None
    msgid, fail_list = fake.create_template_task(chat_type, sender, external_userids, text, attachments)
    return {"msgid": msgid, "fail_list": fail_list}
