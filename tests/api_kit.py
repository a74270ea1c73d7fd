"""Helpers for the JSON API's tests: a token made the way the console makes one, and a JSON call with it."""
from __future__ import annotations

import io
import json

import aiohttp
from aiohttp.test_utils import TestServer

import models
from bot.app import create_app
from handlers.api import auth
from tests.conftest import Stack, make_config, run_sync


async def stack_with(db_url: str, fake_server, **api) -> Stack:
    """conftest.start_stack with the `api` config section changed (no callback driver: the API needs none)."""
    fake, api_base = fake_server
    server = TestServer(create_app(make_config(db_url, api_base).replace(api=api)))
    await server.start_server()
    return Stack(server.app, server, fake, aiohttp.ClientSession(), None)


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
