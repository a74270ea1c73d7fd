"""报税 tab (B6): filing status by period and tax (quarterly returns by their quarter); 报税完成通知 text."""
from __future__ import annotations

from aiohttp import web

import models
from bot import keys
from handlers.cmdkit import period_label, work_period
from handlers.filings.rules import filing_groups
from handlers.sidebar.kit import CLIENT, period_param, recent_periods, render_text, tab_client, today
from handlers.sidebar.scope import json_error

PERM = "wecom.filing"


def setup(app: web.Application) -> None:
    app.router.add_get(CLIENT + "/filings", filings)
    app.router.add_get(CLIENT + "/filings/notice", filing_notice)


def _groups(client_id: int, period: str, day, tz, calendar) -> list[dict]:
    groups = filing_groups(client_id, period, day, calendar)
    for group in groups:
        for row in group["rows"]:
            filed = row["filed_at"]
            row["filed_on"] = filed.astimezone(tz).date().isoformat() if filed else ""
            del row["filed_at"]
    return groups


async def filings(request: web.Request) -> web.Response:
    """GET ?period=: monthly returns of the period and quarterly ones of its quarter."""
    _, client = await tab_client(request, PERM)
    period, day = period_param(request), today(request)
    groups = await request.app[keys.DB].run(_groups, client.id, period, day, request.app[keys.CONFIG].agency.tz,
                                                request.app[keys.CONFIG].jobs.filing_deadline)
    return web.json_response({"period": period, "period_label": period_label(period), "groups": groups,
                              "taxpayer": models.TAXPAYER_TYPES[client.taxpayer_type],
                              "periods": recent_periods(work_period(day))})


async def filing_notice(request: web.Request) -> web.Response:
    """GET ?period=: the 报税完成通知 text listing the returns filed, with the taxes due."""
    _, client = await tab_client(request, PERM)
    period = period_param(request)
    config = request.app[keys.CONFIG]
    groups = await request.app[keys.DB].run(_groups, client.id, period, today(request), config.agency.tz,
                                            config.jobs.filing_deadline)
    done = [{"title": g["title"], "rows": [r for r in g["rows"] if r["status"] != "pending"]} for g in groups]
    done = [g for g in done if g["rows"]]
    if not done:
        raise json_error(409, f"{period_label(period)}还没有已申报的税种，申报后再发送报税完成通知")
    pending = [r["tax"] for g in groups for r in g["rows"] if r["status"] == "pending"]
    to_pay = sum(r["amount_fen"] for g in done for r in g["rows"] if r["status"] == "filed")
    text = render_text(request, "filings/filing_done.txt", client=client, period=period_label(period),
                       groups=done, pending=pending, to_pay_fen=to_pay)
    return web.json_response({"text": text})
