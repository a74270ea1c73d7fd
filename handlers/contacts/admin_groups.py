"""客户群 (L2, L5): the customer groups a member owns or sits in (admins: all), searchable and filterable,
exported as XLSX with the same filters, and 修改关联 to choose the clients a group is linked to."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from bot import keys
from handlers.admin.kit import ListQuery, xlsx_response
from handlers.admin.shell import Area, ConsoleRoutes, render
from handlers.contacts import listing, picker
from handlers.contacts.rules import visible_groups
from models import CustomerGroup, Staff

console = ConsoleRoutes()
AREA = Area("groups", "客户群", "/admin/groups", need="member", order=40)
FILTERS = ("scope", "owner", "linked")
HEADERS = ["群名", "群主", "成员数", "创建时间", "关联客户"]
EXPORT_BATCH = 500


def _list_query(request: web.Request) -> ListQuery:
    return ListQuery.read(request, list(listing.GROUP_SORTS), "-created", filters=FILTERS)


def _page(me: Staff, lq: ListQuery) -> dict:
    page, rows = listing.groups_page(me, lq)
    return {"page": page, "rows": rows, "owners": listing.followers() if me.is_admin else []}


@console.get("/admin/groups", need="member")
async def groups(request: web.Request, me: Staff) -> web.Response:
    lq = _list_query(request)
    context = await request.app[keys.DB].run(_page, me, lq)
    zone = ZoneInfo(request.app[keys.CONFIG].agency.timezone)
    return render(request, "admin/contacts/groups.html",
                  {"lq": lq, "zone": zone, "linked_options": listing.LINKED, "scopes": listing.SCOPES,
                   "can_link": me.has_perm("wecom.link"), **context}, area="groups")


def _export(me: Staff, lq: ListQuery, zone: ZoneInfo) -> web.Response:
    query = listing.groups_query(me, lq).order_by(*lq.order(listing.GROUP_SORTS))
    cells, offset = [], 0
    while batch := list(query.limit(EXPORT_BATCH).offset(offset)):
        cells += listing.export_rows(listing.group_rows(batch), "groups", zone)
        offset += EXPORT_BATCH
    return xlsx_response("客户群.xlsx", "客户群", HEADERS, cells)


@console.get("/admin/groups/export.xlsx", need="member")
async def export(request: web.Request, me: Staff) -> web.Response:
    zone = ZoneInfo(request.app[keys.CONFIG].agency.timezone)
    return await request.app[keys.DB].run(_export, me, _list_query(request), zone)


def _group(me: Staff, group_id: str) -> CustomerGroup | None:
    if not group_id.isdigit():
        return None
    return visible_groups(me).where(CustomerGroup.id == int(group_id)).first()


@console.get("/admin/groups/{id}/links", need="wecom.link")
async def links_form(request: web.Request, me: Staff) -> web.Response:
    return await picker.show(request, me, "group", _group)


@console.post("/admin/groups/{id}/links", need="wecom.link")
async def links_save(request: web.Request, me: Staff) -> web.Response:
    return await picker.save(request, me, "group", _group)
