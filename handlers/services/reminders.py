"""到期提醒 job: services ending within the configured offsets, and ones lapsed without renewal, to the manager."""
from __future__ import annotations

from datetime import date

import models
from bot.config.jobs import ServiceExpiryJob
from bot.context import Context
from bot.outbox.engine import Item
from handlers.services.rules import OPEN, due_where, renewed_where, term_view
from handlers.reminders.digest import chunks, items_for, plan_by_clients, staff_directory, step_up

PERM = "wecom.service"  # only members who may see this section get its reminders
KIND = "service_expiry"


def _step(view: dict, offsets: tuple[int, ...]) -> str | None:
    """The reminder step a term has reached: an offset while it is coming, 'lapsed' once (after its end)."""
    if view["lapsed"]:
        return "lapsed"
    step = step_up(view["days_left"], offsets)
    return None if step is None else str(step)


def plan(today: date, cfg: ServiceExpiryJob, staff: dict | None = None,
         clients: tuple[int, int] | None = None) -> list[Item]:
    """Due terms (services/rules.due_where): one item per step while coming, one when lapsed unrenewed.
    ``clients``: only clients with ids in this range (a sweep runs in pieces: digest.plan_by_clients)."""
    staff = staff_directory() if staff is None else staff
    query = (models.Service.select(models.Service, models.Client).join(models.Client)
             .where(due_where(today, max(cfg.offsets), cfg.lapsed_days))
             .order_by(models.Service.end_date, models.Service.id))
    if clients is not None:
        query = query.where(models.Client.id.between(*clients))
    items = []
    for service in query:
        view = term_view(service, today)
        step = _step(view, cfg.offsets)
        if step is None:
            continue
        data = {**view, "step": step, "order": view["days_left"] if not view["lapsed"] else -10_000 + view["days_left"]}
        key = f"c{service.client_id}|svc{service.id}:{service.end_date.isoformat()}@{step}"
        items += items_for(KIND, key, service.client, cfg.recipients, staff, data, PERM)
    return items


def recheck(items: list[dict]) -> dict:
    """Done when the term was renewed, closed (renewed, cancelled, finished) or the client left."""
    ids = list({i["service_id"] for i in items})
    live: set[int] = set()
    for chunk in chunks(ids):
        live.update(sid for (sid,) in models.Service.select(models.Service.id).join(models.Client)
                    .where(models.Service.id.in_(chunk) & models.Service.status.in_(OPEN)
                           & (models.Client.status == "active") & ~renewed_where()).tuples())
    return {i["id"]: None for i in items if i["service_id"] not in live}


async def service_expiry(ctx: Context) -> list[Item]:
    """Services ending within jobs.service_expiry.offsets days or lapsed unrenewed, for each client's manager."""
    return await plan_by_clients(ctx, plan, ctx.today(), ctx.config.jobs.service_expiry)
