"""Helpers every fake endpoint uses: reading fields the way WeCom does, cursors and paging."""
from __future__ import annotations

from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass
from typing import Any, Callable

from bot.sandbox.fake.records import WeComError
from bot.sandbox.fake.state import FakeWeCom

MB = 1024 * 1024


TEXT_LIMIT = 2048  # bytes, text and markdown


FOLLOW_USER_PAGE = 500


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


def cut_text(text: str, limit: int) -> str:
    """Cut to at most `limit` UTF-8 bytes without splitting a character, as WeCom truncates."""
    data = text.encode()
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def str_field(obj: Any, key: str) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is not None and not isinstance(value, str):
        raise WeComError(40058)
    return value or ""


def int_field(obj: dict, key: str, default: int | None = None) -> int | None:
    value = obj.get(key, default)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not str(value).lstrip("-").isdigit():
        raise WeComError(40058)
    return int(value)


def id_list(value: Any) -> list[str]:
    """'a|b|c' -> ['a', 'b', 'c'] without blanks or repeats."""
    if value is None:
        return []
    if not isinstance(value, str):
        raise WeComError(40058)
    return list(dict.fromkeys(part.strip() for part in value.split("|") if part.strip()))


def _encode_cursor(offset: int) -> str:
    return urlsafe_b64encode(f"zf:{offset}".encode()).decode().rstrip("=")


def page_of(items: list, cursor: Any, limit: int) -> tuple[list, str]:
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
