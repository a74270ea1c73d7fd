"""Billing rules (B3): what clients owe, and how a payment is allocated and recorded. Every channel calls these.

A receivable is overdue (counted as arrears) once its due date has passed: is_overdue()."""
from __future__ import annotations

from datetime import date, datetime, timedelta

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


MAX_NOTE = 60  # printed on the receipt
MAX_PAYER = 64
MAX_ACCOUNT = 32
MAX_REASON = 100
OLDEST_DAYS = 366  # a payment dated further back is a typo, not a late entry


def check_paid_on(paid_on: date, today: date) -> date:
    """The one rule for a payment's date: not in the future, not more than a year back."""
    if paid_on > today:
        raise UserError(f"收款日期 {paid_on.isoformat()} 晚于今天，请核对。")
    earliest = today - timedelta(days=OLDEST_DAYS)
    if paid_on < earliest:
        raise UserError(f"收款日期不能早于 {earliest.isoformat()}，请核对。")
    return paid_on


def check_texts(payer: str, account: str, note: str) -> tuple[str, str, str]:
    """Payer, account and note trimmed, or a UserError naming the one that is too long."""
    payer, account, note = (payer or "").strip(), (account or "").strip(), (note or "").strip()
    for value, label, most in ((payer, "付款人", MAX_PAYER), (account, "收款账户", MAX_ACCOUNT),
                               (note, "备注", MAX_NOTE)):
        if len(value) > most:
            raise UserError(f"{label}最多 {most} 字（会印在收据上），请精简。")
    return payer, account, note


def plan_allocation(receivables: list[models.Receivable], amount_fen: int) -> tuple[list, int]:
    """Split ``amount_fen`` over the receivables in order (oldest first): (plan, what is left over).

    What is left over (more than they owe, or nothing to settle: a prepayment) becomes the client's credit."""
    plan, left = [], amount_fen
    for receivable in receivables:
        if left == 0:
            break
        part = min(left, receivable.outstanding_fen)
        plan.append((receivable, part))
        left -= part
    return plan, left


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
                    receivable_ids: list[int] | None = None) -> tuple[list, list[dict], int]:
    """([[receivable id, fen], ...], rows to show, credit left over) for a payment."""
    plan, credit = plan_allocation(_picked(client_id, receivable_ids), amount_fen)
    return [[r.id, part] for r, part in plan], _plan_rows(plan), credit


def lock_client(client_id: int) -> models.Client:
    """The client, its row held until commit on PostgreSQL: payments, voids and credit of one client queue up.
    (SQLite serialises every write transaction already.)"""
    query = models.Client.select().where(models.Client.id == client_id)
    return (query.for_update() if models.is_postgres() else query).get()


def record_payment(staff: models.Staff, client_id: int, amount_fen: int, method: str, planned: list,
                   now: datetime, tz, receivable_ids: list[int] | None = None, note: str = "", *,
                   paid_on: date | None = None, payer: str = "", account: str = "") -> tuple[models.Payment, list]:
    """Inside one write transaction: allocate, number, create the Payment and audit it. ``planned`` is what the
    member was shown; the rest beyond the items is kept as the client's credit. ``paid_on`` defaults to today
    in the agency's zone; ``payer`` to the client's name; ``note`` (备注) and ``account`` print on the receipt.
    ``staff`` may be an audit label instead (the JSON API's 'api:<token name>'): then nobody is recorded_by."""
    client = lock_client(client_id)
    today = now.astimezone(tz).date()
    paid_on = check_paid_on(paid_on or today, today)
    payer, account, note = check_texts(payer, account, note)
    plan, credit = plan_allocation(_picked(client_id, receivable_ids), amount_fen)
    if [[r.id, part] for r, part in plan] != planned:
        raise PlanChanged("该客户的未收款项刚刚有变化（可能有人登记了收款），本次未登记。请重新发送收款命令。")
    payment = models.Payment.create(
        client=client, receipt_no=models.next_receipt_number(paid_on.year), amount_fen=amount_fen, method=method,
        paid_on=paid_on, payer=payer or client.name,
        recorded_by=staff if isinstance(staff, models.Staff) else None, created_at=now, note=note, account=account,
        credit_fen=credit)
    rows = _plan_rows(plan)
    for receivable, part in plan:
        models.PaymentAllocation.create(payment=payment, receivable=receivable, amount_fen=part)
        receivable.paid_fen += part
        receivable.status = receivable.settled_status()
        receivable.save()
    models.audit(staff, "payment.record", payment, after={
        "client": client.name, "receipt_no": payment.receipt_no, "amount_fen": amount_fen, "method": method,
        "paid_on": paid_on.isoformat(), "payer": payment.payer, "account": account,
        "allocations": [[r.id, part] for r, part in plan], "credit_fen": credit, "note": note})
    return payment, rows


def void_payment(payment: models.Payment | int, reason: str, actor: models.Staff, now: datetime) -> models.Payment:
    """作废: the receipt keeps its number; every allocation (also credit applied from it later) is given back to
    its receivable, and the credit it left goes with it. Refused when already void or its credit was refunded."""
    reason = (reason or "").strip()
    if not reason:
        raise UserError("请填写作废原因。")
    if len(reason) > MAX_REASON:
        raise UserError(f"作废原因最多 {MAX_REASON} 字，请精简。")
    payment_id = payment if isinstance(payment, int) else payment.id
    client_id = models.Payment.select(models.Payment.client).where(models.Payment.id == payment_id).scalar()
    lock_client(client_id)
    payment = models.Payment.get_by_id(payment_id)  # read again under the lock
    if payment.voided_at is not None:
        raise UserError(f"收据 {payment.receipt_no} 已作废（{payment.void_reason}），不能重复作废。")
    refunded = sum(p.amount_fen for p in payment.refund_parts)
    if refunded:
        raise UserError(f"收据 {payment.receipt_no} 存入的余额已退款 {format_fen(refunded)}，不能作废。")
    restored = []
    for allocation in payment.allocations.order_by(models.PaymentAllocation.id):
        receivable = models.Receivable.get_by_id(allocation.receivable_id)
        receivable.paid_fen -= allocation.amount_fen
        receivable.status = receivable.settled_status()
        receivable.save()
        restored.append([receivable.id, allocation.amount_fen])
    models.Payment.update(voided_at=now, void_reason=reason).where(models.Payment.id == payment.id).execute()
    models.audit(actor, "payment.void", payment, before={"receipt_no": payment.receipt_no, "voided": False},
                 after={"receipt_no": payment.receipt_no, "voided": True, "reason": reason,
                        "amount_fen": payment.amount_fen, "restored": restored})
    return models.Payment.get_by_id(payment.id)


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


CREDIT_LINE = "预收款（存入客户余额）"


def receipt_data(payment: models.Payment, agency_name: str):
    """The ReceiptData a receipt image is drawn from: one line per item it settled when recorded, one for the
    credit it left; a void payment's receipt says so, with the reason."""
    from bot.render.images import ReceiptData, ReceiptLine
    allocations = list(models.PaymentAllocation.select(models.PaymentAllocation, models.Receivable)
                       .join(models.Receivable)
                       .where((models.PaymentAllocation.payment == payment) & ~models.PaymentAllocation.from_credit)
                       .order_by(models.PaymentAllocation.id))
    lines = tuple(ReceiptLine(a.receivable.item, periods_text(a.receivable.period_start, a.receivable.period_end),
                              a.amount_fen) for a in allocations)
    if payment.credit_fen:
        lines += (ReceiptLine(CREDIT_LINE, "", payment.credit_fen),)
    note = payment.note
    if not lines:  # a payment recorded without items (imported): one line with its note, which is its item
        lines, note = (ReceiptLine(payment.note or "服务费", "", payment.amount_fen),), ""
    payee = payment.recorded_by.name if payment.recorded_by_id else agency_name
    return ReceiptData(agency=agency_name, receipt_no=payment.receipt_no, paid_on=payment.paid_on,
                       payer=payment.payer or payment.client.name, method=models.PAYMENT_METHODS[payment.method],
                       payee=payee, lines=lines, amount_fen=payment.amount_fen, note=note, account=payment.account,
                       voided=payment.voided_at is not None, void_reason=payment.void_reason or "")
