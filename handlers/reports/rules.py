"""报表: a client's balance sheet and income statement for a period as one XLSX file (B7)."""
from __future__ import annotations

import models

KINDS = ("balance_sheet", "income_statement")


def report_lines(client_id: int, period: str, fallback: bool) -> tuple[str, list, list] | None:
    """(period, balance sheet lines, income lines) for ``period``; with ``fallback``, the latest earlier
    period that has both statements when this one is not closed yet. None if there is nothing to send."""
    snapshots = (models.ReportSnapshot.select()
                 .where((models.ReportSnapshot.client == client_id) & models.ReportSnapshot.kind.in_(KINDS)
                        & (models.ReportSnapshot.period <= period))
                 .order_by(models.ReportSnapshot.period.desc()))
    by_period: dict[str, dict[str, list]] = {}
    for snap in snapshots:
        by_period.setdefault(snap.period, {})[snap.kind] = snap.lines
    for found, kinds in by_period.items():  # newest first
        if found != period and not fallback:
            break
        if len(kinds) == len(KINDS):
            return found, kinds["balance_sheet"], kinds["income_statement"]
    return None


def latest_period(client_id: int) -> str | None:
    return (models.ReportSnapshot.select(models.ReportSnapshot.period)
            .where(models.ReportSnapshot.client == client_id)
            .order_by(models.ReportSnapshot.period.desc()).scalar())
