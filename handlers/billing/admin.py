"""收款 in the console (B3): the payments list with its export, a payment with what it settled and its receipt,
作废, recording a payment (against chosen items, or as a prepayment), and a client's credit: 用余额抵扣 and 退款.
Every write goes through handlers/billing/rules.py and credit.py, as the bot and the sidebar do."""
from __future__ import annotations

import asyncio
from datetime import date

from aiohttp import web

import models
from bot import keys
from bot.edge.inputs import parse_id
from bot.money import AmountError, format_fen, parse_yuan
from bot.render.images import render_receipt
from bot.router import UserError
from handlers.admin.kit import FormErrors, ListQuery, xlsx_response
from handlers.admin.shell import Area, ConsoleRoutes, done, message, render
from handlers.billing import queries
from handlers.billing.credit import apply_credit, refund_credit
from handlers.billing.rules import lock_client, prepare_payment, receipt_data, record_payment, void_payment

console = ConsoleRoutes()
NEED = "wecom.billing"
AREA = Area("billing", "收款", "/admin/payments", need=NEED, order=55)


def _page(request: web.Request, template: str, context: dict, status: int = 200) -> web.Response:
    return render(request, template, {**context, "yuan": format_fen}, status=status, area="billing")


def _today(request: web.Request) -> date:
    return request.app[keys.CLOCK]().astimezone(request.app[keys.CONFIG].agency.tz).date()


def _read_list(request: web.Request) -> ListQuery:
    return ListQuery.read(request, list(queries.SORTS), "-paid_on", filters=queries.FILTERS)


@console.get("/admin/payments", need=NEED)
async def payment_list(request: web.Request, me: models.Staff) -> web.Response:
    lq = _read_list(request)
    context = await request.app[keys.DB].run(queries.payment_page, me, lq, request.app[keys.CONFIG].agency.tz)
    return _page(request, "admin/billing/list.html", {"lq": lq, "states": queries.STATES,
                                                       "methods": models.PAYMENT_METHODS, **context})


@console.get("/admin/payments/export.xlsx", need=NEED)
async def payment_export(request: web.Request, me: models.Staff) -> web.Response:
    rows = await request.app[keys.DB].run(queries.payment_export, me, _read_list(request),
                                          request.app[keys.CONFIG].agency.tz)
    return xlsx_response("收款记录.xlsx", "收款记录", queries.HEADERS, rows)


def _missing(request: web.Request, what: str = "这笔收款") -> web.Response:
    return message(request, "没有找到", f"{what}不存在，或不是你负责的客户。", status=404)


async def _detail(request: web.Request, me: models.Staff, errors: dict | None = None, status: int = 200,
                  reason: str = "") -> web.Response:
    payment_id = parse_id(request.match_info["id"])
    context = await request.app[keys.DB].run(queries.payment_detail, me, payment_id,
                                             request.app[keys.CONFIG].agency.tz) if payment_id else None
    if context is None:
        return _missing(request)
    return _page(request, "admin/billing/detail.html", {**context, "errors": errors or {}, "reason": reason},
                 status=status)


@console.get(r"/admin/payments/{id:\d+}", need=NEED)
async def payment_page(request: web.Request, me: models.Staff) -> web.Response:
    return await _detail(request, me)


def _receipt(me: models.Staff, payment_id: int, agency: str):
    payment = models.Payment.get_or_none(models.Payment.id == payment_id)
    if payment is None or queries.visible_client(me, payment.client_id) is None:
        return None
    return payment.receipt_no, receipt_data(payment, agency)


@console.get(r"/admin/payments/{id:\d+}/receipt.png", need=NEED)
async def receipt_image(request: web.Request, me: models.Staff) -> web.Response:
    found = await request.app[keys.DB].run(_receipt, me, parse_id(request.match_info["id"]) or 0,
                                           request.app[keys.CONFIG].agency.name)
    if found is None:
        return _missing(request)
    png = await asyncio.to_thread(render_receipt, found[1], request.app[keys.FONTS])
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "no-store"})


def _void(me: models.Staff, payment_id: int, reason: str, now) -> models.Payment | None:
    payment = models.Payment.get_or_none(models.Payment.id == payment_id)
    if payment is None or queries.visible_client(me, payment.client_id) is None:
        return None
    return void_payment(payment, reason, me, now)


@console.post(r"/admin/payments/{id:\d+}/void", need=NEED)
async def void(request: web.Request, me: models.Staff) -> web.Response:
    reason = str((await request.post()).get("reason", ""))
    try:
        payment = await request.app[keys.DB].atomic(_void, me, parse_id(request.match_info["id"]) or 0, reason,
                                                    request.app[keys.CLOCK]())
    except UserError as exc:
        return await _detail(request, me, {"reason": str(exc)}, status=400, reason=reason[:200])
    if payment is None:
        return _missing(request)
    return done(f"/admin/payments/{payment.id}", f"已作废收据 {payment.receipt_no}，冲抵的款项已恢复为未收。")


# ---- 登记收款 ---------------------------------------------------------------------------------------------

async def _form(request, me, values: dict, errors: dict, status: int = 200) -> web.Response:
    client_id = parse_id(str(values.get("client", "")))
    context = await request.app[keys.DB].run(queries.payment_form, me, client_id)
    if client_id and context["client"] is None:
        return _missing(request, "这个客户")
    values.setdefault("paid_on", _today(request).isoformat())
    return _page(request, "admin/billing/new.html", {**context, "values": values, "errors": errors,
                                                      "methods": models.PAYMENT_METHODS}, status=status)


@console.get("/admin/payments/new", need=NEED)
async def new_payment(request: web.Request, me: models.Staff) -> web.Response:
    return await _form(request, me, {"client": request.query.get("client", ""), "method": "bank"}, {})


def _fen(errors: FormErrors, name: str, text: str, label: str) -> int:
    try:
        fen = parse_yuan(text)
    except AmountError:
        fen = -1
    if fen <= 0:
        errors[name] = f"{label}请写成大于 0 的元，最多两位小数，例如 1200 或 1,200.50"
    return fen


def _record(me, client_id: int, fen: int, method: str, ids: list[int], now, tz, details: dict):
    if queries.visible_client(me, client_id) is None:
        raise UserError("这个客户不存在，或不是你负责的客户。")
    lock_client(client_id)
    planned, _, _ = prepare_payment(client_id, fen, ids)
    return record_payment(me, client_id, fen, method, planned, now, tz, ids, **details)[0]


@console.post("/admin/payments/new", need=NEED)
async def create_payment(request: web.Request, me: models.Staff) -> web.Response:
    form = await request.post()
    values = {k: str(form.get(k, "")).strip() for k in ("client", "amount", "method", "paid_on", "payer",
                                                        "account", "note")}
    values["picked"] = [parse_id(str(v)) for v in form.getall("receivable", [])]
    errors = FormErrors()
    client_id = parse_id(values["client"])
    fen = _fen(errors, "amount", values["amount"], "收款金额")
    paid_on = queries.day(values["paid_on"])
    if paid_on is None:
        errors["paid_on"] = "请填写收款日期（年-月-日）"
    if values["method"] not in models.PAYMENT_METHODS:
        errors["method"] = "请选择收款方式"
    if client_id is None:
        errors["client"] = "请选择客户"
    if not errors:
        details = {"paid_on": paid_on, "payer": values["payer"], "account": values["account"], "note": values["note"]}
        try:
            payment = await request.app[keys.DB].atomic(
                _record, me, client_id, fen, values["method"], [i for i in values["picked"] if i],
                request.app[keys.CLOCK](), request.app[keys.CONFIG].agency.tz, details)
            credit = f"，{format_fen(payment.credit_fen)} 存入客户余额" if payment.credit_fen else ""
            return done(f"/admin/payments/{payment.id}", f"已登记收款，收据号 {payment.receipt_no}{credit}。")
        except UserError as exc:
            errors["_"] = str(exc)
    return await _form(request, me, values, errors, status=400)


# ---- 客户余额: 用余额抵扣 and 退款 -------------------------------------------------------------------------

@console.get("/admin/payments/credits", need=NEED)
async def credit_list(request: web.Request, me: models.Staff) -> web.Response:
    rows = await request.app[keys.DB].run(queries.credit_list, me)
    return _page(request, "admin/billing/credits.html", {"rows": rows})


async def _credit(request, me, values: dict | None = None, errors: dict | None = None, status: int = 200):
    client_id = parse_id(request.match_info["id"]) or 0
    context = await request.app[keys.DB].run(queries.credit_page, me, client_id)
    if context is None:
        return _missing(request, "这个客户")
    values = values or {"method": "bank", "refunded_on": _today(request).isoformat()}
    return _page(request, "admin/billing/credit.html", {**context, "values": values, "errors": errors or {},
                                                         "methods": models.PAYMENT_METHODS}, status=status)


@console.get(r"/admin/payments/credit/{id:\d+}", need=NEED)
async def credit_page(request: web.Request, me: models.Staff) -> web.Response:
    return await _credit(request, me)


def _apply(me, client_id: int, now):
    if queries.visible_client(me, client_id) is None:
        return None
    return apply_credit(client_id, me, now)


@console.post(r"/admin/payments/credit/{id:\d+}/apply", need=NEED)
async def use_credit(request: web.Request, me: models.Staff) -> web.Response:
    client_id = parse_id(request.match_info["id"]) or 0
    rows = await request.app[keys.DB].atomic(_apply, me, client_id, request.app[keys.CLOCK]())
    if rows is None:
        return _missing(request, "这个客户")
    text = (f"已用余额抵扣 {len(rows)} 笔款项，共 {format_fen(sum(r['amount_fen'] for r in rows))}。" if rows
            else "没有可抵扣的款项（没有余额或没有未收款项）。")
    return done(f"/admin/payments/credit/{client_id}", text)


def _refund(me, client_id: int, fen: int, method: str, day: date, note: str, now):
    if queries.visible_client(me, client_id) is None:
        raise UserError("这个客户不存在，或不是你负责的客户。")
    return refund_credit(client_id, fen, method, day, note, me, now)


@console.post(r"/admin/payments/credit/{id:\d+}/refund", need=NEED)
async def refund(request: web.Request, me: models.Staff) -> web.Response:
    form = await request.post()
    values = {k: str(form.get(k, "")).strip() for k in ("amount", "method", "refunded_on", "note")}
    errors = FormErrors()
    fen = _fen(errors, "amount", values["amount"], "退款金额")
    day = queries.day(values["refunded_on"])
    if day is None or day > _today(request):
        errors["refunded_on"] = "请填写退款日期（年-月-日），不能晚于今天"
    if not errors:
        client_id = parse_id(request.match_info["id"]) or 0
        try:
            await request.app[keys.DB].atomic(_refund, me, client_id, fen, values["method"], day, values["note"],
                                              request.app[keys.CLOCK]())
            return done(f"/admin/payments/credit/{client_id}", f"已登记退款 {format_fen(fen)}。")
        except UserError as exc:
            errors["_"] = str(exc)
    return await _credit(request, me, values, errors, status=400)
