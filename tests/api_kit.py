"""Helpers for the JSON API's tests: a token made the way the console makes one, and a JSON call with it."""
from __future__ import annotations

import io
import json

import models
from handlers.api import auth
from tests.conftest import run_sync


async def make_token(stack, scope: str = "write", name: str = "记账软件") -> str:
    """A live token's secret (created by nobody in particular, as the CLI or a test would)."""
    now = models.utcnow()
    _, secret = await run_sync(stack, lambda: auth.create_token(name, scope, None, now))
    return secret


async def call(stack, method: str, path: str, token: str | None = None, body=None, headers: dict | None = None,
               raw: bytes | None = None, **query):
    """(status, parsed JSON answer, headers) of one request."""
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    data = io.BytesIO(raw) if raw is not None else None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
        sent.setdefault("Content-Type", "application/json")
    async with stack.http.request(method, stack.url(path), data=data, headers=sent, params=query) as r:
        text = await r.text()
        return r.status, (json.loads(text) if r.content_type == "application/json" else text), r.headers
