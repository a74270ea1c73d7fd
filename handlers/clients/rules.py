"""Clients' rules (L6): a client's service state as one word, and what "linked" means, for every list.

The service state comes from the services feature's own rule (handlers/services/rules.py due_where): a client is
- 即将到期 when an open, unrenewed term of an active client ends within ``ahead`` days;
- 服务中 when an open, unrenewed term ends later than that (and none is expiring);
- 已到期 when its only open, unrenewed terms ended in the last ``lapsed_days`` days (已过期未续费);
- 无服务 otherwise (no term, or only closed, renewed or long-lapsed ones).
Each state is a subquery of client ids, so a list filters on it in SQL and labels a page's rows from the same sets.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from handlers.services.rules import OPEN, due_where, renewed_where
from models import Client, ContactClientLink, GroupClientLink, Service

SERVICE_STATES = {"expiring": "即将到期", "active": "服务中", "expired": "已到期", "none": "无服务"}
LINKED = {"yes": "有关联", "no": "未关联"}


@dataclass(frozen=True)
class Window:
    """The services rule's window: expiring from ``ahead`` days before the end, lapsed for ``lapsed_days``."""
    today: date
    ahead: int
    lapsed_days: int


def _ids(condition):
    return Service.select(Service.client).join(Client).where(condition)


def expiring_ids(w: Window):
    return _ids(due_where(w.today, w.ahead, w.lapsed_days) & (Service.end_date >= w.today))


def lapsed_ids(w: Window):
    return _ids(due_where(w.today, w.ahead, w.lapsed_days) & (Service.end_date < w.today))


def serving_ids(w: Window):
    return _ids(Service.status.in_(OPEN) & (Client.status == "active")
                & (Service.end_date > w.today + timedelta(days=w.ahead)) & ~renewed_where())


def state_where(state: str, w: Window):
    """SQL on Client for one of SERVICE_STATES (the first that holds wins, in the order of the docstring)."""
    expiring, serving, lapsed = Client.id.in_(expiring_ids(w)), Client.id.in_(serving_ids(w)), Client.id.in_(lapsed_ids(w))
    if state == "expiring":
        return expiring
    if state == "active":
        return serving & ~expiring
    if state == "expired":
        return lapsed & ~expiring & ~serving
    return ~expiring & ~serving & ~lapsed


def states_of(client_ids: list[int], w: Window) -> dict[int, str]:
    """The state of each client of one page (three small queries, whatever the page size)."""
    def among(query) -> set[int]:
        return {cid for (cid,) in query.where(Service.client.in_(client_ids)).distinct().tuples()}
    expiring, serving, lapsed = among(expiring_ids(w)), among(serving_ids(w)), among(lapsed_ids(w))
    return {cid: "expiring" if cid in expiring else "active" if cid in serving else "expired" if cid in lapsed
            else "none" for cid in client_ids}


def linked_where(value: str):
    """SQL on Client: linked to at least one WeCom contact or group ('yes'), or to none ('no')."""
    linked = (Client.id.in_(ContactClientLink.select(ContactClientLink.client))
              | Client.id.in_(GroupClientLink.select(GroupClientLink.client)))
    return linked if value == "yes" else ~linked


def tag_where(tag: str):
    """SQL on Client: the client's tags (a JSON list of strings) hold ``tag`` exactly."""
    return Client.tags.holds_text(Client.tags.db_value([tag])[1:-1])
