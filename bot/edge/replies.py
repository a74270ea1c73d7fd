"""Deliver a Reply through message/send (uploading images and files first)."""
from __future__ import annotations

from bot.router import TEXT_LIMIT, Reply
from bot.wecom import WeComClient

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


async def deliver(wecom: WeComClient, touser: str, reply: Reply) -> None:
    """Send ``reply`` to one member."""
    if reply.kind == "text":
        for chunk in split_text(reply.text):
            await wecom.send_text(touser, chunk)
    elif reply.kind == "markdown":
        for chunk in split_text(reply.text):
            await wecom.send_markdown(touser, chunk)
    elif reply.kind == "textcard":
        await wecom.send_textcard(touser, reply.title, reply.text, reply.url)
    elif reply.kind in ("image", "file"):
        media_id = await wecom.media_upload(reply.kind, reply.filename, reply.data, content_type(reply.filename))
        send = wecom.send_image if reply.kind == "image" else wecom.send_file
        await send(touser, media_id)
    else:
        raise ValueError(f"unknown reply kind {reply.kind!r}")
