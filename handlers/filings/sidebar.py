"""报税 tab (B6): filing status by period and tax (quarterly returns by their quarter); 报税完成通知 text."""
from __future__ import annotations

from aiohttp import web

import models
from bot import keys
from handlers.cmdkit import period_label, work_period
from handlers.filings.rules import annual_season, filing_groups
from handlers.sidebar.kit import CLIENT, period_param, recent_periods, render_text, tab_client, today
from handlers.sidebar.scope import json_error

PERM = "wecom.filing"


def setup(app: web.Application) -> None:
    app.router.add_get(CLIENT + "/filings", filings)
    app.router.add_get(CLIENT + "/filings/notice", filing_notice)


async def _groups(request: web.Request, client_id: int, period: str) -> list[dict]:
    """The cards as JSON: each with its note (the wording the bot uses too) and its deadlines."""
    config = request.app[keys.CONFIG]
    groups = await request.app[keys.DB].run(filing_groups, client_id, period, today(request), config.filings)
    for group in groups:
        group["note"] = render_text(request, "filings/deadline_note.txt", g=group)
        group["deadlines"] = [d.as_json() for d in group["deadlines"]]
        for row in group["rows"]:
            filed = row.pop("filed_at")
            row["filed_on"] = filed.astimezone(config.agency.tz).date().isoformat() if filed else ""
    return groups


async def filings(request: web.Request) -> web.Response:
    """GET ?period=: monthly returns of the period, quarterly ones of its quarter, yearly ones of its year."""
    _, client = await tab_client(request, PERM)
    period, day = period_param(request), today(request)
    groups = await _groups(request, client.id, period)
    season = [d.as_json() for d in annual_season(day, request.app[keys.CONFIG].filings)]
    return web.json_response({"period": period, "period_label": period_label(period), "groups": groups,
                              "season": season, "taxpayer": models.TAXPAYER_TYPES[client.taxpayer_type],
                              "periods": recent_periods(work_period(day))})


async def filing_notice(request: web.Request) -> web.Response:
    """GET ?period=: the 报税完成通知 text listing the returns filed, with the taxes due."""
    _, client = await tab_client(request, PERM)
    period = period_param(request)
    groups = await _groups(request, client.id, period)
    done = [{"title": g["title"], "rows": [r for r in g["rows"] if r["status"] != "pending"]} for g in groups]
    done = [g for g in done if g["rows"]]
    if not done:
        raise json_error(409, f"{period_label(period)}还没有已申报的税种，申报后再发送报税完成通知")
    pending = [r["tax"] for g in groups for r in g["rows"] if r["status"] == "pending"]
    to_pay = sum(r["amount_fen"] for g in done for r in g["rows"] if r["status"] == "filed")
    text = render_text(request, "filings/filing_done.txt", client=client, period=period_label(period),
                       groups=done, pending=pending, to_pay_fen=to_pay)
    return web.json_response({"text": text})
