"""到期提醒 job: bookkeeping and business services ending within the configured offsets, to the manager."""
from __future__ import annotations

from datetime import date, timedelta

from peewee import fn

import models
from bot.config.jobs import ServiceExpiryJob
from bot.context import Context
from bot.outbox.engine import Item
from handlers.reminders.digest import chunks, items_for, staff_directory, step_up

KIND = "service_expiry"


def _renewed():
    """A later term of the same kind for the same client: the service was renewed."""
    later = models.Service.alias()
    return fn.EXISTS(later.select(later.id).where((later.client == models.Service.client)
                                                  & (later.kind == models.Service.kind)
                                                  & (later.start_date > models.Service.start_date)))


def plan(today: date, cfg: ServiceExpiryJob) -> list[Item]:
    """Active, not renewed services of active clients ending in 0..max(offsets) days; one item per step."""
    staff = staff_directory()
    query = (models.Service.select(models.Service, models.Client).join(models.Client)
             .where((models.Service.status == "active") & (models.Client.status == "active")
                    & models.Service.end_date.between(today, today + timedelta(days=max(cfg.offsets)))
                    & ~_renewed())
             .order_by(models.Service.end_date, models.Service.id))
    items = []
    for service in query:
        days = (service.end_date - today).days
        step = step_up(days, cfg.offsets)
        data = {"service_id": service.id, "service": service.name,
                "kind_label": models.SERVICE_KINDS.get(service.kind, service.kind),
                "end": service.end_date.isoformat(), "days_left": days, "step": step, "order": days}
        key = f"c{service.client_id}|svc{service.id}:{service.end_date.isoformat()}@{step}"
        items += items_for(KIND, key, service.client, cfg.recipients, staff, data)
    return items


def recheck(items: list[dict]) -> dict:
    """Done when the service is no longer active (renewed, cancelled), a later term exists, or the client left."""
    ids = list({i["service_id"] for i in items})
    live: set[int] = set()
    for chunk in chunks(ids):
        live.update(sid for (sid,) in models.Service.select(models.Service.id).join(models.Client)
                    .where(models.Service.id.in_(chunk) & (models.Service.status == "active")
                           & (models.Client.status == "active") & ~_renewed()).tuples())
    return {i["id"]: None for i in items if i["service_id"] not in live}


async def service_expiry(ctx: Context) -> list[Item]:
    """Services ending within jobs.service_expiry.offsets days, for each client's manager."""
    return await ctx.db.run(plan, ctx.today(), ctx.config.jobs.service_expiry)
