"""JSON in and out: every error is {"error": {"code", "message"(中文), …}}; a body is read with its limits
(content type, size, depth, integer range) before any handler sees it, so bad input is a 4xx, never a 500."""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.edge.inputs import InputError, load_json


class ApiError(Exception):
    """An answer other than success: HTTP status, a machine code, a Chinese message and optional details."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None, **details: Any):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers, self.details = headers or {}, details

    def response(self) -> web.Response:
        return answer({"error": {"code": self.code, "message": self.message, **self.details}}, self.status,
                      self.headers)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def answer(body: Any, status: int = 200, headers: dict | None = None) -> web.Response:
    # API answers carry records of clients: never cached by a proxy or the caller's HTTP library.
    return web.json_response(body, status=status, dumps=_dumps, headers={"Cache-Control": "no-store", **(headers or {})})


async def read_json(request: web.Request, max_bytes: int) -> Any:
    """The request's JSON body: 415 when it is not declared as JSON, 413 when larger than ``max_bytes``, 400 when
    it is not valid JSON within the edge's depth and integer limits."""
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "请求内容须为 JSON（Content-Type: application/json）。")
    if request.content_length is not None and request.content_length > max_bytes:
        raise _too_large(max_bytes)
    try:
        data = await request.clone(client_max_size=max_bytes).read()
    except web.HTTPRequestEntityTooLarge:
        raise _too_large(max_bytes) from None
    try:
        return load_json(data)
    except InputError as exc:
        raise ApiError(400, "invalid_json", exc.reason) from None


def _too_large(max_bytes: int) -> ApiError:
    return ApiError(413, "body_too_large", f"请求内容超过 {max_bytes // 1024} KB，请分批提交。")
