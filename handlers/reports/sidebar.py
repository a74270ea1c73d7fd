"""报表 tab (B7): pick a period; the balance sheet and income statement as one XLSX file into the chat."""
from __future__ import annotations

import asyncio

from aiohttp import web

import models
from bot import keys
from bot.render.xlsx import render_reports_xlsx
from handlers.cmdkit import client_label, period_label
from handlers.reports.rules import KINDS, report_lines
from handlers.sidebar.kit import CLIENT, check_period, media_response, tab_client, upload_media
from handlers.sidebar.scope import json_error

PERM = "wecom.report"
SHOWN_PERIODS = 24
KEY_LINES = ("资产合计", "负债合计", "所有者权益合计", "营业收入", "利润总额", "净利润")


def setup(app: web.Application) -> None:
    app.router.add_get(CLIENT + "/reports", reports)
    app.router.add_post(CLIENT + "/reports/{period:\\d{4}-\\d{2}}/file", send_file)


def report_periods(client_id: int) -> list[str]:
    """Periods with both statements, newest first."""
    snaps = (models.ReportSnapshot.select(models.ReportSnapshot.period, models.ReportSnapshot.kind)
             .where((models.ReportSnapshot.client == client_id) & models.ReportSnapshot.kind.in_(KINDS))
             .order_by(models.ReportSnapshot.period.desc()).tuples())
    kinds: dict[str, set] = {}
    for period, kind in snaps:
        kinds.setdefault(period, set()).add(kind)
    return [p for p, k in kinds.items() if len(k) == len(KINDS)][:SHOWN_PERIODS]


def report_overview(client_id: int, period: str | None) -> dict:
    """The periods to pick from and the headline figures of the chosen (default: latest) one."""
    periods = report_periods(client_id)
    period = period or (periods[0] if periods else None)
    found = report_lines(client_id, period, fallback=False) if period else None
    figures = []
    if found:
        _, balance, income = found
        named = {line["name"]: line["amount_fen"] for line in balance + income}
        figures = [{"name": name, "amount_fen": named[name]} for name in KEY_LINES if name in named]
    return {"periods": periods, "period": period, "period_label": period_label(period) if period else "",
            "ready": found is not None, "figures": figures}


async def reports(request: web.Request) -> web.Response:
    """GET ?period=: the periods with statements and the chosen period's headline figures."""
    _, client = await tab_client(request, PERM)
    raw = request.query.get("period", "").strip()
    period = check_period(raw) if raw else None
    return web.json_response(await request.app[keys.DB].run(report_overview, client.id, period))


async def send_file(request: web.Request) -> web.Response:
    """POST: the period's 资产负债表 and 利润表 as XLSX, uploaded to WeCom as a file for the chat."""
    _, client = await tab_client(request, PERM)
    period = check_period(request.match_info["period"])
    found = await request.app[keys.DB].run(report_lines, client.id, period, False)
    if found is None:
        raise json_error(404, f"{period_label(period)}的报表还没有出")
    _, balance, income = found
    data = await asyncio.to_thread(render_reports_xlsx, request.app[keys.CONFIG].agency.name, client.name, period,
                                   balance, income)
    filename = f"{client_label(client)}-{period}-报表.xlsx"
    return media_response(await upload_media(request, "file", filename, data), filename)
