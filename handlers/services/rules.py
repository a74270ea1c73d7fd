"""Services' rules (B2): what counts as renewed, expiring or lapsed, and how a term is described.

One rule for every channel (the 到期 command, the 服务 tab, the expiry job):
- a term followed by a later term of the same kind for the same client has been renewed;
- a recurring term (记账, or a 工商 service billed by the month, quarter or year) is *expiring* from ``ahead``
  days before its end, and *lapsed* (已过期未续费) once its end date has passed without a renewal, for
  ``jobs.service_expiry.lapsed_days`` days (after that the client is considered gone, not to be chased);
- a one-off job (billed 一次性, such as 地址变更) is not renewed: its end date is the date it should be done by,
  and past it the job is overdue (已超期), not "expired".
"""
from __future__ import annotations

from datetime import date, timedelta

from peewee import fn

import models
from handlers.cmdkit import client_label, visible_client_ids

ONE_OFF = "once"
OPEN = ("active", "expired")  # stored states of a term nobody has closed: it can still be renewed or done


def is_one_off(service: models.Service) -> bool:
    """A job done once (工商 tasks billed 一次性): it ends when done and is never renewed."""
    return service.billing_cycle == ONE_OFF


def renewed_where():
    """SQL: a later term of the same kind exists for the same client (the service was renewed)."""
    later = models.Service.alias()
    return fn.EXISTS(later.select(later.id).where((later.client == models.Service.client)
                                                  & (later.kind == models.Service.kind)
                                                  & (later.start_date > models.Service.start_date)))


def renewed_ids(terms: list[models.Service]) -> set[int]:
    """renewed_where() for one client's terms already loaded."""
    return {s.id for s in terms if any(t.kind == s.kind and t.start_date > s.start_date for t in terms)}


def term_status(service: models.Service, renewed: bool, today: date) -> str:
    """The status a person should see: renewed by a later term, expired once its end has passed, else stored."""
    if renewed and service.status in OPEN:
        return "renewed"
    if service.status == "active" and service.end_date < today:
        return "expired"
    return service.status


def due_where(today: date, ahead: int, lapsed_days: int):
    """SQL: open, not renewed terms of active clients ending within ``ahead`` days or lapsed within the window."""
    return ((models.Service.status.in_(OPEN)) & (models.Client.status == "active")
            & models.Service.end_date.between(today - timedelta(days=lapsed_days), today + timedelta(days=ahead))
            & ~renewed_where())


def term_view(service: models.Service, today: date) -> dict:
    """What every channel says about a due term: days left (negative once past), lapsed, one-off."""
    days_left = (service.end_date - today).days
    return {"service_id": service.id, "client": client_label(service.client),
            "kind_label": models.SERVICE_KINDS.get(service.kind, service.kind), "service": service.name,
            "end": service.end_date.isoformat(), "days_left": days_left, "days_over": max(-days_left, 0),
            "lapsed": days_left < 0, "one_off": is_one_off(service)}


def due_services(staff: models.Staff, today: date, days: int, lapsed_days: int) -> list[dict]:
    """The asker's due terms: lapsed ones first (most recently lapsed first), then the soonest to end."""
    query = (models.Service.select(models.Service, models.Client).join(models.Client)
             .where(due_where(today, days, lapsed_days)))
    if not staff.is_admin:
        query = query.where(models.Service.client.in_(visible_client_ids(staff)))
    rows = [term_view(s, today) for s in query.order_by(models.Service.end_date, models.Client.name)]
    lapsed = sorted((r for r in rows if r["lapsed"]), key=lambda r: r["days_over"])
    return lapsed + [r for r in rows if not r["lapsed"]]


def _add_months(day: date, months: int) -> date:
    import calendar
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def next_term(start: date, end: date) -> tuple[date, date]:
    """续费: the term after [start, end] starts the day after it ends and lasts as long (whole months stay whole
    months: 2026-01-01..2026-12-31 is followed by 2027-01-01..2027-12-31)."""
    begin = end + timedelta(days=1)
    months = (begin.year - start.year) * 12 + begin.month - start.month
    if months > 0 and begin.day == start.day:
        return begin, _add_months(begin, months) - timedelta(days=1)
    return begin, begin + (end - start)
