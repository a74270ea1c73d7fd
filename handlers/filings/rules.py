"""报税 rules every channel shares: the one filing calendar, and each client's returns grouped by cycle (B6).

The calendar: a configured override wins; else the tax bureau's published table (calendar_data.PUBLISHED);
else the rule from the `filings` settings (the 15th, rolled past a weekend). Annual obligations have dates
fixed in law (calendar_data.ANNUAL). Every channel asks these functions: the bot, the sidebar, the reminder
job, the 开票数据提醒 text, the 客户 summary, and later the back office.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import models
from bot.config.filings import FilingCalendar
from handlers.cmdkit import period_label
from handlers.filings.calendar_data import ANNUAL, PUBLISHED

# ---- the calendar ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """A last day to file and where it comes from, so every channel can say so.

    source: 'published' (the tax bureau's table, ``notice``), 'override' (set by the agency), 'rule' (derived
    from ``nominal``: the table is not out yet) or 'law' (an annual date fixed in law, ``nominal`` before any
    weekend roll-over). ``name`` names an annual obligation."""
    day: date
    source: str
    nominal: date
    notice: str = ""
    name: str = ""

    def as_json(self) -> dict:
        """What the sidebar gets."""
        return {"day": self.day.isoformat(), "source": self.source, "notice": self.notice, "name": self.name}


def _rolled(day: date, calendar: FilingCalendar) -> date:
    while calendar.weekend_rollover and day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def month_deadline(month: str, calendar) -> Deadline:
    """The last day of the filing period (征期) falling in ``month`` ('YYYY-MM'), and where it comes from."""
    settings = calendar
    year, mon = int(month[:4]), int(month[5:])
    nominal = date(year, mon, settings.deadline_day)
    day = settings.override(month)
    if day is not None:
        return Deadline(date(year, mon, day), "override", nominal)
    table = PUBLISHED.get(year)
    if table is not None:
        return Deadline(date(year, mon, table.last_days[mon - 1]), "published", nominal, table.notice)
    return Deadline(_rolled(nominal, settings), "rule", nominal)


def deadline_in(month: str, calendar) -> date:
    """The last day of the filing period (征期) falling in ``month`` ('YYYY-MM')."""
    return month_deadline(month, calendar).day


def period_deadline(period: str, calendar) -> Deadline:
    """When the returns of ``period`` (a month, or a quarter's last month) are due: in the next month's 征期."""
    return month_deadline(models.shift_period(period, 1), calendar)


def deadline(period: str, calendar) -> date:
    """The last day to file the returns of ``period`` (a month, or a quarter's last month).

    ``calendar`` is the `filings` config section."""
    return period_deadline(period, calendar).day


def annual_deadline(kind: str, year: int, calendar) -> Deadline:
    """The due date of annual obligation ``kind`` (calendar_data.ANNUAL) falling in ``year``."""
    settings, annual = calendar, ANNUAL[kind]
    nominal = date(year, annual.month, annual.day)
    moved = settings.annual_override(kind, year)
    if moved is not None:
        return Deadline(moved, "override", nominal, name=annual.name)
    return Deadline(_rolled(nominal, settings) if annual.rolls else nominal, "law", nominal, name=annual.name)


def return_deadline(period: str, cycle: str, tax: str, calendar) -> Deadline:
    """When one return is due: monthly and quarterly ones in the next month's 征期; yearly ones on their tax's
    annual deadline (汇算清缴), or, without one (印花税 by the year), in the next January's 征期."""
    if cycle != "yearly":
        return period_deadline(period, calendar)
    year = int(period[:4])
    for kind, annual in ANNUAL.items():
        if tax in annual.taxes:
            return annual_deadline(kind, year + 1, calendar)
    # Named, since it shares a card with the 汇算清缴 deadlines.
    return replace(month_deadline(f"{year + 1}-01", calendar), name=f"{models.TAX_KINDS[tax]}年度申报")


def has_table(year: int, calendar) -> bool:
    """Whether ``year``'s filing periods are known: shipped, or all twelve entered as overrides."""
    settings = calendar
    return year in PUBLISHED or all(settings.override(f"{year}-{m:02d}") is not None for m in range(1, 13))


def missing_tables(today: date, calendar) -> list[int]:
    """Years the agency needs a published table for and has none: this year, and from 1 December the next
    (the tax bureau publishes it in December). Start-up logs them; the admin views will show them."""
    years = [today.year] + ([today.year + 1] if today.month == 12 else [])
    return [year for year in years if not has_table(year, calendar)]


def annual_season(today: date, calendar) -> list[Deadline]:
    """The annual obligations whose window is open today (from its opening day to its deadline), soonest first."""
    due = []
    for kind, annual in ANNUAL.items():
        last = annual_deadline(kind, today.year, calendar)
        if date(today.year, *annual.opens) <= today <= last.day:
            due.append(last)
    return sorted(due, key=lambda d: d.day)


# ---- a return's state ----------------------------------------------------------------------------------------

# The filing-season board's states (X4): a filed return with no tax due is 零申报.
BOARD_STATES = {"pending": "未申报", "filed": "已申报", "zero": "零申报", "overdue": "逾期"}


def is_overdue(status: str, due: date, today: date) -> bool:
    """Not filed and the last day to file has passed; ``today`` is the agency's day, so the deadline day itself
    is still on time (returns may be filed until midnight of that day in the agency's zone)."""
    return status == "pending" and today > due


def board_state(status: str, amount_fen: int, due: date, today: date) -> str:
    """未申报 / 逾期 for a pending return (by its deadline), 已申报 / 零申报 for a filed (or paid) one."""
    if status == "pending":
        return "overdue" if is_overdue(status, due, today) else "pending"
    return "filed" if amount_fen > 0 else "zero"


def days_left(due: date, today: date) -> int:
    """Days from the agency's today to the last day to file: 0 on the day itself, negative once it has passed."""
    return (due - today).days


# ---- returns by cycle ----------------------------------------------------------------------------------------


def quarter_end(period: str) -> str:
    """The last month of the quarter holding ``period``: 2026-10 -> 2026-12."""
    month = int(period[5:])
    return f"{period[:4]}-{(month + 2) // 3 * 3:02d}"


def quarter_label(end: str) -> str:
    return f"{int(end[:4])}年第{int(end[5:]) // 3}季度（{models.shift_period(end, -2)}至{end}）"


def _quarter_short(end: str) -> str:
    return f"{end[:4]}年Q{int(end[5:]) // 3}"


def _filings(client_id: int, periods: list[str], cycle: str) -> list:
    query = (models.TaxFiling.select()
             .where((models.TaxFiling.client == client_id) & models.TaxFiling.period.in_(periods)
                    & (models.TaxFiling.cycle == cycle)))
    order = list(models.TAX_KINDS)
    return sorted(query, key=lambda f: (order.index(f.tax), f.period))


def _group(title: str, short: str, filings: list, today: date, calendar, upcoming: Deadline | None = None) -> dict:
    """One card: its returns with their deadlines, and the deadlines its note names (``upcoming``: the next one)."""
    rows, deadlines = [], []
    for f in filings:
        due = return_deadline(f.period, f.cycle, f.tax, calendar)
        deadlines += [] if due in deadlines else [due]
        rows.append({"id": f.id, "tax": models.TAX_KINDS[f.tax], "tax_code": f.tax, "status": f.status,
                     "status_label": models.FILING_STATUSES[f.status], "amount_fen": f.amount_fen,
                     "filed_at": f.filed_at, "deadline": due.day.isoformat(),
                     "overdue": is_overdue(f.status, due.day, today),
                     "state": board_state(f.status, f.amount_fen, due.day, today)})
    return {"title": title, "short": short, "rows": rows, "upcoming": upcoming is not None,
            "deadlines": [upcoming] if upcoming else sorted(deadlines, key=lambda d: d.day)}


def filing_groups(client_id: int, period: str, today: date, calendar) -> list[dict]:
    """[{title, short, rows, deadlines, upcoming}]: the monthly returns of ``period``, the quarterly ones of its
    quarter, the yearly ones of its year. A quarter (or year) with no returns yet shows the one before, labelled
    so; the note (templates/filings/deadline_note.txt) says when the returns are due and where the date is from."""
    groups = []
    monthly = _filings(client_id, [period], "monthly")
    if monthly:
        groups.append(_group(f"{period_label(period)}（按月）", period, monthly, today, calendar))
    end = quarter_end(period)
    quarterly = _filings(client_id, [end], "quarterly")
    if quarterly:
        groups.append(_group(f"{quarter_label(end)}（按季）", _quarter_short(end), quarterly, today, calendar))
    else:
        before = models.shift_period(end, -3)
        previous = _filings(client_id, [before], "quarterly")
        if previous:
            groups.append(_group(f"上季度 {quarter_label(before)}（按季）", _quarter_short(before), previous, today,
                                 calendar, upcoming=period_deadline(end, calendar)))
    groups += _yearly_group(client_id, int(period[:4]), today, calendar)
    return groups


def _yearly_group(client_id: int, year: int, today: date, calendar) -> list[dict]:
    """Yearly returns cover a calendar year (a row's period is any month of it, normally December)."""
    for shown, label in ((year, ""), (year - 1, "上年度 ")):
        yearly = _filings(client_id, [f"{shown}-{m:02d}" for m in range(1, 13)], "yearly")
        if yearly:
            return [_group(f"{label}{shown}年度（按年）", f"{shown}年度", yearly, today, calendar)]
    return []
