"""收票 and 缺票 rules (B4, B2): what a client handed in for a period, and the periods flagged missing."""
from __future__ import annotations

from peewee import JOIN, fn

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


def open_flag_where():
    """SQL: the one rule for an open 缺票 flag: not resolved, and its period's 收票 not marked complete."""
    flag, collected = models.MissingInvoiceFlag, models.InvoiceCollection
    complete = fn.EXISTS(collected.select(collected.id).where((collected.client == flag.client)
                                                             & (collected.period == flag.period)
                                                             & (collected.status == "complete")))
    return flag.resolved_at.is_null() & ~complete


def resolve_flags(staff: models.Staff, client_id: int, period: str, now) -> int:
    """Completing a period's 收票 resolves its open 缺票 flags (audited); how many were resolved."""
    flag = models.MissingInvoiceFlag
    ids = [f.id for f in flag.select(flag.id).where((flag.client == client_id) & (flag.period == period)
                                                     & flag.resolved_at.is_null())]
    if ids:
        flag.update(resolved_at=now).where(flag.id.in_(ids)).execute()
        models.audit(staff, "missing_flag.resolve", "MissingInvoiceFlag",
                     after={"client": client_id, "period": period, "ids": ids, "why": "collection complete"})
    return len(ids)


def missing_invoice_flags(staff: models.Staff, period: str, tz) -> list[dict]:
    """Unresolved 缺票 flags of visible clients for ``period``, by client name."""
    query = (models.MissingInvoiceFlag.select(models.MissingInvoiceFlag, models.Client, models.Staff)
             .join(models.Client).switch(models.MissingInvoiceFlag)
             .join(models.Staff, JOIN.LEFT_OUTER, on=(models.MissingInvoiceFlag.flagged_by == models.Staff.id))
             .where((models.MissingInvoiceFlag.period == period) & open_flag_where()))
    if not staff.is_admin:
        query = query.where(models.MissingInvoiceFlag.client.in_(visible_client_ids(staff)))
    return [{"client": client_label(f.client), "note": f.note,
             "by": f.flagged_by.name if f.flagged_by_id else "", "at": f.flagged_at.astimezone(tz).date()}
            for f in query.order_by(models.Client.name)]


MAX_FLAG_NOTE = 500


def flag_missing(staff: models.Staff, client_id: int, period: str, note: str, now) -> models.MissingInvoiceFlag:
    """缺票: mark a period's invoices missing (one flag per client and period: flagging again reopens it and
    replaces the note). Every channel (console, sidebar) calls this."""
    note = (note or "").strip()[:MAX_FLAG_NOTE]
    flag = models.MissingInvoiceFlag.get_or_none(client=client_id, period=period)
    if flag is None:
        flag = models.MissingInvoiceFlag.create(client=client_id, period=period, note=note, flagged_by=staff,
                                                flagged_at=now)
        models.audit(staff, "missing_flag.create", flag, after={"client": client_id, "period": period, "note": note})
        return flag
    before = {"note": flag.note, "resolved_at": flag.resolved_at.isoformat() if flag.resolved_at else None}
    flag.note, flag.resolved_at, flag.flagged_by, flag.flagged_at = note, None, staff, now
    flag.save()
    models.audit(staff, "missing_flag.create", flag, before=before,
                 after={"client": client_id, "period": period, "note": note, "reopened": True})
    return flag


def resolve_flag(staff: models.Staff, flag: models.MissingInvoiceFlag, now) -> bool:
    """已补齐: resolve one open flag (audited); False when it was already resolved."""
    if flag.resolved_at is not None:
        return False
    flag.resolved_at = now
    flag.save()
    models.audit(staff, "missing_flag.resolve", flag, after={"client": flag.client_id, "period": flag.period,
                                                             "why": "resolved by hand"})
    return True


MAX_COUNT = 9999
MAX_NOTE = 100


def item_problem(kind: str, count, note: str) -> str | None:
    """Why one kind of a 收票 record cannot be saved (the sidebar and the console ask the same), or None."""
    label = models.COLLECTION_KINDS[kind]
    if type(count) is not int or not 0 <= count <= MAX_COUNT:
        return f"「{label}」的张数应为 0 到 {MAX_COUNT} 的整数"
    if not isinstance(note, str) or len(note.strip()) > MAX_NOTE:
        return f"「{label}」的备注最多 {MAX_NOTE} 个字"
    return None


def save_collection(staff, client_id: int, period: str, items: dict, note: str, complete: bool, now) -> dict:
    """Inside one write transaction: create or update the record and its items; mark it complete if asked,
    which resolves the period's 缺票 flags (intake/rules.resolve_flags)."""
    collection, created = models.InvoiceCollection.get_or_create(client=client_id, period=period)
    before = {"status": collection.status, "note": collection.note,
              "items": {i.kind: [i.count, i.received, i.note] for i in collection.items}}
    existing = {i.kind: i for i in collection.items}
    for kind, values in items.items():
        item = existing.get(kind) or models.CollectionItem(collection=collection, kind=kind)
        if values["received"] and not item.received:
            item.received_at = now
        elif not values["received"]:
            item.received_at = None
        item.count, item.received, item.note = values["count"], values["received"], values["note"]
        item.save()
    collection.note = note
    resolved = 0
    if complete and collection.status != "complete":
        collection.status, collection.completed_at, collection.completed_by = "complete", now, staff
        resolved = resolve_flags(staff, client_id, period, now)
    collection.save()
    models.audit(staff, "collection.add" if created else "collection.edit", collection, before=None if created
                 else before, after={"period": period, "status": collection.status, "note": note,
                                     "items": {k: [v["count"], v["received"], v["note"]] for k, v in items.items()}})
    return {"created": created, "complete": collection.status == "complete", "resolved_flags": resolved}
