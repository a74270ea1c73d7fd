"""A client's credit (余额, B3): what a prepayment or an overpayment left, applied to the next receivables oldest
first (用余额抵扣) or paid back (退款). Every channel calls these.

Nothing stores a balance. Each payment records the credit it left (Payment.credit_fen); what is left of it is
that minus its later allocations (PaymentAllocation.from_credit) and the refund parts drawn from it, and a void
payment counts for nothing. A client's balance is the sum over its payments, so it is always exact, and
voiding a payment takes its credit (and anything applied from it) with it."""
from __future__ import annotations

from datetime import date, datetime

from peewee import fn

import models
from bot.money import format_fen
from bot.router import UserError
from handlers.billing.rules import MAX_NOTE, lock_client, open_receivables, periods_text

Alloc, Part, Payment = models.PaymentAllocation, models.CreditRefundPart, models.Payment


def _used(model, payment_ids: list[int], where=None) -> dict[int, int]:
    """fen taken from each payment's credit by ``model`` rows (from_credit allocations or refund parts)."""
    query = model.select(model.payment, fn.SUM(model.amount_fen)).where(model.payment.in_(payment_ids))
    if where is not None:
        query = query.where(where)
    return {pid: int(total) for pid, total in query.group_by(model.payment).tuples()}


def credit_sources(client_id: int) -> list[tuple[models.Payment, int]]:
    """(payment, fen of its credit still unused) for the client's valid payments with credit, oldest first."""
    payments = list(Payment.select().where((Payment.client == client_id) & Payment.voided_at.is_null()
                                           & (Payment.credit_fen > 0)).order_by(Payment.paid_on, Payment.id))
    ids = [p.id for p in payments]
    if not ids:
        return []
    applied, refunded = _used(Alloc, ids, Alloc.from_credit), _used(Part, ids)
    left = [(p, p.credit_fen - applied.get(p.id, 0) - refunded.get(p.id, 0)) for p in payments]
    return [(p, fen) for p, fen in left if fen > 0]


def credit_balance(client_id: int) -> int:
    """The client's credit in fen."""
    return sum(fen for _, fen in credit_sources(client_id))


def balances(client_ids: list[int] | None = None) -> dict[int, int]:
    """client id -> credit in fen, for every client with some (of ``client_ids`` when given)."""
    query = Payment.select(Payment.client, Payment.id).where(Payment.voided_at.is_null() & (Payment.credit_fen > 0))
    if client_ids is not None:
        query = query.where(Payment.client.in_(client_ids))
    owners = dict((pid, cid) for cid, pid in query.tuples())
    result: dict[int, int] = {}
    for cid in set(owners.values()):
        fen = credit_balance(cid)
        if fen:
            result[cid] = fen
    return result


def _draw(sources: list[tuple[models.Payment, int]], fen: int):
    """Take ``fen`` from the sources oldest first: [(payment, part), ...]."""
    taken = []
    for payment, left in sources:
        if fen == 0:
            break
        part = min(fen, left)
        taken.append((payment, part))
        fen -= part
    return taken


def apply_credit(client_id: int, actor: models.Staff | None, now: datetime) -> list[dict]:
    """用余额抵扣: settle the client's open receivables (due date, then id) from its credit, oldest credit first;
    call inside a write transaction. Returns the rows settled (empty when there is no credit or nothing owed)."""
    client = lock_client(client_id)
    sources = credit_sources(client_id)
    rows, moves = [], []
    for receivable in open_receivables(client_id):
        available = sum(fen for _, fen in sources)
        if available == 0:
            break
        taken = _draw(sources, min(available, receivable.outstanding_fen))
        for payment, part in taken:
            Alloc.create(payment=payment, receivable=receivable, amount_fen=part, from_credit=True)
            moves.append([payment.receipt_no, receivable.id, part])
        part = sum(p for _, p in taken)
        receivable.paid_fen += part
        receivable.status = receivable.settled_status()
        receivable.save()
        rows.append({"item": receivable.item, "amount_fen": part, "left_fen": receivable.outstanding_fen,
                     "periods": periods_text(receivable.period_start, receivable.period_end)})
        used = dict((p.id, x) for p, x in taken)
        sources = [(p, fen - used.get(p.id, 0)) for p, fen in sources if fen - used.get(p.id, 0) > 0]
    if moves:
        models.audit(actor, "credit.apply", client, after={
            "client": client.name, "applied_fen": sum(m[2] for m in moves), "moves": moves})
    return rows


def add_receivable(actor: models.Staff | None, now: datetime, **fields) -> tuple[models.Receivable, list[dict]]:
    """Create a receivable and settle it (and any older open one) from the client's credit at once.
    Anything that bills a client (imports, contracts) should create receivables through this."""
    receivable = models.Receivable.create(created_at=now, **fields)
    rows = apply_credit(receivable.client_id, actor, now)
    return models.Receivable.get_by_id(receivable.id), rows


def refund_credit(client_id: int, amount_fen: int, method: str, refunded_on: date, note: str,
                  actor: models.Staff, now: datetime) -> models.CreditRefund:
    """退款: pay back part or all of the credit (oldest credit first); call inside a write transaction."""
    client = lock_client(client_id)
    if method not in models.PAYMENT_METHODS:
        raise UserError("退款方式不正确，请从列表中选择。")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise UserError(f"备注最多 {MAX_NOTE} 字，请精简。")
    sources = credit_sources(client_id)
    balance = sum(fen for _, fen in sources)
    if amount_fen <= 0:
        raise UserError("退款金额必须大于 0。")
    if amount_fen > balance:
        raise UserError(f"退款金额 {format_fen(amount_fen)} 超过客户余额 {format_fen(balance)}。")
    refund = models.CreditRefund.create(client=client, amount_fen=amount_fen, method=method, refunded_on=refunded_on,
                                        note=note, recorded_by=actor, created_at=now)
    parts = _draw(sources, amount_fen)
    for payment, part in parts:
        Part.create(refund=refund, payment=payment, amount_fen=part)
    models.audit(actor, "credit.refund", refund, after={
        "client": client.name, "amount_fen": amount_fen, "method": method, "refunded_on": refunded_on.isoformat(),
        "note": note, "from": [[p.receipt_no, part] for p, part in parts], "balance_after": balance - amount_fen})
    return refund


def credit_history(client_id: int) -> dict:
    """The balance, the payments that left credit (and what is left of each), and the refunds, newest first."""
    left = {p.id: fen for p, fen in credit_sources(client_id)}
    deposits = (Payment.select().where((Payment.client == client_id) & (Payment.credit_fen > 0))
                .order_by(Payment.paid_on.desc(), Payment.id.desc()))
    refunds = (models.CreditRefund.select().where(models.CreditRefund.client == client_id)
               .order_by(models.CreditRefund.refunded_on.desc(), models.CreditRefund.id.desc()))
    return {"balance_fen": sum(left.values()),
            "deposits": [{"id": p.id, "receipt_no": p.receipt_no, "paid_on": p.paid_on, "credit_fen": p.credit_fen,
                          "left_fen": left.get(p.id, 0), "voided": p.voided_at is not None} for p in deposits],
            "refunds": [{"refunded_on": r.refunded_on, "amount_fen": r.amount_fen, "note": r.note,
                         "method_label": models.PAYMENT_METHODS[r.method],
                         "by": r.recorded_by.name if r.recorded_by_id else ""} for r in refunds]}
