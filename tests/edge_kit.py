"""What the edge tests share: raw HTTP over a socket (split bodies, bytes no client library would send) and the
check that a refusal left no traceback in the log."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlencode


def assert_no_traceback(caplog) -> None:
    """No log line carries a traceback or an unhandled-exception report."""
    bad = [f"{r.name}: {r.getMessage()[:120]}" for r in caplog.records
           if r.exc_info or "Traceback" in r.getMessage() or r.levelno >= logging.ERROR]
    assert not bad, bad


@dataclass
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def parse_answer(raw: bytes) -> RawAnswer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = _unchunk(body)
    return RawAnswer(int(lines[0].split()[1]), headers, body)


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size, _, rest = data.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            break
        out, data = out + rest[:n], rest[n + 2:]
    return out


async def raw_exchange(server, pieces: list[bytes], pause: float = 0.0, timeout: float = 15) -> RawAnswer:
    """Send ``pieces`` as separate writes (``pause`` seconds apart) on a fresh connection; read the answer
    until the server closes (requests say Connection: close)."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        for n, piece in enumerate(pieces):
            if n and pause:
                await asyncio.sleep(pause)
            writer.write(piece)
            await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    return parse_answer(raw)


def request_bytes(method: str, path: str, query: dict | None = None, body: bytes = b"",
                  headers: dict | None = None, host: str = "127.0.0.1") -> bytes:
    """One HTTP/1.1 request as bytes, with Content-Length and Connection: close unless given."""
    target = path + (f"?{urlencode(query)}" if query else "")
    fields = {"Host": host, "Connection": "close", **({"Content-Length": str(len(body))} if body else {}),
              **(headers or {})}
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
    return head.encode("latin-1") + body
