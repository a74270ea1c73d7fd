"""/api/v1 reading: for each kind, GET a page (cursor paging) and GET one by id; and what every endpoint shares.

A request is checked in this order: token (401), rate (429), scope (403), body (415/413/400), items (422).
"""
from __future__ import annotations

import base64
import binascii
import functools

from aiohttp import web

import models
from bot import keys
from bot.edge.inputs import ascii_int, parse_id
from handlers.api import auth
from handlers.api.body import ApiError, answer
from handlers.api.kinds import ApiKind
from handlers.api.ratelimit import RateLimiter
from handlers.api.shapes import load_references, to_json

LIMITER = web.AppKey("api_limiter", RateLimiter)
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def endpoint(write: bool):
    """Token, rate limit and scope before the handler; an ApiError anywhere becomes its JSON answer."""
    def wrap(handler):
        @functools.wraps(handler)
        async def handle(request: web.Request) -> web.Response:
            try:
                token = await _authorized(request, write)
                return await handler(request, token)
            except ApiError as exc:
                return exc.response()
        return handle
    return wrap


async def _authorized(request: web.Request, write: bool) -> models.ApiToken:
    secret = auth.bearer(request.headers.get("Authorization", ""))
    challenge = {"WWW-Authenticate": 'Bearer realm="api"'}
    if not secret:
        raise ApiError(401, "unauthorized", "缺少接口令牌：请在请求头加 Authorization: Bearer <令牌>。", challenge)
    app = request.app
    token = await app[keys.DB].run(auth.authenticate, secret, app[keys.CLOCK]())
    if token is None:
        raise ApiError(401, "unauthorized", "接口令牌无效或已吊销，请联系管理员在后台「接口令牌」重新创建。", challenge)
    wait = app[LIMITER].take(token.id)
    if wait is not None:
        raise ApiError(429, "rate_limited", f"请求过于频繁，请 {wait} 秒后再试。", {"Retry-After": str(wait)})
    if write and token.scope != "write":
        raise ApiError(403, "forbidden", "这个令牌只能读取，不能写入；写入请使用读写权限的令牌。")
    return token


# ---- reading -------------------------------------------------------------------------------------------------

def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    value = ascii_int(raw, 3)
    if value is None or not 1 <= value <= MAX_LIMIT:
        raise ApiError(400, "invalid_limit", f"limit 应为 1 到 {MAX_LIMIT} 的整数。")
    return value


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode_cursor(raw: str | None) -> int:
    """The id after which a page starts (0 for the first page); 400 for a cursor we did not give out."""
    if not raw:
        return 0
    try:
        text = base64.urlsafe_b64decode(raw.encode("ascii") + b"=" * (-len(raw) % 4)).decode("ascii")
    except (ValueError, binascii.Error, UnicodeError):
        text = ""
    last = parse_id(text)
    if last is None:
        raise ApiError(400, "invalid_cursor", "cursor 无效：请使用上一页返回的 next_cursor。")
    return last


def _page(kind: ApiKind, after: int, limit: int) -> dict:
    model = kind.model
    rows = list(model.select().where(model.id > after).order_by(model.id).limit(limit + 1))
    more, rows = len(rows) > limit, rows[:limit]
    references = load_references(kind.spec, rows)
    return {"items": [to_json(kind.spec, row, references, kind.extras) for row in rows],
            "next_cursor": encode_cursor(rows[-1].id) if more else None}


def _one(kind: ApiKind, record_id: int) -> dict | None:
    row = kind.model.get_or_none(kind.model.id == record_id)
    return None if row is None else to_json(kind.spec, row, load_references(kind.spec, [row]), kind.extras)


def list_handler(kind: ApiKind):
    @endpoint(write=False)
    async def list_records(request: web.Request, token) -> web.Response:
        limit, after = _limit(request.query.get("limit")), decode_cursor(request.query.get("cursor"))
        return answer(await request.app[keys.DB].read(_page, kind, after, limit))
    return list_records


def get_handler(kind: ApiKind):
    @endpoint(write=False)
    async def get_record(request: web.Request, token) -> web.Response:
        record_id = parse_id(request.match_info["id"])
        if record_id is None:
            raise ApiError(400, "invalid_id", "编号应为正整数。")
        found = await request.app[keys.DB].read(_one, kind, record_id)
        if found is None:
            raise ApiError(404, "not_found", "没有这条记录。")
        return answer(found)
    return get_record
