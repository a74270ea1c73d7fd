"""发票 tab (B8): a period's output and input invoices, the estimated VAT (handlers/invoices/rules.py computes it, the
same as the 发票 command), and the 开票数据提醒 text."""
from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

import models
from bot import keys
from handlers.cmdkit import period_label, work_period
from handlers.filings.rules import deadline, quarter_end
from handlers.invoices.rules import VatEstimate, rate_text, vat_estimate
from handlers.sidebar.kit import CLIENT, period_param, recent_periods, render_text, tab_client, today
from handlers.sidebar.scope import json_error

PERM = "wecom.invoice"
PAGE = 30
MAX_OFFSET = 100_000


def setup(app: web.Application) -> None:
    app.router.add_get(CLIENT + "/invoices", invoices)
    app.router.add_get(CLIENT + "/invoices/reminder", invoice_reminder)


def invoice_page(client_id: int, period: str, direction: str, offset: int) -> tuple[list[dict], bool]:
    """One page of the period's invoices in one direction, by issue date; and whether more follow."""
    query = (models.Invoice.select()
             .where((models.Invoice.client == client_id) & (models.Invoice.period == period)
                    & (models.Invoice.direction == direction))
             .order_by(models.Invoice.issue_date, models.Invoice.number).offset(offset).limit(PAGE + 1))
    rows = [{"number": i.number, "issue_date": i.issue_date.isoformat(), "counterparty": i.counterparty,
             "amount_fen": i.amount_fen, "tax_fen": i.tax_fen, "rate": rate_text(i.rate_bp),
             "kind_label": models.INVOICE_KINDS[i.kind], "status": i.status,
             "status_label": models.INVOICE_STATUSES[i.status]} for i in query]
    return rows[:PAGE], len(rows) > PAGE


def estimate_json(request: web.Request, estimate: VatEstimate) -> dict:
    """The estimate as the tab shows it, with what it assumes, one note per line (the same wording as the bot)."""
    notes = render_text(request, "invoices/assumptions.txt", e=estimate).splitlines()
    return {**asdict(estimate), "rate": estimate.rate, "notes": notes}


def invoice_overview(client: models.Client, period: str, direction: str, offset: int) -> dict:
    rows, more = invoice_page(client.id, period, direction, offset)
    return {"estimate": vat_estimate(client, period), "invoices": rows, "more": more}


def _list_params(request: web.Request) -> tuple[str, int]:
    direction = request.query.get("direction", "output")
    if direction not in models.INVOICE_DIRECTIONS:
        raise json_error(400, "发票方向应为 output（销项）或 input（进项）")
    raw = request.query.get("offset", "0")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or int(raw) > MAX_OFFSET:
        raise json_error(400, "翻页参数不正确")
    return direction, int(raw)


async def invoices(request: web.Request) -> web.Response:
    """GET ?period=&direction=&offset=: totals and estimated VAT of the period, and a page of its invoices."""
    _, client = await tab_client(request, PERM)
    period = period_param(request)
    direction, offset = _list_params(request)
    data = await request.app[keys.DB].run(invoice_overview, client, period, direction, offset)
    return web.json_response({**data, "estimate": estimate_json(request, data["estimate"]), "period": period,
                              "period_label": period_label(period), "direction": direction, "offset": offset,
                              "taxpayer": models.TAXPAYER_TYPES[client.taxpayer_type],
                              "periods": recent_periods(work_period(today(request)))})


async def invoice_reminder(request: web.Request) -> web.Response:
    """GET ?period=: the 开票数据提醒 text with the period's invoicing figures and estimated VAT."""
    _, client = await tab_client(request, PERM)
    period = period_param(request)
    estimate = await request.app[keys.DB].run(vat_estimate, client, period)
    # A quarterly filer's invoices count towards the quarter's return.
    filed_for = period if estimate.cycle == "monthly" else quarter_end(period)
    last_day = deadline(filed_for, request.app[keys.CONFIG].filings)
    text = render_text(request, "invoices/invoice_data.txt", client=client, period=period_label(period),
                       e=estimate, deadline=last_day)
    return web.json_response({"text": text})
