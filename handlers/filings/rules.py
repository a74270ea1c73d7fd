"""报税: a client's filing status per tax for a period (B6); quarterly returns by the quarter holding it."""
from __future__ import annotations

from datetime import date, timedelta

import models
from bot.config.jobs import FilingDeadlineJob
from handlers.cmdkit import period_label


def quarter_end(period: str) -> str:
    """The last month of the quarter holding ``period``: 2026-10 -> 2026-12."""
    month = int(period[5:])
    return f"{period[:4]}-{(month + 2) // 3 * 3:02d}"


def quarter_label(end: str) -> str:
    return f"{int(end[:4])}年第{int(end[5:]) // 3}季度（{models.shift_period(end, -2)}至{end}）"


def _quarter_short(end: str) -> str:
    return f"{end[:4]}年Q{int(end[5:]) // 3}"


def _rows(client_id: int, period: str, cycles: tuple[str, ...], today: date, calendar) -> list[dict]:
    filings = (models.TaxFiling.select()
               .where((models.TaxFiling.client == client_id) & (models.TaxFiling.period == period)
                      & models.TaxFiling.cycle.in_(cycles)))
    order = list(models.TAX_KINDS)
    return [{"tax": models.TAX_KINDS[f.tax], "status": f.status, "status_label": models.FILING_STATUSES[f.status],
             "amount_fen": f.amount_fen, "filed_at": f.filed_at,
             "overdue": f.status == "pending" and today > deadline(period, calendar)}
            for f in sorted(filings, key=lambda f: order.index(f.tax))]


def deadline_in(month: str, calendar: FilingDeadlineJob) -> date:
    """The last day of the filing period (征期) falling in ``month`` ('YYYY-MM').

    A configured extension for the month wins; otherwise the deadline day, rolled past a weekend."""
    year, mon = int(month[:4]), int(month[5:])
    day = dict(calendar.extensions).get(month)
    if day is not None:
        return date(year, mon, day)
    deadline = date(year, mon, calendar.deadline_day)
    while calendar.weekend_rollover and deadline.weekday() >= 5:
        deadline += timedelta(days=1)
    return deadline


def deadline(period: str, calendar: FilingDeadlineJob) -> date:
    """The filing calendar: the last day to file the returns of ``period`` (a month, or a quarter's last month).

    Every channel asks this one function: the bot, the sidebar, the reminder job and the invoice reminder."""
    return deadline_in(models.shift_period(period, 1), calendar)


def filing_groups(client_id: int, period: str, today: date, calendar: FilingDeadlineJob) -> list[dict]:
    """[{title, rows, note}]: the monthly returns of ``period``, then the quarterly ones of its quarter.

    While the quarter has no returns yet (it has not ended), the previous quarter's are shown, labelled so."""
    groups = []
    monthly = _rows(client_id, period, ("monthly",), today, calendar)
    if monthly:
        groups.append({"title": f"{period_label(period)}（按月）", "short": period, "rows": monthly,
                       "note": f"申报期限 {deadline(period, calendar)}（遇节假日顺延）"})
    end = quarter_end(period)
    quarterly = _rows(client_id, end, ("quarterly", "yearly"), today, calendar)
    if quarterly:
        groups.append({"title": f"{quarter_label(end)}（按季）", "short": _quarter_short(end), "rows": quarterly,
                       "note": f"申报期限 {deadline(end, calendar)}（遇节假日顺延）"})
    else:
        before = models.shift_period(end, -3)
        previous = _rows(client_id, before, ("quarterly", "yearly"), today, calendar)
        if previous:
            groups.append({"title": f"上季度 {quarter_label(before)}（按季）", "short": _quarter_short(before),
                           "rows": previous,
                           "note": f"本季度的按季申报在 {deadline(end, calendar)} 前办理"})
    return groups
