"""Decrypted callback XML -> small typed message and event objects (客户联系 events included).

wechatpy 1.8.18 turns every 客户联系/客户群/标签 event into UnknownMessage, so all parsing happens here,
on the dict produced by bot.edge.crypto.parse_xml.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from bot.edge.inputs import ascii_int


@dataclass(frozen=True)
class Message:
    """Common header of everything WeCom posts to the callback."""

    to_user: str
    from_user: str
    create_time: int
    msg_type: str
    agent_id: int | None
    raw: dict[str, Any] = field(repr=False, compare=False)
    plaintext: str = field(repr=False, compare=False, default="")

    @property
    def kind(self) -> str:
        return self.msg_type

    @property
    def dedupe_key(self) -> str:
        """Events have no MsgId and 客户联系 events all come from 'sys': key them by their whole payload."""
        return "evt:" + hashlib.sha256(self.plaintext.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TextMessage(Message):
    content: str = ""
    msg_id: str = ""

    @property
    def dedupe_key(self) -> str:
        # MsgId is a 64-bit number; anything else (it is signed, but never trusted to be short) keys by payload.
        return f"msg:{self.msg_id}" if ascii_int(self.msg_id, 20) is not None else super().dedupe_key


@dataclass(frozen=True)
class Event(Message):
    event: str = ""

    @property
    def kind(self) -> str:
        return f"event:{self.event}"


@dataclass(frozen=True)
class EnterAgentEvent(Event):
    event_key: str = ""


@dataclass(frozen=True)
class ExternalContactEvent(Event):
    """change_external_contact: add/edit/del external contact, del_follow_user, transfer_fail, half add."""

    change_type: str = ""
    user_id: str = ""
    external_user_id: str = ""
    state: str = ""
    welcome_code: str = ""
    source: str = ""
    fail_reason: str = ""


@dataclass(frozen=True)
class ExternalChatEvent(Event):
    """change_external_chat: create / update (with UpdateDetail) / dismiss of a customer group."""

    chat_id: str = ""
    change_type: str = ""
    update_detail: str = ""
    join_scene: int | None = None
    quit_scene: int | None = None
    mem_change_cnt: int | None = None
    mem_change_list: tuple[str, ...] = ()
    last_mem_ver: str = ""
    cur_mem_ver: str = ""


@dataclass(frozen=True)
class ExternalTagEvent(Event):
    """change_external_tag: create / update / delete / shuffle of corp tags or tag groups."""

    tag_id: str = ""
    tag_type: str = ""
    change_type: str = ""
    strategy_id: str = ""


@dataclass(frozen=True)
class UnknownMessage(Message):
    pass


def parse_message(data: dict[str, Any], plaintext: str = "") -> Message:
    """Build the typed object for a decrypted payload; unknown kinds become UnknownMessage."""
    header = dict(
        to_user=_s(data, "ToUserName"),
        from_user=_s(data, "FromUserName"),
        create_time=_int(data, "CreateTime") or 0,
        msg_type=_s(data, "MsgType"),
        agent_id=_int(data, "AgentID"),
        raw=data,
        plaintext=plaintext,
    )
    if header["msg_type"] == "text":
        return TextMessage(**header, content=_s(data, "Content"), msg_id=_s(data, "MsgId"))
    if header["msg_type"] != "event":
        return UnknownMessage(**header)
    event = _s(data, "Event")
    builder = _EVENT_BUILDERS.get(event)
    if builder is None:
        return Event(**header, event=event)
    return builder(header, data, event)


def _enter_agent(header: dict, data: dict, event: str) -> Message:
    return EnterAgentEvent(**header, event=event, event_key=_s(data, "EventKey"))


def _external_contact(header: dict, data: dict, event: str) -> Message:
    return ExternalContactEvent(
        **header, event=event, change_type=_s(data, "ChangeType"), user_id=_s(data, "UserID"),
        external_user_id=_s(data, "ExternalUserID"), state=_s(data, "State"),
        welcome_code=_s(data, "WelcomeCode"), source=_s(data, "Source"), fail_reason=_s(data, "FailReason"),
    )


def _external_chat(header: dict, data: dict, event: str) -> Message:
    return ExternalChatEvent(
        **header, event=event, chat_id=_s(data, "ChatId"), change_type=_s(data, "ChangeType"),
        update_detail=_s(data, "UpdateDetail"), join_scene=_int(data, "JoinScene"),
        quit_scene=_int(data, "QuitScene"), mem_change_cnt=_int(data, "MemChangeCnt"),
        mem_change_list=_items(data.get("MemChangeList")), last_mem_ver=_s(data, "LastMemVer"),
        cur_mem_ver=_s(data, "CurMemVer"),
    )


def _external_tag(header: dict, data: dict, event: str) -> Message:
    return ExternalTagEvent(
        **header, event=event, tag_id=_s(data, "Id"), tag_type=_s(data, "TagType"),
        change_type=_s(data, "ChangeType"), strategy_id=_s(data, "StrategyId"),
    )


_EVENT_BUILDERS = {
    "enter_agent": _enter_agent,
    "change_external_contact": _external_contact,
    "change_external_chat": _external_chat,
    "change_external_tag": _external_tag,
}


def _s(data: dict, key: str) -> str:
    value = data.get(key, "")
    return value if isinstance(value, str) else ""


def _int(data: dict, key: str) -> int | None:
    """A numeric field as WeCom writes it (ASCII digits, 64-bit at most); None when absent or anything else."""
    return ascii_int(_s(data, key), 19)


def _items(value: Any) -> tuple[str, ...]:
    """MemChangeList holds one <Item> or several; normalise both (and absence) to a tuple of ids."""
    if not isinstance(value, dict):
        return ()
    items = value.get("Item", [])
    if isinstance(items, str):
        items = [items]
    return tuple(i for i in items if isinstance(i, str) and i)
