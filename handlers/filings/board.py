"""The filing-season board (X4): every return of a period among the clients a member may see, by accountant.

A return's state (未申报 / 已申报 / 零申报 / 逾期) is rules.board_state with its deadline from the one calendar
(rules.return_deadline). To filter and count by state in SQL, the few (cycle, tax) pairs whose deadline has passed
are worked out first: a pending return of such a pair is 逾期. Plain synchronous peewee, run off the loop.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import date

from peewee import JOIN, Case, fn

import models
from bot.money import format_fen
from handlers.access import visible_clients
from handlers.admin.kit import ListQuery, Page
from handlers.filings.rules import BOARD_STATES, board_state, days_left, period_deadline, return_deadline
from models import Client, Staff, TaxFiling

Accountant = Staff.alias("accountant")
FILTERS = ("period", "accountant", "manager", "state", "tax")
SHOWN_NAME = Case(None, [(Client.short_name == "", Client.name)], Client.short_name)  # what the client column shows
SORTS = {"client": SHOWN_NAME, "accountant": Accountant.name, "tax": TaxFiling.tax, "state": TaxFiling.status,
         "amount": TaxFiling.amount_fen, "filed": TaxFiling.filed_at}
NO_ACCOUNTANT = "0"  # the accountant filter's value for clients nobody keeps the books of


@dataclass(frozen=True)
class Season:
    """One period's filing season as seen on ``today`` (the agency's day)."""
    period: str
    today: date
    calendar: object  # the `filings` config section

    @property
    def deadline(self):
        """When the period's monthly and quarterly returns are due (rules.period_deadline)."""
        return period_deadline(self.period, self.calendar)

    @property
    def days_left(self) -> int:
        return days_left(self.deadline.day, self.today)

    @functools.lru_cache(maxsize=4096)  # a page asks the same few pairs for every row
    def due(self, cycle: str, tax: str) -> date:
        return return_deadline(self.period, cycle, tax, self.calendar).day

    def state(self, status: str, amount_fen: int, cycle: str, tax: str) -> str:
        return board_state(status, amount_fen, self.due(cycle, tax), self.today)

    def _late_pairs(self):
        """A condition true for the (cycle, tax) pairs whose deadline has passed (None when there are none)."""
        late = None
        for cycle in models.FILING_CYCLES:
            for tax in models.TAX_KINDS:
                if self.state("pending", 0, cycle, tax) == "overdue":
                    pair = (TaxFiling.cycle == cycle) & (TaxFiling.tax == tax)
                    late = pair if late is None else late | pair
        return late

    def state_where(self, state: str):
        """The SQL condition for returns in board state ``state``."""
        pending, late = TaxFiling.status == "pending", self._late_pairs()
        if state == "pending":
            return pending if late is None else pending & ~late
        if state == "overdue":
            return pending & late if late is not None else TaxFiling.id < 0
        filed = TaxFiling.status != "pending"
        return filed & (TaxFiling.amount_fen > 0 if state == "filed" else TaxFiling.amount_fen == 0)


def _base(me: Staff, period: str):
    query = (TaxFiling.select(TaxFiling, Client, Accountant).join(Client)
             .join(Accountant, JOIN.LEFT_OUTER, on=(Client.accountant == Accountant.id))
             .where(TaxFiling.period == period))
    if not me.is_admin:
        query = query.where(TaxFiling.client.in_(visible_clients(me).select(Client.id)))
    return query


def filtered(me: Staff, lq: ListQuery, season: Season):
    """The board's returns with the list's search and filters."""
    query, f = _base(me, season.period), lq.filters
    if lq.q:
        query = query.where(Client.name.contains(lq.q) | Client.short_name.contains(lq.q))
    if f.get("accountant") == NO_ACCOUNTANT:
        query = query.where(Client.accountant.is_null())
    elif f.get("accountant", "").isdigit():
        query = query.where(Client.accountant == int(f["accountant"]))
    if f.get("manager", "").isdigit():
        query = query.where(Client.manager == int(f["manager"]))
    if f.get("tax") in models.TAX_KINDS:
        query = query.where(TaxFiling.tax == f["tax"])
    if f.get("state") in BOARD_STATES:
        query = query.where(season.state_where(f["state"]))
    return query


def ordered(query, lq: ListQuery):
    """The chosen sort, then client, tax and id, so pages never share or skip a row."""
    column = SORTS[lq.sort]
    first = column.desc() if lq.descending else column.asc()
    return query.order_by(first, Client.name.asc(), TaxFiling.tax.asc(), TaxFiling.id.asc())


def page_of(query, lq: ListQuery) -> Page:
    total = query.order_by().count()
    lq.page = min(lq.page, max(1, math.ceil(total / lq.per_page)))
    return Page(list(ordered(query, lq).paginate(lq.page, lq.per_page)), total, lq)


def row_of(f: TaxFiling, season: Season, tz) -> dict:
    """What the table (and the export) shows of one return."""
    due = season.due(f.cycle, f.tax)
    state = season.state(f.status, f.amount_fen, f.cycle, f.tax)
    accountant = f.client.accountant
    return {"id": f.id, "client": f.client.short_name or f.client.name, "client_name": f.client.name,
            "accountant": accountant.name if f.client.accountant_id and accountant else "",
            "tax": models.TAX_KINDS[f.tax], "cycle": models.FILING_CYCLES[f.cycle], "status": f.status,
            "status_label": models.FILING_STATUSES[f.status], "state": state, "state_label": BOARD_STATES[state],
            "amount_fen": f.amount_fen, "amount_text": format_fen(f.amount_fen, symbol=""), "filed_on": f.filed_at.astimezone(tz).date().isoformat() if f.filed_at else "",
            "deadline": due.isoformat(), "days_left": days_left(due, season.today)}


def summary(me: Staff, season: Season) -> list[dict]:
    """Per accountant (and one line for clients with none): counts by state, soonest work first."""
    zero = Case(None, [(TaxFiling.amount_fen == 0, 1)], 0)
    query = (_base(me, season.period)
             .select(Client.accountant, Accountant.name, TaxFiling.status, TaxFiling.cycle, TaxFiling.tax,
                     zero.alias("zero"), fn.COUNT(TaxFiling.id).alias("n"))
             .group_by(Client.accountant, Accountant.name, TaxFiling.status, TaxFiling.cycle, TaxFiling.tax, zero))
    people: dict = {}
    for staff_id, name, status, cycle, tax, is_zero, n in query.tuples():
        line = people.setdefault(staff_id, {"id": staff_id or 0, "name": name or "（未分配会计）",
                                            **{s: 0 for s in BOARD_STATES}, "total": 0})
        line[season.state(status, 0 if is_zero else 1, cycle, tax)] += n
        line["total"] += n
    lines = sorted(people.values(), key=lambda p: (p["id"] == 0, -p["overdue"], -p["pending"], p["name"]))
    for line in lines:
        line["done"] = line["filed"] + line["zero"]
    return lines


def totals(lines: list[dict]) -> dict:
    return {key: sum(line[key] for line in lines) for key in (*BOARD_STATES, "total", "done")}
