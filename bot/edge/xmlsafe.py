"""Callback XML read safely: UTF-8 only, no DTD, no entities, bounded depth, checked before any other work.

WeCom sends UTF-8 without a byte-order mark. Anything else is refused before a parser sees it: a UTF-16 body
hid a DOCTYPE from the byte regex this replaces, and expat then expanded its entities on the event loop.
The parser is expat with handlers that refuse a DOCTYPE the moment it starts (before its internal subset is
read), any entity or notation declaration and any external entity; the document encoding is pinned to UTF-8
whatever the prolog says. The tree is built by the handlers with a depth cap, so there is no recursion.
"""
from __future__ import annotations

import codecs
import re
from typing import Any
from xml.parsers import expat

# WeCom payloads nest two levels (<xml><MemChangeList><Item>); this leaves room and nothing more.
MAX_DEPTH = 8
_DECLARED = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]*)[\"']")
_UTF8_NAMES = {b"utf-8", b"utf8"}


class XmlRefused(Exception):
    """The document is not acceptable; ``reason`` says why in one line, ``kind`` is dtd | encoding | malformed."""

    def __init__(self, reason: str, kind: str = "malformed"):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


def check_encoding(data: bytes) -> None:
    """Refuse anything but UTF-8 without a BOM, and a prolog that declares another encoding."""
    if data.startswith(codecs.BOM_UTF8):
        raise XmlRefused("byte-order mark not accepted (UTF-8 without BOM only)", "encoding")
    if b"\x00" in data:  # UTF-16/32 text is mostly NUL bytes; XML allows no NUL at all
        raise XmlRefused("not UTF-8 (NUL bytes)", "encoding")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise XmlRefused("not UTF-8", "encoding") from None
    declared = _DECLARED.match(data)
    if declared and declared.group(1).lower() not in _UTF8_NAMES:
        raise XmlRefused("declares an encoding other than UTF-8", "encoding")


def _refuse_dtd(*_args: Any) -> None:
    raise XmlRefused("DOCTYPE/ENTITY declarations are not accepted", "dtd")


def _add(children: dict[str, Any], tag: str, value: Any) -> None:
    """Children become keys; a repeated child becomes a list (MemChangeList's <Item>s)."""
    if tag not in children:
        children[tag] = value
    elif isinstance(children[tag], list):
        children[tag].append(value)
    else:
        children[tag] = [children[tag], value]


def _parser(stack: list) -> expat.XMLParserType:
    parser = expat.ParserCreate(encoding="UTF-8")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    for name in ("StartDoctypeDeclHandler", "EntityDeclHandler", "UnparsedEntityDeclHandler",
                 "NotationDeclHandler", "ExternalEntityRefHandler"):
        setattr(parser, name, _refuse_dtd)
    parser.buffer_text = True

    def start(tag: str, _attrs: dict) -> None:
        if len(stack) > MAX_DEPTH:
            raise XmlRefused("XML nested too deeply")
        stack.append((tag, {}, []))

    def end(tag: str) -> None:
        _, children, text = stack.pop()
        _add(stack[-1][1], tag, children if children else "".join(text).strip())

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = lambda data: stack[-1][2].append(data)
    return parser


def parse(data: bytes | str) -> dict[str, Any]:
    """The root element's children as a dict (leaves as stripped text); XmlRefused for anything unacceptable."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    check_encoding(raw)
    stack: list = [(None, {}, [])]
    try:
        _parser(stack).Parse(raw, True)
    except expat.ExpatError:
        raise XmlRefused("malformed XML") from None
    roots = list(stack[0][1].values())
    return roots[0] if roots and isinstance(roots[0], dict) else {}
