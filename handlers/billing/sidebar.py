"""收款 tab (B3): receivables and contracts, 催款提醒 for the ticked items (period and amount adjustable),
收款 with a confirm step, 收款记录 and 发送收据 (the receipt image into the chat).

Payments reuse handlers/billing/rules.py: the same FIFO allocation, gapless receipt number and audit entry as the
收款 command; the page shows the plan first and sends it back, and nothing is written if it changed meanwhile."""
from __future__ import annotations

import asyncio
from datetime import date

from aiohttp import web

import models
from bot import keys
from bot.money import format_fen, rmb_upper
from bot.render.images import render_receipt
from bot.router import UserError
from handlers.billing.credit import apply_credit, credit_balance
from handlers.billing.rules import (
    PlanChanged,
    check_paid_on,
    check_texts,
    is_overdue,
    open_receivables,
    periods_text,
    prepare_payment,
    receipt_data,
    record_payment,
    void_payment,
)
from handlers.sidebar.kit import (
    CLIENT,
    amount_fen,
    check_period,
    media_response,
    render_text,
    tab_client,
    today,
    upload_media,
)
from handlers.sidebar.scope import json_error, read_json

PERM = "wecom.billing"
MAX_ITEMS = 50
SHOWN_PAYMENTS = 20


def setup(app: web.Application) -> None:
    app.router.add_get(CLIENT + "/billing", billing)
    app.router.add_post(CLIENT + "/billing/reminder", payment_reminder)
    app.router.add_post(CLIENT + "/payments/preview", preview_payment)
    app.router.add_post(CLIENT + "/payments", create_payment)
    app.router.add_get(CLIENT + "/payments", payment_list)
    app.router.add_post(CLIENT + "/payments/{payment_id:\\d+}/receipt", send_receipt)
    app.router.add_post(CLIENT + "/payments/{payment_id:\\d+}/void", void)
    app.router.add_post(CLIENT + "/credit/apply", use_credit)


def billing_overview(client_id: int, day) -> dict:
    """Open receivables (oldest due first, as payments settle them), what is due, and the contracts."""
    items = [{"id": r.id, "item": r.item, "period_start": r.period_start, "period_end": r.period_end,
              "periods": periods_text(r.period_start, r.period_end), "amount_fen": r.amount_fen,
              "paid_fen": r.paid_fen, "outstanding_fen": r.outstanding_fen, "due": r.due_date.isoformat(),
              "overdue": is_overdue(r.due_date, day), "status_label": models.RECEIVABLE_STATUSES[r.status]}
             for r in open_receivables(client_id)]
    contracts = (models.Contract.select().where(models.Contract.client == client_id)
                 .order_by(models.Contract.end_date.desc()))
    return {"receivables": items,
            "due_fen": sum(i["outstanding_fen"] for i in items if i["overdue"]),
            "later_fen": sum(i["outstanding_fen"] for i in items if not i["overdue"]),
            "contracts": [{"number": c.number, "title": c.title, "start": c.start_date.isoformat(),
                           "end": c.end_date.isoformat(), "amount_fen": c.amount_fen,
                           "status_label": models.CONTRACT_STATUSES[c.status]} for c in contracts],
            "methods": models.PAYMENT_METHODS, "credit_fen": credit_balance(client_id), "today": day.isoformat()}


async def billing(request: web.Request) -> web.Response:
    """GET: what the client owes and its contracts."""
    _, client = await tab_client(request, PERM)
    return web.json_response(await request.app[keys.DB].run(billing_overview, client.id, today(request)))


def _ids(raw) -> list[int]:
    if not isinstance(raw, list) or not raw:
        raise json_error(400, "请勾选要处理的款项")
    if (len(raw) > MAX_ITEMS or len(set(map(repr, raw))) != len(raw)
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in raw)):
        raise json_error(400, "所选款项不正确，请刷新后重试")
    return raw


def _open_by_id(client_id: int, ids: list[int]) -> dict[int, models.Receivable]:
    """The ticked receivables, all of which must be this client's open items."""
    found = {r.id: r for r in open_receivables(client_id) if r.id in set(ids)}
    if len(found) != len(ids):
        owned = models.Receivable.select().where((models.Receivable.client == client_id)
                                                 & models.Receivable.id.in_(ids)).count()
        if owned != len(ids):
            raise json_error(400, "所选款项不属于该客户，请刷新后重试")
        raise json_error(409, "所选款项刚刚已收清或有变化，请刷新后重试")
    return found


def _reminder_item(receivable: models.Receivable, spec: dict) -> dict:
    """One line of the 催款提醒; a member may narrow the periods and lower the amount (修改)."""
    start = check_period(spec.get("period_start") or receivable.period_start)
    end = check_period(spec.get("period_end") or receivable.period_end)
    if start > end:
        raise json_error(400, "起始期间不能晚于结束期间")
    chased = amount_fen(spec["amount"], "催款金额") if spec.get("amount") not in (None, "") \
        else receivable.outstanding_fen
    if chased > receivable.outstanding_fen:
        raise json_error(400, f"「{receivable.item}」的催款金额不能超过未收金额 {format_fen(receivable.outstanding_fen)}")
    adjusted = (start, end, chased) != (receivable.period_start, receivable.period_end, receivable.outstanding_fen)
    return {"item": receivable.item, "periods": periods_text(start, end), "due": receivable.due_date,
            "amount_fen": chased if adjusted else receivable.amount_fen,
            "paid_fen": 0 if adjusted else receivable.paid_fen, "outstanding_fen": chased}


async def payment_reminder(request: web.Request) -> web.Response:
    """POST {items: [{id, period_start?, period_end?, amount?}]}: the 催款提醒 text for the ticked items."""
    _, client = await tab_client(request, PERM)
    specs = (await read_json(request)).get("items")
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
        raise json_error(400, "请勾选要催款的款项")
    found = await request.app[keys.DB].run(_open_by_id, client.id, _ids([s.get("id") for s in specs]))
    items = [_reminder_item(found[s["id"]], s) for s in specs]
    text = render_text(request, "billing/payment_reminder.txt", client=client, items=items, today=today(request),
                       total_fen=sum(i["outstanding_fen"] for i in items))
    return web.json_response({"text": text})


def _payment_input(body: dict) -> tuple[int, str, list[int]]:
    fen = amount_fen(body.get("amount"), "收款金额")
    method = body.get("method") or "bank"
    if method not in models.PAYMENT_METHODS:
        raise json_error(400, "收款方式不正确，请从列表中选择")
    return fen, method, _ids(body.get("receivable_ids"))


def _details(body: dict, day) -> dict:
    """Date received (default today), payer, account and note, checked by the same rules as every channel."""
    raw = body.get("paid_on") or day.isoformat()
    try:
        paid_on = date.fromisoformat(str(raw))
        payer, account, note = check_texts(*(str(body.get(k) or "") for k in ("payer", "account", "note")))
        check_paid_on(paid_on, day)
    except ValueError:
        raise json_error(400, "收款日期格式应为 年-月-日，例如 2026-11-20") from None
    except UserError as exc:
        raise json_error(400, str(exc)) from None
    return {"paid_on": paid_on, "payer": payer, "account": account, "note": note}


def _prepare(client_id: int, fen: int, ids: list[int]) -> tuple[list, list[dict], int]:
    _open_by_id(client_id, ids)
    return prepare_payment(client_id, fen, ids)


async def preview_payment(request: web.Request) -> web.Response:
    """POST {amount, method, receivable_ids, paid_on?, payer?, account?, note?}: how the payment would settle the
    ticked items, and what it would leave as credit (the confirm step)."""
    _, client = await tab_client(request, PERM)
    body = await read_json(request)
    fen, method, ids = _payment_input(body)
    details = _details(body, today(request))
    plan, rows, credit = await request.app[keys.DB].run(_prepare, client.id, fen, ids)
    return web.json_response({"amount_fen": fen, "upper": rmb_upper(fen), "method": method,
                              "method_label": models.PAYMENT_METHODS[method], "rows": rows, "plan": plan,
                              "credit_fen": credit, "paid_on": details["paid_on"].isoformat(),
                              "payer": details["payer"] or client.name, "account": details["account"],
                              "note": details["note"]})


def _record(staff, client_id: int, fen: int, method: str, ids: list[int], plan: list, now, tz, details: dict):
    _open_by_id(client_id, ids)
    try:
        return record_payment(staff, client_id, fen, method, plan, now, tz, ids, **details)
    except PlanChanged:
        raise json_error(409, "该客户的未收款项刚刚有变化（可能有人登记了收款），本次未登记，请刷新后重试") from None
    except UserError as exc:
        raise json_error(400, str(exc)) from None


async def create_payment(request: web.Request) -> web.Response:
    """POST {amount, method, receivable_ids, plan, paid_on?, payer?, account?, note?}: record the payment the
    member confirmed (确定收款)."""
    scope, client = await tab_client(request, PERM)
    body = await read_json(request)
    fen, method, ids = _payment_input(body)
    details = _details(body, today(request))
    plan = body.get("plan")
    if not isinstance(plan, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(type(v) is int for v in p) for p in plan):
        raise json_error(400, "请先预览并确认收款明细")
    cfg = request.app[keys.CONFIG]
    payment, rows = await request.app[keys.DB].atomic(_record, scope.staff, client.id, fen, method, ids, plan,
                                                      request.app[keys.CLOCK](), cfg.agency.tz, details)
    return web.json_response({"payment": _payment_row(payment), "rows": rows}, status=201)


def _payment_row(p: models.Payment) -> dict:
    return {"id": p.id, "receipt_no": p.receipt_no, "paid_on": p.paid_on.isoformat(), "amount_fen": p.amount_fen,
            "method_label": models.PAYMENT_METHODS[p.method], "note": p.note, "voided": p.voided_at is not None,
            "void_reason": p.void_reason or "", "payer": p.payer, "account": p.account, "credit_fen": p.credit_fen}


def recent_payments(client_id: int) -> list[dict]:
    """收款记录: the client's latest payments, newest first."""
    query = (models.Payment.select().where(models.Payment.client == client_id)
             .order_by(models.Payment.paid_on.desc(), models.Payment.id.desc()).limit(SHOWN_PAYMENTS))
    return [_payment_row(p) for p in query]


async def payment_list(request: web.Request) -> web.Response:
    """GET: 收款记录."""
    _, client = await tab_client(request, PERM)
    return web.json_response(await request.app[keys.DB].run(recent_payments, client.id))


def _receipt(client_id: int, payment_id: int, agency: str):
    payment = models.Payment.get_or_none((models.Payment.id == payment_id) & (models.Payment.client == client_id))
    if payment is None:
        raise json_error(404, "没有找到这笔收款")
    if payment.voided_at is not None:
        raise json_error(409, f"收据 {payment.receipt_no} 已作废，不能再发送")
    return payment.receipt_no, receipt_data(payment, agency)


async def send_receipt(request: web.Request) -> web.Response:
    """POST: draw the receipt, upload it to WeCom and return the media id the page drops into the chat."""
    _, client = await tab_client(request, PERM)
    receipt_no, data = await request.app[keys.DB].run(_receipt, client.id, int(request.match_info["payment_id"]),
                                                      request.app[keys.CONFIG].agency.name)
    png = await asyncio.to_thread(render_receipt, data, request.app[keys.FONTS])
    filename = f"收据-{receipt_no}.png"
    return media_response(await upload_media(request, "image", filename, png), filename)


def _void(staff, client_id: int, payment_id: int, reason: str, now):
    if not models.Payment.select().where((models.Payment.id == payment_id)
                                         & (models.Payment.client == client_id)).exists():
        raise json_error(404, "没有找到这笔收款")
    try:
        return _payment_row(void_payment(payment_id, reason, staff, now))
    except UserError as exc:
        raise json_error(400, str(exc)) from None


async def void(request: web.Request) -> web.Response:
    """POST {reason}: 作废 a payment of this client; its receipt number stays, what it settled is owed again."""
    scope, client = await tab_client(request, PERM)
    reason = (await read_json(request)).get("reason")
    row = await request.app[keys.DB].atomic(_void, scope.staff, client.id, int(request.match_info["payment_id"]),
                                            reason if isinstance(reason, str) else "", request.app[keys.CLOCK]())
    return web.json_response({"payment": row})


async def use_credit(request: web.Request) -> web.Response:
    """POST: 用余额抵扣 — settle the client's open items from its credit, oldest first."""
    scope, client = await tab_client(request, PERM)
    rows = await request.app[keys.DB].atomic(apply_credit, client.id, scope.staff, request.app[keys.CLOCK]())
    return web.json_response({"rows": rows, "applied_fen": sum(r["amount_fen"] for r in rows)})
