"""接口令牌 (X10): admins list, create and revoke the JSON API's bearer tokens. A new token's secret is shown once,
on the answer to the create form (never stored, never cached); afterwards only its name and use are shown."""
from __future__ import annotations

from aiohttp import web
from peewee import JOIN

import models
from bot import keys
from bot.edge.inputs import parse_id
from bot.router import UserError
from handlers.api import auth
from handlers.admin.shell import Area, ConsoleRoutes, done, render

console = ConsoleRoutes()
AREA = Area("api_tokens", "接口令牌", "/admin/api-tokens", need="admin", order=75)
PATH = "/admin/api-tokens"


def _rows(zone) -> list[dict]:
    token, creator = models.ApiToken, models.Staff
    query = (token.select(token, creator).join(creator, JOIN.LEFT_OUTER, on=(token.created_by == creator.id))
             .order_by(token.revoked_at.is_null(False), token.id.desc()))

    def shown(moment):
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""
    return [{"id": row.id, "name": row.name, "scope": models.API_SCOPES[row.scope],
             "created_by": row.created_by.name if row.created_by_id and row.created_by else "",
             "created_at": shown(row.created_at), "last_used_at": shown(row.last_used_at) or "从未使用",
             "revoked_at": shown(row.revoked_at), "live": row.revoked_at is None} for row in query]


async def _page(request: web.Request, status: int = 200, **context) -> web.Response:
    zone = request.app[keys.CONFIG].agency.tz
    rows = await request.app[keys.DB].read(_rows, zone)
    context = {"rows": rows, "scopes": models.API_SCOPES, "form": {"name": "", "scope": "read"}, **context}
    response = render(request, "admin/api/tokens.html", context, status=status, area="api_tokens")
    response.headers["Cache-Control"] = "no-store"
    return response


@console.get(PATH, need="admin")
async def tokens(request: web.Request, me: models.Staff) -> web.Response:
    return await _page(request)


@console.post(PATH, need="admin")
async def create(request: web.Request, me: models.Staff) -> web.Response:
    form = await request.post()
    name, scope = str(form.get("name", "")).strip(), str(form.get("scope", ""))
    try:
        token, secret = await request.app[keys.DB].atomic(auth.create_token, name, scope, me,
                                                         request.app[keys.CLOCK]())
    except UserError as exc:
        return await _page(request, 422, error=str(exc), form={"name": name, "scope": scope})
    # The only time the secret exists outside the caller: this answer, marked not to be stored anywhere.
    return await _page(request, created={"name": token.name, "scope": models.API_SCOPES[token.scope],
                                         "secret": secret})


@console.post(PATH + "/{id:\\d+}/revoke", need="admin")
async def revoke(request: web.Request, me: models.Staff) -> web.Response:
    token_id = parse_id(request.match_info["id"])
    try:
        if token_id is None:
            raise UserError("没有这个令牌。")
        token = await request.app[keys.DB].atomic(auth.revoke_token, token_id, me, request.app[keys.CLOCK]())
    except UserError as exc:
        return done(PATH, str(exc))
    return done(PATH, f"已吊销令牌「{token.name}」，使用它的请求将被拒绝。")
