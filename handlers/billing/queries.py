"""The console's reads of payments (B3): the filtered list and its export, one payment with what it settled,
and the clients holding credit. Plain synchronous peewee, run off the loop by handlers/billing/admin.py.
Members see the payments of the clients they may see (handlers/access.py), admins all of them."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from peewee import JOIN, fn

import models
from handlers.access import can_see_client, visible_clients
from handlers.admin.kit import ListQuery, cell_date, paginate
from handlers.billing.credit import balances, credit_balance, credit_history
from handlers.billing.rules import open_receivables, periods_text

Payment, Client, Staff = models.Payment, models.Client, models.Staff
SORTS = {"receipt": Payment.receipt_no, "paid_on": Payment.paid_on, "amount": Payment.amount_fen,
         "client": Client.name}
FILTERS = ("from", "to", "method", "state", "by")
STATES = [("valid", "有效"), ("void", "已作废")]
EXPORT_LIMIT = 20_000
HEADERS = ["收据号", "收款日期", "客户", "付款人", "金额（元）", "收款方式", "收款账户", "存入余额（元）", "备注", "状态",
           "作废原因", "登记人", "登记时间"]


def day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _filtered(me: Staff, lq: ListQuery):
    query = (Payment.select(Payment, Client, Staff).join(Client, on=(Payment.client == Client.id))
             .switch(Payment).join(Staff, JOIN.LEFT_OUTER, on=(Payment.recorded_by == Staff.id)))
    if not me.is_admin:
        query = query.where(Payment.client.in_(visible_clients(me).select(Client.id)))
    if lq.q:
        query = query.where(Payment.receipt_no.contains(lq.q) | Client.name.contains(lq.q)
                            | Client.short_name.contains(lq.q) | Payment.payer.contains(lq.q))
    f = lq.filters
    if day(f.get("from", "")):
        query = query.where(Payment.paid_on >= day(f["from"]))
    if day(f.get("to", "")):
        query = query.where(Payment.paid_on <= day(f["to"]))
    if f.get("method") in models.PAYMENT_METHODS:
        query = query.where(Payment.method == f["method"])
    if f.get("state") in ("valid", "void"):
        query = query.where(Payment.voided_at.is_null(f["state"] == "valid"))
    if f.get("by", "").isdigit():
        query = query.where(Payment.recorded_by == int(f["by"]))
    return query


def _row(p: models.Payment, tz) -> dict:
    return {"id": p.id, "receipt_no": p.receipt_no, "paid_on": p.paid_on.isoformat(), "client": p.client.name,
            "client_id": p.client_id, "payer": p.payer, "amount_fen": p.amount_fen,
            "method": models.PAYMENT_METHODS[p.method], "account": p.account, "credit_fen": p.credit_fen,
            "note": p.note, "voided": p.voided_at is not None, "void_reason": p.void_reason or "",
            "by": p.recorded_by.name if p.recorded_by_id and p.recorded_by else "",
            "created": cell_date(p.created_at, tz), "voided_at": cell_date(p.voided_at, tz)}


def payment_page(me: Staff, lq: ListQuery, tz) -> dict:
    """One page of the payments list, its total, and the options of its filters."""
    page = paginate(_filtered(me, lq), lq, SORTS)
    total = (_filtered(me, lq).where(Payment.voided_at.is_null()).select(fn.SUM(Payment.amount_fen)).order_by()
             .scalar()) or 0
    people = list(Staff.select(Staff.id, Staff.name)
                  .where(Staff.id.in_(Payment.select(Payment.recorded_by).distinct())).order_by(Staff.name).tuples())
    return {"page": page, "rows": [_row(p, tz) for p in page.rows], "valid_total_fen": total, "people": people}


def payment_export(me: Staff, lq: ListQuery, tz) -> list[list]:
    rows = [_row(p, tz) for p in _filtered(me, lq).order_by(*lq.order(SORTS)).limit(EXPORT_LIMIT)]
    return [[r["receipt_no"], r["paid_on"], r["client"], r["payer"], Decimal(r["amount_fen"]) / 100, r["method"],
             r["account"], Decimal(r["credit_fen"]) / 100, r["note"], "已作废" if r["voided"] else "有效",
             r["void_reason"], r["by"], r["created"]] for r in rows]


def payment_detail(me: Staff, payment_id: int, tz) -> dict | None:
    """A payment ``me`` may see, with what it settled (and settled later from its credit); None otherwise."""
    payment = Payment.get_or_none(Payment.id == payment_id)
    if payment is None or not can_see_client(me, payment.client_id):
        return None
    allocations = (models.PaymentAllocation.select(models.PaymentAllocation, models.Receivable)
                   .join(models.Receivable).where(models.PaymentAllocation.payment == payment)
                   .order_by(models.PaymentAllocation.id))
    return {"payment": _row(payment, tz),
            "allocations": [{"item": a.receivable.item, "amount_fen": a.amount_fen, "from_credit": a.from_credit,
                             "periods": periods_text(a.receivable.period_start, a.receivable.period_end),
                             "status": models.RECEIVABLE_STATUSES[a.receivable.status]} for a in allocations],
            "refunded_fen": sum(p.amount_fen for p in payment.refund_parts),
            "client_credit_fen": credit_balance(payment.client_id)}


def visible_client(me: Staff, client_id: int) -> models.Client | None:
    return visible_clients(me).where(Client.id == client_id).first()


def client_choices(me: Staff) -> list[tuple[int, str]]:
    return list(visible_clients(me).select(Client.id, Client.name).order_by(Client.name).tuples())


def accounts_used() -> list[str]:
    """The receiving accounts typed before, offered as suggestions."""
    return [a for (a,) in Payment.select(Payment.account).where(Payment.account != "").distinct()
            .order_by(Payment.account).limit(30).tuples()]


def payment_form(me: Staff, client_id: int | None) -> dict:
    """What the 登记收款 form shows: the clients to choose from, or the chosen client's open items and credit."""
    client = visible_client(me, client_id) if client_id else None
    context = {"clients": client_choices(me) if client is None else [], "client": client,
               "accounts": accounts_used(), "receivables": [], "credit_fen": 0}
    if client is not None:
        context["receivables"] = [{"id": r.id, "item": r.item, "periods": periods_text(r.period_start, r.period_end),
                                   "due": r.due_date.isoformat(), "outstanding_fen": r.outstanding_fen}
                                  for r in open_receivables(client.id)]
        context["credit_fen"] = credit_balance(client.id)
    return context


def credit_page(me: Staff, client_id: int) -> dict | None:
    client = visible_client(me, client_id)
    if client is None:
        return None
    owed = sum(r.outstanding_fen for r in open_receivables(client.id))
    return {"client": client, "owed_fen": owed, **credit_history(client.id)}


def credit_list(me: Staff) -> list[dict]:
    """Clients ``me`` may see that hold credit, most first."""
    ids = None if me.is_admin else [c for (c,) in visible_clients(me).select(Client.id).tuples()]
    found = balances(ids)
    names = dict(Client.select(Client.id, Client.name).where(Client.id.in_(list(found))).tuples()) if found else {}
    return sorted(({"id": cid, "name": names[cid], "balance_fen": fen} for cid, fen in found.items()),
                  key=lambda r: (-r["balance_fen"], r["name"]))
