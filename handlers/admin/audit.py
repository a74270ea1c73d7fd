"""操作日志: every write anyone made, filterable by person, kind and date (agency days)."""
from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from peewee import JOIN

from bot import keys
from handlers.admin import labels
from handlers.admin.kit import ListQuery, paginate
from handlers.admin.shell import Area, ConsoleRoutes, render
from models import AuditLog, Staff

console = ConsoleRoutes()
AREA = Area("audit", "操作日志", "/admin/audit", need="admin", order=90)
SORTS = {"at": AuditLog.at, "action": AuditLog.action}


def _day(text: str):
    try:
        return datetime.strptime(text, "%Y-%m-%d").date() if text else None
    except ValueError:
        return None


def _filtered(lq: ListQuery, zone: ZoneInfo):
    query = AuditLog.select(AuditLog, Staff).join(Staff, JOIN.LEFT_OUTER, on=(AuditLog.actor == Staff.id))
    actor = lq.filters.get("actor", "")
    if actor.isdigit():
        query = query.where(AuditLog.actor == int(actor))
    if lq.filters.get("entity"):
        query = query.where(AuditLog.entity == lq.filters["entity"])
    kind = lq.filters.get("kind", "")
    if kind:
        query = query.where((AuditLog.action == kind) | AuditLog.action.startswith(kind + "."))
    if lq.q:
        labelled = [code for code, label in labels.ACTIONS.items() if lq.q in label]  # 「权限」 finds staff.permissions
        query = query.where(AuditLog.action.contains(lq.q) | AuditLog.action.in_(labelled)
                            | AuditLog.entity_id.contains(lq.q))
    start, end = _day(lq.filters.get("from", "")), _day(lq.filters.get("to", ""))
    if start:
        query = query.where(AuditLog.at >= datetime.combine(start, time(), zone))
    if end:
        query = query.where(AuditLog.at < datetime.combine(end + timedelta(days=1), time(), zone))
    return query


def _page(lq: ListQuery, zone: ZoneInfo) -> dict:
    page = paginate(_filtered(lq, zone), lq, SORTS)
    entities = [(e, labels.entity_label(e)) for (e,) in
                AuditLog.select(AuditLog.entity).distinct().order_by(AuditLog.entity).tuples()]
    actions = [a for (a,) in AuditLog.select(AuditLog.action).distinct().tuples()]
    kinds = sorted({(labels.kind_of(a), labels.KINDS.get(labels.kind_of(a), labels.kind_of(a))) for a in actions},
                   key=lambda pair: pair[1])
    people = list(Staff.select(Staff.id, Staff.name).order_by(Staff.name).tuples())
    rows = [{"at": row.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
             "who": row.actor.name if row.actor_id and row.actor else row.actor_label,
             "action": row.action, "action_label": labels.action_label(row.action), "entity": row.entity,
             "entity_label": labels.entity_label(row.entity), "entity_id": row.entity_id or "",
             "before": _show(row.before), "after": _show(row.after)} for row in page.rows]
    return {"page": page, "rows": rows, "entities": entities, "people": people, "kinds": kinds}


def _show(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, indent=1, default=str)[:2000]


@console.get("/admin/audit", need="admin")
async def audit_log(request: web.Request, me: Staff) -> web.Response:
    zone = ZoneInfo(request.app[keys.CONFIG].agency.timezone)
    lq = ListQuery.read(request, list(SORTS), "-at", filters=("actor", "kind", "entity", "from", "to"))
    context = await request.app[keys.DB].run(_page, lq, zone)
    return render(request, "admin/audit.html", {"lq": lq, **context}, area="audit")
