"""已关联客户 (L6): the clients a member may see, with their linked WeCom contacts and groups, filtered by staff,
tag, service state, linking, taxpayer type and VAT filing cycle, and exported as XLSX with the same filters."""
from __future__ import annotations

from collections import defaultdict
from zoneinfo import ZoneInfo

from aiohttp import web
from peewee import JOIN

import models
from bot import keys
from handlers.access import visible_clients
from handlers.admin.kit import ListQuery, paginate, xlsx_response
from handlers.admin.shell import Area, ConsoleRoutes, render
from handlers.clients import rules
from models import Client, ContactClientLink, CustomerGroup, ExternalContact, GroupClientLink, Staff

console = ConsoleRoutes()
AREA = Area("clients", "已关联客户", "/admin/clients", need="member", order=50)
FILTERS = ("staff", "tag", "state", "linked", "taxpayer", "cycle")
# 增值税申报周期 as set on the client; 'unset' finds the clients whose cycle is still inferred from their returns
CYCLE_FILTER = {"monthly": "按月", "quarterly": "按季", "unset": "未设置"}
SORTS = {"name": Client.name, "short_name": Client.short_name, "tax_id": Client.tax_id, "created": Client.created_at}
HEADERS = ["客户名称", "税号", "纳税人类型", "增值税申报周期", "客户经理", "会计", "服务状态", "关联联系人", "关联客户群",
           "标签"]
EXPORT_BATCH = 500
Manager, Accountant = Staff.alias(), Staff.alias()


def window(request: web.Request) -> rules.Window:
    """The services rule's window as configured for the expiry reminders, from the agency's today."""
    config = request.app[keys.CONFIG]
    today = request.app[keys.CLOCK]().astimezone(ZoneInfo(config.agency.timezone)).date()
    job = config.jobs.service_expiry
    return rules.Window(today, max(job.offsets, default=30), job.lapsed_days)


def _filtered(me: Staff, lq: ListQuery, w: rules.Window):
    query = (visible_clients(me).select(Client, Manager, Accountant)
             .join(Manager, JOIN.LEFT_OUTER, on=(Client.manager == Manager.id))
             .switch(Client).join(Accountant, JOIN.LEFT_OUTER, on=(Client.accountant == Accountant.id)))
    f = lq.filters
    if lq.q:
        query = query.where(Client.name.contains(lq.q) | Client.short_name.contains(lq.q)
                            | Client.tax_id.contains(lq.q))
    if f.get("staff", "").isdigit():
        query = query.where((Client.manager == int(f["staff"])) | (Client.accountant == int(f["staff"])))
    if f.get("tag"):
        query = query.where(rules.tag_where(f["tag"]))
    if f.get("state") in rules.SERVICE_STATES:
        query = query.where(rules.state_where(f["state"], w))
    if f.get("linked") in rules.LINKED:
        query = query.where(rules.linked_where(f["linked"]))
    if f.get("taxpayer") in models.TAXPAYER_TYPES:
        query = query.where(Client.taxpayer_type == f["taxpayer"])
    if f.get("cycle") in CYCLE_FILTER:
        query = query.where(Client.vat_cycle == ("" if f["cycle"] == "unset" else f["cycle"]))
    return query


def _names(link_model, column, target, ids: list[int]) -> dict[int, list[str]]:
    found = defaultdict(list)
    for client_id, name in (link_model.select(link_model.client, column).join(target)
                            .where(link_model.client.in_(ids)).order_by(column).tuples()):
        found[client_id].append(name or "（无名称）")
    return found


def rows_of(clients: list[Client], w: rules.Window) -> list[dict]:
    """What the table shows for one page: linked contacts and groups and the service state, one query each."""
    ids = [c.id for c in clients]
    contacts = _names(ContactClientLink, ExternalContact.name, ExternalContact, ids)
    groups = _names(GroupClientLink, CustomerGroup.name, CustomerGroup, ids)
    states = rules.states_of(ids, w) if ids else {}
    return [{"id": c.id, "name": c.name, "short_name": c.short_name, "tax_id": c.tax_id or "",
             "taxpayer": models.TAXPAYER_TYPES.get(c.taxpayer_type, c.taxpayer_type),
             "vat_cycle": models.VAT_CYCLES[c.vat_cycle] if c.vat_cycle else "",  # '' while unset
             "manager": c.manager.name if c.manager_id else "", "accountant": c.accountant.name if c.accountant_id else "",
             "state": states.get(c.id, "none"), "state_label": rules.SERVICE_STATES[states.get(c.id, "none")],
             "contacts": contacts.get(c.id, []), "groups": groups.get(c.id, []), "tags": c.tags or []}
            for c in clients]


def _options(me: Staff) -> dict:
    people = list(Staff.select(Staff.id, Staff.name).where(Staff.active == True)  # noqa: E712
                  .order_by(Staff.name).tuples()) if me.is_admin else []
    tags = sorted({t for (raw,) in visible_clients(me).select(Client.tags).distinct().tuples()
                   for t in (Client.tags.python_value(raw) or [])})
    return {"people": people, "tags": [(t, t) for t in tags]}


def _page(me: Staff, lq: ListQuery, w: rules.Window) -> dict:
    page = paginate(_filtered(me, lq, w), lq, SORTS)
    return {"page": page, "rows": rows_of(page.rows, w), **_options(me)}


@console.get("/admin/clients", need="member")
async def clients(request: web.Request, me: Staff) -> web.Response:
    lq = ListQuery.read(request, list(SORTS), "name", filters=FILTERS)
    context = await request.app[keys.DB].run(_page, me, lq, window(request))
    return render(request, "admin/clients/list.html",
                  {"lq": lq, "states": rules.SERVICE_STATES, "linked_options": rules.LINKED,
                   "taxpayers": models.TAXPAYER_TYPES, "cycles": CYCLE_FILTER, **context}, area="clients")


def _export(me: Staff, lq: ListQuery, w: rules.Window) -> web.Response:
    query = _filtered(me, lq, w).order_by(*lq.order(SORTS))
    cells, offset = [], 0
    while batch := list(query.limit(EXPORT_BATCH).offset(offset)):
        cells += [[r["name"], r["tax_id"], r["taxpayer"], r["vat_cycle"] or CYCLE_FILTER["unset"], r["manager"],
                   r["accountant"], r["state_label"], "、".join(r["contacts"]), "、".join(r["groups"]),
                   "、".join(r["tags"])] for r in rows_of(batch, w)]
        offset += EXPORT_BATCH
    return xlsx_response(f"已关联客户-{w.today:%Y%m%d}.xlsx", "已关联客户", HEADERS, cells)


@console.get("/admin/clients/export.xlsx", need="member")
async def export(request: web.Request, me: Staff) -> web.Response:
    lq = ListQuery.read(request, list(SORTS), "name", filters=FILTERS)
    return await request.app[keys.DB].run(_export, me, lq, window(request))
