"""收票 and 缺票 rules (B4, B2): what a client handed in for a period, and the periods flagged missing."""
from __future__ import annotations

from peewee import JOIN

import models
from handlers.cmdkit import client_label, visible_client_ids


def collection_summary(client_id: int, period: str) -> dict | None:
    """{status, received, expected, lines: [(label, count, received, note)], updated} or None if not recorded."""
    collection = models.InvoiceCollection.get_or_none(client=client_id, period=period)
    if collection is None:
        return None
    items = {i.kind: i for i in collection.items}
    lines = []
    for kind, label in models.COLLECTION_KINDS.items():  # every kind, so what is missing shows too
        item = items.get(kind)
        lines.append((label, item.count if item else 0, bool(item and item.received), item.note if item else ""))
    received = sum(1 for line in lines if line[2])
    times = [i.received_at for i in items.values() if i.received_at] + [collection.completed_at]
    return {"complete": collection.status == "complete", "received": received, "expected": len(lines),
            "lines": lines, "updated": max((t for t in times if t), default=None)}


def collection_status_text(summary: dict) -> str:
    if summary["complete"]:
        return "已完成"
    return f"收票中（已收 {summary['received']}/{summary['expected']} 项）"


def collection_image_data(summary: dict, agency, client_name: str, period: str):
    """The CollectionData the 收票 detail image is drawn from (``agency`` is config.agency)."""
    from bot.render.images import CollectionData, CollectionLine
    updated = summary["updated"]
    return CollectionData(
        agency=agency.name, client=client_name, period=period, status=collection_status_text(summary),
        lines=tuple(CollectionLine(label, count, received, note) for label, count, received, note in summary["lines"]),
        updated=updated.astimezone(agency.tz).strftime("%Y-%m-%d %H:%M") if updated else "")


def missing_invoice_flags(staff: models.Staff, period: str, tz) -> list[dict]:
    """Unresolved 缺票 flags of visible clients for ``period``, by client name."""
    query = (models.MissingInvoiceFlag.select(models.MissingInvoiceFlag, models.Client, models.Staff)
             .join(models.Client).switch(models.MissingInvoiceFlag)
             .join(models.Staff, JOIN.LEFT_OUTER, on=(models.MissingInvoiceFlag.flagged_by == models.Staff.id))
             .where((models.MissingInvoiceFlag.period == period) & models.MissingInvoiceFlag.resolved_at.is_null()))
    if not staff.is_admin:
        query = query.where(models.MissingInvoiceFlag.client.in_(visible_client_ids(staff)))
    return [{"client": client_label(f.client), "note": f.note,
             "by": f.flagged_by.name if f.flagged_by_id else "", "at": f.flagged_at.astimezone(tz).date()}
            for f in query.order_by(models.Client.name)]
