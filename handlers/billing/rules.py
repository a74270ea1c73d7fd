"""Billing rules (B3): what clients owe, and how a payment is allocated and recorded. Every channel calls these.

A receivable is overdue (counted as arrears) once its due date has passed: is_overdue()."""
from __future__ import annotations

from datetime import date, datetime

from peewee import fn

import models
from bot.money import format_fen
from bot.router import UserError
from handlers.cmdkit import client_label, visible_client_ids

OPEN = ("open", "partial")


def periods_text(start: str, end: str) -> str:
    """'2026-01至2026-06', or one period when a bill covers one month."""
    return start if start == end else f"{start}至{end}"


def open_receivables(client_id: int) -> list[models.Receivable]:
    """A client's receivables with money still to come, oldest due first (the order payments settle them)."""
    return [r for r in models.Receivable.select()
            .where((models.Receivable.client == client_id) & models.Receivable.status.in_(OPEN))
            .order_by(models.Receivable.due_date, models.Receivable.period_start, models.Receivable.id)
            if r.outstanding_fen > 0]


def is_overdue(due: date, today: date) -> bool:
    """The one "overdue" rule: past its due date. A bill due today is due, not yet overdue."""
    return due < today


def overdue_where(today: date):
    """is_overdue() as a SQL condition on Receivable."""
    return models.Receivable.due_date < today


def days_overdue(due: date, today: date) -> int:
    """Whole days past the due date (0 on the due date)."""
    return max((today - due).days, 0)


def owed_split(client_id: int, today: date) -> tuple[int, int]:
    """(overdue and unpaid, not yet overdue) in fen for one client."""
    due = later = 0
    for r in open_receivables(client_id):
        if is_overdue(r.due_date, today):
            due += r.outstanding_fen
        else:
            later += r.outstanding_fen
    return due, later


def arrears(staff: models.Staff, today: date) -> list[dict]:
    """Visible clients with overdue unpaid receivables, largest amount first."""
    owed = fn.SUM(models.Receivable.amount_fen - models.Receivable.paid_fen)
    query = (models.Receivable
             .select(models.Receivable.client, owed.alias("owed"), fn.COUNT(models.Receivable.id).alias("bills"),
                     fn.MIN(models.Receivable.due_date).alias("oldest"))
             .where(models.Receivable.status.in_(OPEN) & overdue_where(today)
                    & (models.Receivable.amount_fen > models.Receivable.paid_fen))
             .group_by(models.Receivable.client))
    if not staff.is_admin:
        query = query.where(models.Receivable.client.in_(visible_client_ids(staff)))
    rows = list(query.dicts())
    names = {c.id: client_label(c) for c in
             models.Client.select().where(models.Client.id.in_([r["client"] for r in rows]))} if rows else {}
    result = []
    for row in rows:
        oldest = row["oldest"] if isinstance(row["oldest"], date) else date.fromisoformat(str(row["oldest"]))
        result.append({"client": names[row["client"]], "owed_fen": int(row["owed"]), "bills": row["bills"],
                       "overdue_days": days_overdue(oldest, today)})
    result.sort(key=lambda r: (-r["owed_fen"], r["client"]))
    return result


def reminder_items(client_id: int, today: date) -> list[dict]:
    """The open items a payment reminder lists: overdue ones, oldest first."""
    return [{"item": r.item, "periods": periods_text(r.period_start, r.period_end), "amount_fen": r.amount_fen,
             "paid_fen": r.paid_fen, "outstanding_fen": r.outstanding_fen, "due": r.due_date}
            for r in open_receivables(client_id) if is_overdue(r.due_date, today)]


class PlanChanged(UserError):
    """The open items changed between the question and 确认 (someone else recorded a payment)."""


def plan_allocation(receivables: list[models.Receivable], amount_fen: int) -> list[tuple[models.Receivable, int]]:
    """Split ``amount_fen`` over the receivables in order (oldest first); UserError if it is more than they owe.

    Overpayment is refused rather than parked: there is no prepayment ledger, and a receipt must match
    the items it settles."""
    total = sum(r.outstanding_fen for r in receivables)
    if amount_fen > total:
        raise UserError(f"收款金额 {format_fen(amount_fen)} 超过该客户全部未收款项 {format_fen(total)}，未登记。\n"
                        f"收据必须与冲抵的款项一致，请核对金额；如客户预付下期费用，请先在后台录入应收再登记收款。")
    plan, left = [], amount_fen
    for receivable in receivables:
        if left == 0:
            break
        part = min(left, receivable.outstanding_fen)
        plan.append((receivable, part))
        left -= part
    return plan


def _plan_rows(plan) -> list[dict]:
    return [{"item": r.item, "periods": periods_text(r.period_start, r.period_end), "amount_fen": part,
             "left_fen": r.outstanding_fen - part} for r, part in plan]


def _picked(client_id: int, receivable_ids: list[int] | None) -> list[models.Receivable]:
    """The client's open receivables, oldest first; only the ``receivable_ids`` a member ticked, when given."""
    receivables = open_receivables(client_id)
    if receivable_ids is not None:
        wanted = set(receivable_ids)
        receivables = [r for r in receivables if r.id in wanted]
    return receivables


def prepare_payment(client_id: int, amount_fen: int,
                    receivable_ids: list[int] | None = None) -> tuple[list, list[dict]]:
    """([[receivable id, fen], ...], rows to show) for a payment; UserError when it cannot be recorded."""
    receivables = _picked(client_id, receivable_ids)
    if not receivables:
        raise UserError("该客户没有未收款项，无需登记收款。")
    plan = plan_allocation(receivables, amount_fen)
    return [[r.id, part] for r, part in plan], _plan_rows(plan)


def record_payment(staff: models.Staff, client_id: int, amount_fen: int, method: str, planned: list,
                   now: datetime, tz, receivable_ids: list[int] | None = None,
                   note: str = "") -> tuple[models.Payment, list[dict]]:
    """Inside one write transaction: allocate, number, create the Payment (``note``: the member's 备注, printed
    on the receipt; the items it settles are its allocations) and audit it."""
    receivables = _picked(client_id, receivable_ids)
    if models.is_postgres():  # hold the rows until commit so two payments cannot settle the same fen twice
        ids = [r.id for r in receivables]
        receivables = [r for r in models.Receivable.select().where(models.Receivable.id.in_(ids))
                       .order_by(models.Receivable.due_date, models.Receivable.period_start,
                                 models.Receivable.id).for_update() if r.outstanding_fen > 0]
    plan = plan_allocation(receivables, amount_fen)
    if [[r.id, part] for r, part in plan] != planned:
        raise PlanChanged("该客户的未收款项刚刚有变化（可能有人登记了收款），本次未登记。请重新发送收款命令。")
    client = models.Client.get_by_id(client_id)
    paid_on = now.astimezone(tz).date()
    payment = models.Payment.create(
        client=client, receipt_no=models.next_receipt_number(paid_on.year), amount_fen=amount_fen, method=method,
        paid_on=paid_on, payer=client.name, recorded_by=staff, created_at=now, note=note)
    rows = _plan_rows(plan)
    for receivable, part in plan:
        models.PaymentAllocation.create(payment=payment, receivable=receivable, amount_fen=part)
        receivable.paid_fen += part
        receivable.status = receivable.settled_status()
        receivable.save()
    models.audit(staff, "payment.record", payment, after={
        "client": client.name, "receipt_no": payment.receipt_no, "amount_fen": amount_fen, "method": method,
        "paid_on": paid_on.isoformat(), "allocations": [[r.id, part] for r, part in plan], "note": note})
    return payment, rows


def receipt_payment(client_id: int, receipt_no: str | None) -> models.Payment | None:
    """The client's payment with ``receipt_no`` ('2026-000155', or the bare sequence '000155' in any year,
    the latest such), or its latest one."""
    query = models.Payment.select().where(models.Payment.client == client_id)
    if receipt_no and "-" not in receipt_no:
        return (query.where(models.Payment.receipt_no.endswith(f"-{receipt_no}"))
                .order_by(models.Payment.receipt_no.desc()).first())
    if receipt_no:
        return query.where(models.Payment.receipt_no == receipt_no).first()
    return (query.where(models.Payment.voided_at.is_null())
            .order_by(models.Payment.paid_on.desc(), models.Payment.id.desc()).first())


def receipt_data(payment: models.Payment, agency_name: str):
    """The ReceiptData a receipt image is drawn from: one line per settled item."""
    from bot.render.images import ReceiptData, ReceiptLine
    allocations = list(models.PaymentAllocation.select(models.PaymentAllocation, models.Receivable)
                       .join(models.Receivable).where(models.PaymentAllocation.payment == payment)
                       .order_by(models.PaymentAllocation.id))
    lines = tuple(ReceiptLine(a.receivable.item, periods_text(a.receivable.period_start, a.receivable.period_end),
                              a.amount_fen) for a in allocations)
    note = payment.note
    if not lines:  # a payment recorded without items (imported): one line with its note, which is its item
        lines, note = (ReceiptLine(payment.note or "服务费", "", payment.amount_fen),), ""
    payee = payment.recorded_by.name if payment.recorded_by_id else agency_name
    return ReceiptData(agency=agency_name, receipt_no=payment.receipt_no, paid_on=payment.paid_on,
                       payer=payment.payer or payment.client.name, method=models.PAYMENT_METHODS[payment.method],
                       payee=payee, lines=lines, amount_fen=payment.amount_fen, note=note)
