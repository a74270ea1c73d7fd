"""Service terms in the console (B2): 新增服务 (记账, or a one-off 工商 job billed 一次性) on a client's page, and a
term's page: 编辑, 续费 (the next term, per handlers/services/rules.py next_term), 终止 with a date and reason, 删除.
Fields parse through the services' import spec; writes go through handlers/services/changes.py."""
from __future__ import annotations

from aiohttp import web

import models
from bot import keys
from bot.edge.inputs import parse_id
from handlers.admin.forms import FormLookups, fields_of, form_text, parse_form
from handlers.admin.kit import FormErrors
from handlers.admin.forms import submit
from handlers.admin.shell import ConsoleRoutes, allowed, done, render
from handlers.clients.admin_detail import missing, visible
from handlers.records.spec import CellError, parse_money
from handlers.services import changes
from handlers.services.admin import NEED, day_of
from handlers.services.records import SERVICES
from handlers.services.rules import is_one_off, next_term
from handlers.billing.plan import plan

console = ConsoleRoutes()
NEW_DEFAULTS = {"kind": "bookkeeping", "billing_cycle": "yearly", "status": "active"}


def service_of(me, service_id: int) -> models.Service | None:
    service = models.Service.get_or_none(models.Service.id == service_id)
    return service if service is not None and visible(me, service.client_id) else None


def _contracts(client: models.Client) -> dict[int, int]:
    return {c.id: client.id for c in client.contracts}


def _context(me, client_id: int | None, service_id: int | None) -> dict | None:
    service = service_of(me, service_id) if service_id else None
    client = visible(me, service.client_id if service else client_id)
    if client is None or (service_id and service is None):
        return None
    options = {"contract": tuple((str(c.id), f"{c.number} {c.title}") for c in client.contracts)}
    context = {"client": client, "service": service, "fields": fields_of(SERVICES, changes.SERVICE_FIELDS, options),
               "stored": form_text(SERVICES, service.__data__) if service else
               NEW_DEFAULTS}
    if service:
        start, end = next_term(service.start_date, service.end_date)
        context.update(next_start=start, next_end=end, one_off=is_one_off(service), plan=plan(service),
                       billed=service.receivables.count())
    return context


async def page(request, me, client_id=None, service_id=None, values=None, errors=None, status=200):
    context = await request.app[keys.DB].run(_context, me, client_id, service_id)
    if context is None:
        return missing(request, "这项服务" if service_id else "这个客户")
    return render(request, "admin/services/service.html",
                  {**context, "values": values if values is not None else context["stored"], "errors": errors or {},
                   "can_billing": allowed(me, "wecom.billing"), "statuses": models.SERVICE_STATUSES},
                  status=status, area="clients")


@console.get(r"/admin/clients/{id:\d+}/services/new", need=NEED)
async def new_service(request: web.Request, me: models.Staff) -> web.Response:
    values = {**NEW_DEFAULTS, "contract": request.query.get("contract", "")[:12]}  # from a contract's page
    return await page(request, me, client_id=parse_id(request.match_info["id"]) or 0, values=values)


@console.get(r"/admin/services/{id:\d+}", need=NEED)
async def service_page(request: web.Request, me: models.Staff) -> web.Response:
    return await page(request, me, service_id=parse_id(request.match_info["id"]) or 0)


def _save(me, client_id, service_id, form):
    context = _context(me, client_id, service_id)
    if context is None:
        return None, {"404": True}
    client = context["client"]
    lookups = FormLookups(contract_ids=_contracts(client))
    values, errors = parse_form(SERVICES, form, changes.SERVICE_FIELDS, lookups, {"client": client.id})
    values.pop("client")
    if errors:
        return None, errors
    return changes.save_service(me, client, context["service"], values), {}


async def _post(request, me, client_id=None, service_id=None) -> web.Response:
    return await submit(request, me, page, _save, client_id, service_id,
                        not_found=lambda: missing(request, "这项服务" if service_id else "这个客户"),
                        saved=lambda r: (f"/admin/services/{r.id}", f"已保存服务「{r.name}」。"))


@console.post(r"/admin/clients/{id:\d+}/services/new", need=NEED)
async def create_service(request: web.Request, me: models.Staff) -> web.Response:
    return await _post(request, me, client_id=parse_id(request.match_info["id"]) or 0)


@console.post(r"/admin/services/{id:\d+}", need=NEED)
async def update_service(request: web.Request, me: models.Staff) -> web.Response:
    return await _post(request, me, service_id=parse_id(request.match_info["id"]) or 0)


def _act(me, service_id: int, action, *args):
    service = service_of(me, service_id)
    if service is None:
        return None, None
    try:
        return service, action(me, service, *args)
    except changes.Refused as exc:
        return service, exc


@console.post(r"/admin/services/{id:\d+}/delete", need=NEED)
async def delete_service(request: web.Request, me: models.Staff) -> web.Response:
    service, refused = await request.app[keys.DB].atomic(_act, me, parse_id(request.match_info["id"]) or 0,
                                                         changes.delete_service)
    if service is None:
        return missing(request, "这项服务")
    if refused:
        return await page(request, me, service_id=service.id, errors={"_": refused}, status=409)
    return done(f"/admin/clients/{service.client_id}#services", f"已删除服务「{service.name}」。")


@console.post(r"/admin/services/{id:\d+}/end", need=NEED)
async def end_service(request: web.Request, me: models.Staff) -> web.Response:
    form, errors = await request.post(), FormErrors()
    service_id = parse_id(request.match_info["id"]) or 0
    day = day_of(str(form.get("day", "")), errors, "end")
    result = None
    if not errors:
        service, result = await request.app[keys.DB].atomic(_act, me, service_id, changes.end_service, day,
                                                            str(form.get("reason", "")))
        if service is None:
            return missing(request, "这项服务")
        if not isinstance(result, changes.Refused):
            return done(f"/admin/services/{service.id}", f"已终止服务「{service.name}」，到期提醒不再发送。")
        errors["end"] = str(result)
    return await page(request, me, service_id=service_id, errors=errors, status=400)


@console.post(r"/admin/services/{id:\d+}/renew", need=NEED)
async def renew_service(request: web.Request, me: models.Staff) -> web.Response:
    form, errors = await request.post(), FormErrors()
    service_id = parse_id(request.match_info["id"]) or 0
    end = day_of(str(form.get("end_date", "")), errors, "renew") if str(form.get("end_date", "")).strip() else None
    fee = None
    if str(form.get("fee", "")).strip():
        try:
            fee = parse_money(SERVICES.column("fee_fen"), str(form.get("fee")), None)
        except CellError as exc:
            errors["renew"] = f"费用：{exc}"
    if not errors:
        service, result = await request.app[keys.DB].atomic(_act, me, service_id, changes.renew_service, end, fee)
        if service is None:
            return missing(request, "这项服务")
        if not isinstance(result, changes.Refused):
            return done(f"/admin/services/{result.id}",
                        f"已续费「{service.name}」：新一期 {result.start_date} 至 {result.end_date}。")
        errors["renew"] = str(result)
    return await page(request, me, service_id=service_id, errors=errors, status=400)
