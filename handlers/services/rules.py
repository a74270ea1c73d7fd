"""Services' rules (B2): which terms are about to end, and what counts as renewed."""
from __future__ import annotations

from datetime import date, timedelta

from peewee import fn

import models
from handlers.cmdkit import client_label, visible_client_ids


def expiring_services(staff: models.Staff, today: date, days: int) -> list[dict]:
    """Active services of visible clients ending within ``days`` days, soonest first.

    A term already followed by a later term of the same kind has been renewed, so it is left out."""
    later = models.Service.alias()
    renewed = later.select(later.id).where((later.client == models.Service.client)
                                           & (later.kind == models.Service.kind)
                                           & (later.start_date > models.Service.start_date))
    query = (models.Service.select(models.Service, models.Client).join(models.Client)
             .where((models.Service.status == "active")
                    & models.Service.end_date.between(today, today + timedelta(days=days))
                    & ~fn.EXISTS(renewed)))
    if not staff.is_admin:
        query = query.where(models.Service.client.in_(visible_client_ids(staff)))
    return [{"client": client_label(s.client), "kind": models.SERVICE_KINDS.get(s.kind, s.kind), "name": s.name,
             "end": s.end_date, "days_left": (s.end_date - today).days}
            for s in query.order_by(models.Service.end_date, models.Client.name)]
