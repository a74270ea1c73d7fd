"""微信联系人 (L1, L4): the external contacts a member follows (admins: all), searchable and filterable, exported
as XLSX with the same filters, and 修改关联 to choose the clients a contact is linked to."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from bot import keys
from handlers.admin.kit import ListQuery, xlsx_response
from handlers.admin.shell import Area, ConsoleRoutes, render
from handlers.contacts import listing, picker
from handlers.contacts.rules import visible_contacts
from models import ExternalContact, Staff

console = ConsoleRoutes()
AREA = Area("contacts", "微信联系人", "/admin/contacts", need="member", order=30)
FILTERS = ("scope", "follower", "linked", "tag")
HEADERS = ["名称", "企业", "跟进成员", "标签", "添加时间", "关联客户"]
EXPORT_BATCH = 500


def _list_query(request: web.Request) -> ListQuery:
    return ListQuery.read(request, list(listing.CONTACT_SORTS), "name", filters=FILTERS)


def _page(me: Staff, lq: ListQuery) -> dict:
    page, rows = listing.contacts_page(me, lq)
    return {"page": page, "rows": rows, "tags": listing.tag_options(me),
            "followers": listing.followers() if me.is_admin else []}


@console.get("/admin/contacts", need="member")
async def contacts(request: web.Request, me: Staff) -> web.Response:
    lq = _list_query(request)
    context = await request.app[keys.DB].run(_page, me, lq)
    zone = ZoneInfo(request.app[keys.CONFIG].agency.timezone)
    return render(request, "admin/contacts/list.html",
                  {"lq": lq, "zone": zone, "linked_options": listing.LINKED, "scopes": listing.SCOPES,
                   "can_link": me.has_perm("wecom.link"), **context}, area="contacts")


def _export(me: Staff, lq: ListQuery, zone: ZoneInfo) -> web.Response:
    query = listing.contacts_query(me, lq).order_by(*lq.order(listing.CONTACT_SORTS))
    cells, offset = [], 0
    while batch := list(query.limit(EXPORT_BATCH).offset(offset)):
        cells += listing.export_rows(listing.contact_rows(batch), "contacts", zone)
        offset += EXPORT_BATCH
    return xlsx_response("微信联系人.xlsx", "微信联系人", HEADERS, cells)


@console.get("/admin/contacts/export.xlsx", need="member")
async def export(request: web.Request, me: Staff) -> web.Response:
    zone = ZoneInfo(request.app[keys.CONFIG].agency.timezone)
    return await request.app[keys.DB].run(_export, me, _list_query(request), zone)


def _contact(me: Staff, contact_id: str) -> ExternalContact | None:
    if not contact_id.isdigit():
        return None
    return visible_contacts(me).where(ExternalContact.id == int(contact_id)).first()


@console.get("/admin/contacts/{id}/links", need="wecom.link")
async def links_form(request: web.Request, me: Staff) -> web.Response:
    return await picker.show(request, me, "single", _contact)


@console.post("/admin/contacts/{id}/links", need="wecom.link")
async def links_save(request: web.Request, me: Staff) -> web.Response:
    return await picker.save(request, me, "single", _contact)
