"""The billing plan (B3): which receivables a service term bills, and writing receivables by hand.

The plan of a term follows its fee and billing cycle (费用 is per cycle):
- 按月 / 按季 / 按年: one receivable per 1 / 3 / 12 months from the term's first month; a last, shorter part of
  a cycle (the term ends mid-quarter) is billed pro rata by whole months, rounded down to the fen;
- 一次性 (a one-off 工商 job): one receivable for the whole term;
- each is due on the first day of its first month, or on the term's start day if that is later;
- its item is the service's name followed by 费 (代理记账 → 代理记账费), so it matches how staff name them.
A contract's plan is the plans of its terms that are not cancelled. Generating skips receivables already there
(same client, item and first period — the import's natural key), so it can be run again after adding a term.
Every receivable is created through credit.add_receivable, so a client's credit settles it at once (FIFO).
"""
from __future__ import annotations

from datetime import date, datetime

import models
from handlers.admin.forms import changed, in_use, plain
from handlers.billing.credit import add_receivable, apply_credit

CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
FIELDS = ("item", "period_start", "period_end", "amount_fen", "due_date", "contract")


def item_of(service: models.Service) -> str:
    return service.name if service.name.endswith("费") else service.name + "费"


def _due(period: str, start: date) -> date:
    first = date(int(period[:4]), int(period[5:]), 1)
    return max(first, start)


def plan(service: models.Service) -> list[dict]:
    """The receivables the term bills, in order: {item, period_start, period_end, amount_fen, due_date}."""
    periods = models.period_range(models.period_of(service.start_date), models.period_of(service.end_date))
    size = CYCLE_MONTHS.get(service.billing_cycle, len(periods))
    rows = []
    for index in range(0, len(periods), size):
        chunk = periods[index:index + size]
        amount = service.fee_fen if len(chunk) == size else service.fee_fen * len(chunk) // size
        rows.append({"item": item_of(service), "period_start": chunk[0], "period_end": chunk[-1],
                     "amount_fen": amount, "due_date": _due(chunk[0], service.start_date)})
    return rows


def generate(actor, services: list[models.Service], now: datetime) -> tuple[int, int]:
    """Create the plan's receivables that are not there yet; (created, already there). Audited as one entry."""
    created, skipped, ids = 0, 0, []
    for service in services:
        if service.status == "cancelled":
            continue
        for row in plan(service):
            exists = models.Receivable.select().where(
                (models.Receivable.client == service.client_id) & (models.Receivable.item == row["item"])
                & (models.Receivable.period_start == row["period_start"])).exists()
            if exists:
                skipped += 1
                continue
            receivable, _ = add_receivable(actor, now, client=service.client_id, contract=service.contract_id,
                                           service=service.id, **row)
            ids.append(receivable.id)
            created += 1
    if ids:
        models.audit(actor, "receivable.generate", "Receivable", ids[0], after={
            "client": services[0].client_id, "services": [s.id for s in services], "receivables": ids,
            "skipped": skipped})
    return created, skipped


def _data(receivable: models.Receivable) -> dict:
    return plain({**{n: getattr(receivable, n) for n in FIELDS if n != "contract"},
                  "contract": receivable.contract_id})


def allocated(receivable: models.Receivable) -> int:
    return receivable.allocations.count()


def locked_reason(receivable: models.Receivable) -> str | None:
    """Why a receivable cannot be edited: money was already applied to it (void or refund that first)."""
    count = allocated(receivable)
    if count or receivable.paid_fen:
        return (f"这笔应收已有 {count} 笔收款冲抵（已收 {receivable.paid_fen / 100:.2f} 元），不能修改；"
                "如需更正，请先在「收款」中作废相应收款。")
    return None


def add_by_hand(actor, client: models.Client, values: dict, now: datetime) -> models.Receivable:
    receivable, _ = add_receivable(actor, now, client=client.id, **values)
    models.audit(actor, "receivable.create", receivable, after={**_data(receivable), "client": client.id})
    return receivable


def update(actor, receivable: models.Receivable, values: dict, now: datetime) -> None:
    """Change an unpaid receivable; the client's credit then settles it like a new one."""
    before = _data(receivable)
    for name, value in values.items():
        setattr(receivable, name, value)
    receivable.save()
    old, new = changed(before, _data(receivable))
    if new:
        models.audit(actor, "receivable.update", receivable, before=old, after=new)
        apply_credit(receivable.client_id, actor, now)


def delete(actor, receivable: models.Receivable) -> str | None:
    reason = in_use(f"应收「{receivable.item} {receivable.period_start}」", [("收款冲抵", "笔", allocated(receivable))])
    if reason:
        return reason
    before = {**_data(receivable), "client": receivable.client_id, "paid_fen": receivable.paid_fen}
    receivable.delete_instance()
    models.audit(actor, "receivable.delete", "Receivable", receivable.id, before=before)
    return None
