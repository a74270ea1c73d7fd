"""催款 job: receivables overdue by the configured steps, to the client's manager."""
from __future__ import annotations

from datetime import date

import models
from bot.config.jobs import ArrearsJob
from bot.context import Context
from bot.outbox.engine import Item
from handlers.billing.rules import days_overdue, overdue_where
from handlers.reminders.clientpush import with_client_pushes
from handlers.reminders.digest import chunks, items_for, plan_by_clients, staff_directory, step_down

PERM = "wecom.billing"  # only members who may see this section get its reminders
KIND = "arrears"


def _periods(receivable: models.Receivable) -> str:
    start, end = receivable.period_start, receivable.period_end
    return start if start == end else f"{start}～{end}"


def plan(today: date, cfg: ArrearsJob, staff: dict | None = None,
         clients: tuple[int, int] | None = None) -> list[Item]:
    """Open or partly paid receivables past their due date; one item per receivable and step reached.
    ``clients``: only clients with ids in this range (a sweep runs in pieces: digest.plan_by_clients)."""
    staff = staff_directory() if staff is None else staff
    query = (models.Receivable.select(models.Receivable, models.Client).join(models.Client)
             .where(models.Receivable.status.in_(["open", "partial"]) & overdue_where(today))
             .order_by(models.Receivable.due_date, models.Receivable.id))
    if clients is not None:
        query = query.where(models.Client.id.between(*clients))
    items = []
    for receivable in query:
        overdue = days_overdue(receivable.due_date, today)
        step = step_down(overdue, cfg.steps)
        if step is None or receivable.outstanding_fen <= 0:
            continue
        data = {"receivable_id": receivable.id, "item": receivable.item, "periods": _periods(receivable),
                "outstanding_fen": receivable.outstanding_fen, "due": receivable.due_date.isoformat(),
                "overdue_days": overdue, "step": step, "order": -overdue}
        key = f"c{receivable.client_id}|rcv{receivable.id}:{receivable.due_date.isoformat()}@{step}"
        items += items_for(KIND, key, receivable.client, cfg.recipients, staff, data, PERM)
    return items


def recheck(items: list[dict]) -> dict:
    """Done when paid in full or waived; otherwise the amount still owed as of now."""
    owed: dict[int, int] = {}
    for chunk in chunks(list({i["receivable_id"] for i in items})):
        for receivable in models.Receivable.select().where(models.Receivable.id.in_(chunk)):
            owed[receivable.id] = receivable.outstanding_fen
    return {i["id"]: ({"outstanding_fen": owed[i["receivable_id"]]} if owed.get(i["receivable_id"], 0) > 0
                      else None) for i in items}


async def arrears(ctx: Context) -> list[Item]:
    """Receivables overdue by jobs.arrears.steps days, for each client's manager (and, if on, the client)."""
    cfg = ctx.config.jobs.arrears
    return await with_client_pushes(ctx, KIND, await plan_by_clients(ctx, plan, ctx.today(), cfg), cfg)
