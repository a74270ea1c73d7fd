"""Receivables (应收) in the console (B3): 新增应收 by hand, 生成应收 from a term's or a contract's billing plan
(handlers/billing/plan.py), and editing or deleting one no payment has touched. Fields parse through the
receivables' import spec; every receivable is created through credit.add_receivable (credit settles it FIFO)."""
from __future__ import annotations

from aiohttp import web

import models
from bot import keys
from bot.edge.inputs import parse_id
from handlers.admin.forms import FormLookups, fields_of, form_text, parse_form
from handlers.admin.forms import submit
from handlers.admin.shell import ConsoleRoutes, done, render
from handlers.billing import plan
from handlers.billing.records import RECEIVABLES
from handlers.clients.admin_detail import missing, visible

console = ConsoleRoutes()
NEED = "wecom.billing"


def receivable_of(me, receivable_id: int) -> models.Receivable | None:
    found = models.Receivable.get_or_none(models.Receivable.id == receivable_id)
    return found if found is not None and visible(me, found.client_id) else None


def _context(me, client_id, receivable_id) -> dict | None:
    receivable = receivable_of(me, receivable_id) if receivable_id else None
    client = visible(me, receivable.client_id if receivable else client_id)
    if client is None or (receivable_id and receivable is None):
        return None
    options = {"contract": tuple((str(c.id), f"{c.number} {c.title}") for c in client.contracts)}
    return {"client": client, "receivable": receivable, "fields": fields_of(RECEIVABLES, plan.FIELDS, options),
            "stored": form_text(RECEIVABLES, receivable.__data__) if receivable else {"item": "代理记账费"},
            "locked": plan.locked_reason(receivable) if receivable else None}


async def page(request, me, client_id=None, receivable_id=None, values=None, errors=None, status=200):
    context = await request.app[keys.DB].run(_context, me, client_id, receivable_id)
    if context is None:
        return missing(request, "这笔应收" if receivable_id else "这个客户")
    return render(request, "admin/billing/receivable.html",
                  {**context, "values": values if values is not None else context["stored"], "errors": errors or {}},
                  status=status, area="clients")


@console.get(r"/admin/clients/{id:\d+}/receivables/new", need=NEED)
async def new_receivable(request: web.Request, me: models.Staff) -> web.Response:
    return await page(request, me, client_id=parse_id(request.match_info["id"]) or 0)


@console.get(r"/admin/receivables/{id:\d+}", need=NEED)
async def receivable_page(request: web.Request, me: models.Staff) -> web.Response:
    return await page(request, me, receivable_id=parse_id(request.match_info["id"]) or 0)


def _save(me, client_id, receivable_id, form, now):
    context = _context(me, client_id, receivable_id)
    if context is None:
        return None, {"404": True}
    if context["locked"]:
        return None, {"_": context["locked"]}
    client = context["client"]
    lookups = FormLookups(contract_ids={c.id: client.id for c in client.contracts})
    values, errors = parse_form(RECEIVABLES, form, plan.FIELDS, lookups, {"client": client.id})
    values.pop("client")
    if values.get("amount_fen") == 0 and "amount_fen" not in errors:
        errors["amount_fen"] = "应收金额必须大于 0"
    if errors:
        return None, errors
    if context["receivable"] is None:
        return plan.add_by_hand(me, client, values, now), {}
    plan.update(me, context["receivable"], values, now)
    return context["receivable"], {}


async def _post(request, me, client_id=None, receivable_id=None) -> web.Response:
    return await submit(request, me, page, _save, client_id, receivable_id, request.app[keys.CLOCK](),
                        not_found=lambda: missing(request, "这笔应收" if receivable_id else "这个客户"),
                        saved=lambda r: (f"/admin/clients/{r.client_id}#receivables", f"已保存应收「{r.item}」。"))


@console.post(r"/admin/clients/{id:\d+}/receivables/new", need=NEED)
async def create_receivable(request: web.Request, me: models.Staff) -> web.Response:
    return await _post(request, me, client_id=parse_id(request.match_info["id"]) or 0)


@console.post(r"/admin/receivables/{id:\d+}", need=NEED)
async def update_receivable(request: web.Request, me: models.Staff) -> web.Response:
    return await _post(request, me, receivable_id=parse_id(request.match_info["id"]) or 0)


def _delete(me, receivable_id: int):
    receivable = receivable_of(me, receivable_id)
    return (receivable, plan.delete(me, receivable)) if receivable else (None, None)


@console.post(r"/admin/receivables/{id:\d+}/delete", need=NEED)
async def delete_receivable(request: web.Request, me: models.Staff) -> web.Response:
    receivable, refused = await request.app[keys.DB].atomic(_delete, me, parse_id(request.match_info["id"]) or 0)
    if receivable is None:
        return missing(request, "这笔应收")
    if refused:
        return await page(request, me, receivable_id=receivable.id, errors={"_": refused}, status=409)
    return done(f"/admin/clients/{receivable.client_id}#receivables", f"已删除应收「{receivable.item}」。")


def _generate(me, model, record_id: int, now):
    record = model.get_or_none(model.id == record_id)
    if record is None or not visible(me, record.client_id):
        return None, None
    services = [record] if model is models.Service else list(record.services.order_by(models.Service.start_date))
    return record, plan.generate(me, services, now) if services else None


async def _bill(request: web.Request, me: models.Staff, model, back: str) -> web.Response:
    record_id = parse_id(request.match_info["id"]) or 0
    record, counts = await request.app[keys.DB].atomic(_generate, me, model, record_id, request.app[keys.CLOCK]())
    if record is None:
        return missing(request, "这份合同" if model is models.Contract else "这项服务")
    if counts is None:
        return done(back.format(record_id), "合同下还没有服务：应收按服务的费用和收费周期生成，请先新增服务。")
    created, skipped = counts
    more = f"，{skipped} 笔已存在未重复生成" if skipped else ""
    return done(f"/admin/clients/{record.client_id}#receivables", f"已生成 {created} 笔应收{more}。")


@console.post(r"/admin/contracts/{id:\d+}/bill", need=NEED)
async def bill_contract(request: web.Request, me: models.Staff) -> web.Response:
    return await _bill(request, me, models.Contract, "/admin/contracts/{}")


@console.post(r"/admin/services/{id:\d+}/bill", need=NEED)
async def bill_service(request: web.Request, me: models.Staff) -> web.Response:
    return await _bill(request, me, models.Service, "/admin/services/{}")
