"""Invoices (发票) in the console: a client's invoice list (filters 所属期 / 方向 / 状态, paging, XLSX export with the
same filters), 新增发票, editing and deleting one. Fields parse through the invoices' import spec; writes go
through handlers/invoices/changes.py. Needs 发票情况 (wecom.invoice) and a client the member can see (else 404)."""
from __future__ import annotations

from aiohttp import web

import models
from bot import keys
from bot.edge.inputs import parse_id
from bot.money import format_fen
from handlers.admin.forms import FormLookups, fields_of, form_text, parse_form
from handlers.admin.kit import ListQuery, paginate, xlsx_response
from handlers.admin.forms import submit
from handlers.admin.shell import ConsoleRoutes, done, render
from handlers.clients.admin_detail import missing, today, visible
from handlers.invoices import changes
from handlers.invoices.records import INVOICES
from handlers.invoices.rules import rate_text

console = ConsoleRoutes()
NEED = "wecom.invoice"
FILTERS = ("period", "direction", "status")
SORTS = {"issue_date": models.Invoice.issue_date, "period": models.Invoice.period,
         "amount": models.Invoice.amount_fen, "number": models.Invoice.number}
HEADERS = ["所属期", "方向", "发票代码", "发票号码", "开票日期", "对方单位", "金额", "税额", "税率", "发票类型", "状态"]


def invoice_of(me, invoice_id: int) -> models.Invoice | None:
    found = models.Invoice.get_or_none(models.Invoice.id == invoice_id)
    return found if found is not None and visible(me, found.client_id) else None


def filtered(client: models.Client, lq: ListQuery):
    inv, f = models.Invoice, lq.filters
    query = inv.select().where(inv.client == client)
    if f.get("period"):
        query = query.where(inv.period == f["period"])
    if f.get("direction") in models.INVOICE_DIRECTIONS:
        query = query.where(inv.direction == f["direction"])
    if f.get("status") in models.INVOICE_STATUSES:
        query = query.where(inv.status == f["status"])
    if lq.q:
        query = query.where(inv.number.contains(lq.q) | inv.counterparty.contains(lq.q))
    return query


def _list(me, client_id: int, lq: ListQuery) -> dict | None:
    client = visible(me, client_id)
    if client is None:
        return None
    periods = [p for (p,) in models.Invoice.select(models.Invoice.period).where(models.Invoice.client == client)
               .distinct().order_by(models.Invoice.period.desc()).tuples()]
    return {"client": client, "page": paginate(filtered(client, lq), lq, SORTS), "periods": periods}


@console.get(r"/admin/clients/{id:\d+}/invoices", need=NEED)
async def invoice_list(request: web.Request, me: models.Staff) -> web.Response:
    lq = ListQuery.read(request, list(SORTS), "-issue_date", FILTERS)
    context = await request.app[keys.DB].run(_list, me, parse_id(request.match_info["id"]) or 0, lq)
    if context is None:
        return missing(request)
    return render(request, "admin/invoices/list.html",
                  {**context, "lq": lq, "rows": context["page"].rows, "yuan": format_fen, "rate": rate_text,
                   "directions": models.INVOICE_DIRECTIONS, "statuses": models.INVOICE_STATUSES,
                   "kinds": models.INVOICE_KINDS}, area="clients")


def _export(me, client_id: int, lq: ListQuery):
    client = visible(me, client_id)
    if client is None:
        return None
    rows = [[i.period, models.INVOICE_DIRECTIONS[i.direction], i.code, i.number, i.issue_date.isoformat(),
             i.counterparty, format_fen(i.amount_fen, ""), format_fen(i.tax_fen, ""), rate_text(i.rate_bp),
             models.INVOICE_KINDS[i.kind], models.INVOICE_STATUSES[i.status]]
            for i in filtered(client, lq).order_by(*lq.order(SORTS))]
    return client, rows


@console.get(r"/admin/clients/{id:\d+}/invoices/export.xlsx", need=NEED)
async def invoice_export(request: web.Request, me: models.Staff) -> web.Response:
    lq = ListQuery.read(request, list(SORTS), "-issue_date", FILTERS)
    found = await request.app[keys.DB].run(_export, me, parse_id(request.match_info["id"]) or 0, lq)
    if found is None:
        return missing(request)
    client, rows = found
    return xlsx_response(f"发票-{client.short_name or client.name}.xlsx", "发票", HEADERS, rows)


def _context(me, client_id, invoice_id) -> dict | None:
    invoice = invoice_of(me, invoice_id) if invoice_id else None
    client = visible(me, invoice.client_id if invoice else client_id)
    if client is None or (invoice_id and invoice is None):
        return None
    return {"client": client, "invoice": invoice, "fields": fields_of(INVOICES, changes.FIELDS),
            "stored": form_text(INVOICES, invoice.__data__) if invoice else {}}


async def page(request, me, client_id=None, invoice_id=None, values=None, errors=None, status=200):
    context = await request.app[keys.DB].run(_context, me, client_id, invoice_id)
    if context is None:
        return missing(request, "这张发票" if invoice_id else "这个客户")
    if values is None:
        values = context["stored"] or {"period": today(request).strftime("%Y-%m"), "kind": "normal",
                                       "status": "normal", "direction": "input"}
    return render(request, "admin/invoices/invoice.html", {**context, "values": values, "errors": errors or {}},
                  status=status, area="clients")


@console.get(r"/admin/clients/{id:\d+}/invoices/new", need=NEED)
async def new_invoice(request: web.Request, me: models.Staff) -> web.Response:
    return await page(request, me, client_id=parse_id(request.match_info["id"]) or 0)


@console.get(r"/admin/invoices/{id:\d+}", need=NEED)
async def invoice_page(request: web.Request, me: models.Staff) -> web.Response:
    return await page(request, me, invoice_id=parse_id(request.match_info["id"]) or 0)


def _save(me, client_id, invoice_id, form):
    context = _context(me, client_id, invoice_id)
    if context is None:
        return None, {"404": True}
    client, invoice = context["client"], context["invoice"]
    values, errors = parse_form(INVOICES, form, changes.FIELDS, FormLookups(), {"client": client.id})
    values.pop("client")
    if not errors and (taken := changes.number_taken(client.id, values["direction"], values["number"], invoice_id)):
        errors["number"] = taken
    if errors:
        return None, errors
    return changes.save_invoice(me, client, invoice, values), {}


async def _post(request, me, client_id=None, invoice_id=None) -> web.Response:
    return await submit(request, me, page, _save, client_id, invoice_id,
                        not_found=lambda: missing(request, "这张发票" if invoice_id else "这个客户"),
                        saved=lambda r: (f"/admin/clients/{r.client_id}#invoices", f"已保存发票 {r.number}。"))


@console.post(r"/admin/clients/{id:\d+}/invoices/new", need=NEED)
async def create_invoice(request: web.Request, me: models.Staff) -> web.Response:
    return await _post(request, me, client_id=parse_id(request.match_info["id"]) or 0)


@console.post(r"/admin/invoices/{id:\d+}", need=NEED)
async def update_invoice(request: web.Request, me: models.Staff) -> web.Response:
    return await _post(request, me, invoice_id=parse_id(request.match_info["id"]) or 0)


def _delete(me, invoice_id: int):
    invoice = invoice_of(me, invoice_id)
    if invoice is not None:
        changes.delete_invoice(me, invoice)
    return invoice


@console.post(r"/admin/invoices/{id:\d+}/delete", need=NEED)
async def delete_invoice(request: web.Request, me: models.Staff) -> web.Response:
    invoice = await request.app[keys.DB].atomic(_delete, me, parse_id(request.match_info["id"]) or 0)
    if invoice is None:
        return missing(request, "这张发票")
    return done(f"/admin/clients/{invoice.client_id}#invoices", f"已删除发票 {invoice.number}。")
