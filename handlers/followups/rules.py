"""跟进: add a follow-up note to a client, or list the latest ones (B5)."""
from __future__ import annotations

from peewee import JOIN

import models

MAX_CONTENT = 1000
SHOWN = 5


def add_followup(staff: models.Staff, client_id: int, content: str, now) -> models.FollowUp:
    """Inside one write transaction: the follow-up and its audit entry."""
    followup = models.FollowUp.create(client=client_id, staff=staff, content=content, created_at=now)
    models.audit(staff, "followup.add", followup, after={"client_id": client_id, "content": content})
    return followup


def recent_followups(client_id: int, tz) -> list[dict]:
    query = (models.FollowUp.select(models.FollowUp, models.Staff)
             .join(models.Staff, JOIN.LEFT_OUTER, on=(models.FollowUp.staff == models.Staff.id))
             .where(models.FollowUp.client == client_id)
             .order_by(models.FollowUp.created_at.desc(), models.FollowUp.id.desc()).limit(SHOWN))
    return [{"at": f.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
             "by": f.staff.name if f.staff_id else "", "content": f.content} for f in query]
