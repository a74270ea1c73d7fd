"""报税 tab (B6): filing status by period and tax (quarterly returns by their quarter); 报税完成通知 text; marking a
return 已申报 (tax and date) or 零申报 through handlers/filings/marks.py, the rule the console and the bot use."""
from __future__ import annotations

from aiohttp import web

import models
from bot import keys
from handlers.cmdkit import period_label, work_period
from handlers.filings.rules import annual_season, filing_groups
from handlers.sidebar.kit import CLIENT, period_param, recent_periods, render_text, tab_client, today
from handlers.filings.marks import MarkError, amount_for, mark_filed, parse_day
from handlers.sidebar.scope import json_error, read_json

PERM = "wecom.filing"


def setup(app: web.Application) -> None:
    app.router.add_get(CLIENT + "/filings", filings)
    app.router.add_get(CLIENT + "/filings/notice", filing_notice)
    app.router.add_post(CLIENT + "/filings/{filing_id:\\d+}/mark", mark)


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
                              "periods": recent_periods(work_period(day)), "today": day.isoformat()})


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


def _mark(client_id: int, filing_id: int, fen: int, day, staff, now, tz) -> dict:
    """Only a return of the client in the URL (the one linked to this chat) is marked."""
    if not models.TaxFiling.select().where((models.TaxFiling.id == filing_id)
                                           & (models.TaxFiling.client == client_id)).exists():
        raise MarkError("这个客户没有这条申报记录")
    filing = mark_filed(filing_id, fen, day, staff, now, tz, via="sidebar")
    return {"id": filing.id, "status": filing.status, "amount_fen": filing.amount_fen}


async def mark(request: web.Request) -> web.Response:
    """POST {kind: filed | zero, amount: '1200.50' (yuan, for 已申报), filed_on: 'YYYY-MM-DD'}."""
    scope, client = await tab_client(request, PERM)
    body = await read_json(request)
    config, now = request.app[keys.CONFIG], request.app[keys.CLOCK]()
    kind = body.get("kind")
    try:
        if kind not in ("filed", "zero"):
            raise MarkError("请选择已申报还是零申报")
        fen = amount_for(kind, body.get("amount", ""))
        day = parse_day(body.get("filed_on", "") or "今天", today(request))
        filing = await request.app[keys.DB].atomic(_mark, client.id, int(request.match_info["filing_id"]), fen, day,
                                                   scope.staff, now, config.agency.tz)
    except MarkError as exc:
        raise json_error(400, exc.message) from None
    return web.json_response({**filing, "filed_on": day.isoformat()})
