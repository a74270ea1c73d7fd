"""Numbers and JSON from untrusted requests, read with bounds before Python's own parsers see them.

``int()`` accepts any Unicode digit ('²' fails late, '٣' succeeds) and refuses more than 4,300 digits with a
ValueError; the database refuses integers past 2^63. Every number that comes from a query string, a path or a
JSON body goes through here first, so a bad one is a 400 with a reason instead of a 500 deep in a handler.
"""
from __future__ import annotations

import json
import re
from typing import Any

MAX_ID = 2 ** 63 - 1   # the largest value a BIGINT column (and SQLite's INTEGER) holds
MAX_JSON_DEPTH = 20    # the sidebar's bodies nest two or three levels; anything deeper is not ours
_DIGITS = re.compile(r"[0-9]+")


class InputError(ValueError):
    """A request value that is not acceptable; ``reason`` is one line of simplified Chinese for the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def ascii_int(raw: Any, max_digits: int) -> int | None:
    """The value of a string of 1..max_digits ASCII digits, else None (no signs, spaces or other scripts)."""
    if not isinstance(raw, str) or not 0 < len(raw) <= max_digits or not _DIGITS.fullmatch(raw):
        return None
    return int(raw)


def parse_id(raw: Any) -> int | None:
    """A database id from text: ASCII digits, 1..MAX_ID; None otherwise."""
    value = ascii_int(raw, len(str(MAX_ID)))
    return value if value is not None and 0 < value <= MAX_ID else None


def _bounded_int(text: str) -> int:
    # json.loads hands every integer literal here as text, before any int() conversion happens.
    if len(text.lstrip("-")) > len(str(MAX_ID)) or abs(int(text)) > MAX_ID:
        raise InputError("数字超出范围")
    return int(text)


def _no_constant(name: str) -> Any:
    raise InputError(f"不支持 {name}")


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, walked without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def load_json(data: bytes | str) -> Any:
    """Parse a JSON request body: integers within MAX_ID, no NaN/Infinity, at most MAX_JSON_DEPTH levels."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant)
    except InputError:
        raise
    except RecursionError:
        raise InputError("JSON 嵌套层数过多") from None
    except (ValueError, UnicodeDecodeError):
        raise InputError("请求内容不是有效的 JSON") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise InputError("JSON 嵌套层数过多")
    return value
