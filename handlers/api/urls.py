"""Mounts /api/v1 (called once from handlers.setup_web)."""
from __future__ import annotations

from aiohttp import web

from bot import keys
from handlers.api import openapi, routes, writes
from handlers.api.body import answer
from handlers.api.kinds import KINDS
from handlers.api.ratelimit import RateLimiter


async def openapi_json(request: web.Request) -> web.Response:
    """The document describes shapes, not data: served without a token, so a client can be generated from it."""
    return answer(openapi.document())


def setup(app: web.Application) -> None:
    app[routes.LIMITER] = RateLimiter(app[keys.CONFIG].api.rate_limit)
    base = openapi.BASE
    app.router.add_get(f"{base}/openapi.json", openapi_json)
    for kind in KINDS.values():
        app.router.add_get(f"{base}/{kind.name}", routes.list_handler(kind))
        app.router.add_get(f"{base}/{kind.name}/{{id}}", routes.get_handler(kind))
        if kind.upsert:
            app.router.add_put(f"{base}/{kind.name}", writes.upsert_handler(kind))
        else:
            app.router.add_post(f"{base}/{kind.name}", writes.create_payments_handler(kind))
    app.router.add_post(f"{base}/payments/{{receipt_no}}/void", writes.void_handler(KINDS["payments"]))
