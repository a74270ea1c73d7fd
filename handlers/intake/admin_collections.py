"""收票 records in the console: 新增收票 for a period on a client's page and editing one (each kind's count, 已收到
and note, the record's note, 标记完成). Written by handlers/intake/rules.save_collection, the rule the sidebar's
收票 tab uses, so completing a period resolves its 缺票 flags the same way. A 收票 record is not deleted here:
it is the history of what the client handed in (the sidebar has no delete either); it is corrected instead.
Needs 收票情况 (wecom.collection) and a client the member can see (else 404)."""
from __future__ import annotations

from aiohttp import web

import models
from bot import keys
from bot.edge.inputs import parse_id
from handlers.admin.forms import FormLookups, parse_form
from handlers.admin.kit import FormErrors
from handlers.admin.forms import submit
from handlers.admin.shell import ConsoleRoutes, render
from handlers.clients.admin_detail import missing, today, visible
from handlers.intake import rules
from handlers.intake.records import COLLECTIONS
from handlers.records.spec import CellError, parse_int

console = ConsoleRoutes()
NEED = "wecom.collection"


def collection_of(me, collection_id: int) -> models.InvoiceCollection | None:
    found = models.InvoiceCollection.get_or_none(models.InvoiceCollection.id == collection_id)
    return found if found is not None and visible(me, found.client_id) else None


def _context(me, client_id, collection_id) -> dict | None:
    collection = collection_of(me, collection_id) if collection_id else None
    client = visible(me, collection.client_id if collection else client_id)
    if client is None or (collection_id and collection is None):
        return None
    stored = {}
    if collection:
        stored = {"period": collection.period, "note": collection.note}
        for item in collection.items:
            stored.update({f"count_{item.kind}": str(item.count), f"received_{item.kind}": "1" if item.received else "",
                           f"note_{item.kind}": item.note})
    return {"client": client, "collection": collection, "stored": stored, "kinds": models.COLLECTION_KINDS}


async def page(request, me, client_id=None, collection_id=None, values=None, errors=None, status=200):
    context = await request.app[keys.DB].run(_context, me, client_id, collection_id)
    if context is None:
        return missing(request, "这条收票记录" if collection_id else "这个客户")
    if values is None:
        values = context["stored"] or {"period": today(request).strftime("%Y-%m")}
    return render(request, "admin/intake/collection.html",
                  {**context, "values": values, "errors": errors or {}, "max_note": rules.MAX_NOTE,
                   "max_count": rules.MAX_COUNT}, status=status, area="clients")


@console.get(r"/admin/clients/{id:\d+}/collections/new", need=NEED)
async def new_collection(request: web.Request, me: models.Staff) -> web.Response:
    return await page(request, me, client_id=parse_id(request.match_info["id"]) or 0)


@console.get(r"/admin/collections/{id:\d+}", need=NEED)
async def collection_page(request: web.Request, me: models.Staff) -> web.Response:
    return await page(request, me, collection_id=parse_id(request.match_info["id"]) or 0)


def read_items(form, errors: FormErrors) -> dict[str, dict]:
    """Each kind's fields: the count by the import's integer rule, then the sidebar's limits (rules.item_problem)."""
    items, column = {}, COLLECTIONS.column("count")
    for kind in models.COLLECTION_KINDS:
        text, note = str(form.get(f"count_{kind}", "")).strip(), str(form.get(f"note_{kind}", ""))
        try:
            count = parse_int(column, text, None) if text else 0
        except CellError as exc:
            errors[f"count_{kind}"] = str(exc)
            continue
        if problem := rules.item_problem(kind, count, note):
            errors[f"{'note' if '备注' in problem else 'count'}_{kind}"] = problem
            continue
        items[kind] = {"count": count, "received": bool(form.get(f"received_{kind}")), "note": note.strip()}
    return items


def _save(me, client_id, collection_id, form, now):
    context = _context(me, client_id, collection_id)
    if context is None:
        return None, {"404": True}
    client, collection = context["client"], context["collection"]
    if collection is None:
        values, errors = parse_form(COLLECTIONS, form, ("period",), FormLookups(), {"client": client.id})
        period = values.get("period")
        if period and models.InvoiceCollection.select().where((models.InvoiceCollection.client == client)
                                                              & (models.InvoiceCollection.period == period)).exists():
            errors["period"] = f"{period} 已有收票记录，请在客户页的收票记录里编辑它"
    else:
        errors, period = FormErrors(), collection.period
    items = read_items(form, errors)
    note = str(form.get("note", "")).strip()
    if len(note) > rules.MAX_NOTE:
        errors["note"] = f"备注最多 {rules.MAX_NOTE} 个字"
    if errors:
        return None, errors
    rules.save_collection(me, client.id, period, items, note, bool(form.get("complete")), now)
    return models.InvoiceCollection.get(client=client.id, period=period), {}


async def _post(request, me, client_id=None, collection_id=None) -> web.Response:
    return await submit(request, me, page, _save, client_id, collection_id, request.app[keys.CLOCK](),
                        not_found=lambda: missing(request, "这条收票记录" if collection_id else "这个客户"),
                        saved=lambda r: (f"/admin/clients/{r.client_id}#collections",
                                     f"已保存 {r.period} 收票记录{'（已完成）' if r.status == 'complete' else ''}。"))


@console.post(r"/admin/clients/{id:\d+}/collections/new", need=NEED)
async def create_collection(request: web.Request, me: models.Staff) -> web.Response:
    return await _post(request, me, client_id=parse_id(request.match_info["id"]) or 0)


@console.post(r"/admin/collections/{id:\d+}", need=NEED)
async def update_collection(request: web.Request, me: models.Staff) -> web.Response:
    return await _post(request, me, collection_id=parse_id(request.match_info["id"]) or 0)
