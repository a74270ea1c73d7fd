"""A Reply as the messages that carry it over message/send (images and files are uploaded first)."""
from __future__ import annotations

from bot.outbox.replies import Part
from bot.router import TEXT_LIMIT, Reply

_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
          ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".pdf": "application/pdf"}


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split on line breaks into chunks of at most ``limit`` UTF-8 bytes (WeCom cuts longer text off)."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line.encode("utf-8")) > limit:  # a single over-long line: cut by characters
            cut = len(line.encode("utf-8")[:limit].decode("utf-8", "ignore"))
            chunks.append(line[:cut])
            line = line[cut:]
        if len((current + line).encode("utf-8")) > limit:
            chunks.append(current)
            current = ""
        current += line
    if current.strip():
        chunks.append(current)
    return [c.rstrip("\n") for c in chunks if c.strip()]


def content_type(filename: str) -> str:
    suffix = filename[filename.rfind("."):].lower() if "." in filename else ""
    return _TYPES.get(suffix, "application/octet-stream")


def parts_of(reply: Reply) -> list[Part]:
    """The messages that carry ``reply`` over message/send, in order, for the outbox (bot/outbox/replies.py)."""
    if reply.kind in ("text", "markdown"):
        return [Part({"msgtype": reply.kind, reply.kind: {"content": chunk}}) for chunk in split_text(reply.text)]
    if reply.kind == "textcard":
        card = {"title": reply.title, "description": reply.text, "url": reply.url, "btntxt": "详情"}
        return [Part({"msgtype": "textcard", "textcard": card})]
    if reply.kind in ("image", "file"):  # uploaded when it is sent; the bytes wait in the outbox till then
        media = {"type": reply.kind, "filename": reply.filename, "content_type": content_type(reply.filename)}
        return [Part(media=media, data=reply.data)]
    raise ValueError(f"unknown reply kind {reply.kind!r}")
