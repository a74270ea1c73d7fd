"""Contracts in the console (B2): 新增合同 on a client's page, a contract's page (编辑, 续签, 终止, 删除, its terms
and 生成应收). Fields parse through the contracts' import spec; writes go through handlers/services/changes.py.
Needs 服务情况 (wecom.service) and a client the member can see (else 404)."""
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
from handlers.records.spec import CellError, Column, parse_date
from handlers.services import changes
from handlers.services.records import CONTRACTS
from handlers.services.rules import next_term

console = ConsoleRoutes()
NEED = "wecom.service"
DAY = Column("日期", "day", "date")


def contract_of(me, contract_id: int) -> models.Contract | None:
    contract = models.Contract.get_or_none(models.Contract.id == contract_id)
    return contract if contract is not None and visible(me, contract.client_id) else None


def day_of(text: str, errors: FormErrors, name: str):
    """A date field of an action form, read by the imports' date rule."""
    try:
        return parse_date(DAY, text, None)
    except CellError as exc:
        errors[name] = str(exc)
        return None


def _context(me, client_id: int | None, contract_id: int | None) -> dict | None:
    contract = contract_of(me, contract_id) if contract_id else None
    client = visible(me, contract.client_id if contract else client_id)
    if client is None or (contract_id and contract is None):
        return None
    context = {"client": client, "contract": contract, "fields": fields_of(CONTRACTS, changes.CONTRACT_FIELDS),
               "stored": form_text(CONTRACTS, contract.__data__) if contract else {"status": "active"}}
    if contract:
        start, end = next_term(contract.start_date, contract.end_date)
        context.update(services=list(contract.services.order_by(models.Service.start_date)),
                       next_start=start, next_end=end, receivables=contract.receivables.count())
    return context


async def page(request, me, client_id=None, contract_id=None, values=None, errors=None, status=200):
    context = await request.app[keys.DB].run(_context, me, client_id, contract_id)
    if context is None:
        return missing(request, "这份合同" if contract_id else "这个客户")
    return render(request, "admin/services/contract.html",
                  {**context, "values": values if values is not None else context["stored"], "errors": errors or {},
                   "form_invalid": any(k not in ("_", "end") and not k.startswith("renew_") for k in errors or {}),
                   "can_billing": allowed(me, "wecom.billing"), "kinds": models.SERVICE_KINDS,
                   "statuses": models.SERVICE_STATUSES, "contract_statuses": models.CONTRACT_STATUSES},
                  status=status, area="clients")


@console.get(r"/admin/clients/{id:\d+}/contracts/new", need=NEED)
async def new_contract(request: web.Request, me: models.Staff) -> web.Response:
    return await page(request, me, client_id=parse_id(request.match_info["id"]) or 0)


@console.get(r"/admin/contracts/{id:\d+}", need=NEED)
async def contract_page(request: web.Request, me: models.Staff) -> web.Response:
    return await page(request, me, contract_id=parse_id(request.match_info["id"]) or 0)


def _save(me, client_id, contract_id, form):
    context = _context(me, client_id, contract_id)
    if context is None:
        return None, {"404": True}
    client, contract = context["client"], context["contract"]
    values, errors = parse_form(CONTRACTS, form, changes.CONTRACT_FIELDS, FormLookups(), {"client": client.id})
    values.pop("client")
    if values.get("number") and "number" not in errors and (taken := changes.number_taken(values["number"], contract_id)):
        errors["number"] = taken
    if errors:
        return None, errors
    return changes.save_contract(me, client, contract, values), {}


async def _post(request, me, client_id=None, contract_id=None) -> web.Response:
    return await submit(request, me, page, _save, client_id, contract_id,
                        not_found=lambda: missing(request, "这份合同" if contract_id else "这个客户"),
                        saved=lambda r: (f"/admin/contracts/{r.id}", f"已保存合同 {r.number}。"))


@console.post(r"/admin/clients/{id:\d+}/contracts/new", need=NEED)
async def create_contract(request: web.Request, me: models.Staff) -> web.Response:
    return await _post(request, me, client_id=parse_id(request.match_info["id"]) or 0)


@console.post(r"/admin/contracts/{id:\d+}", need=NEED)
async def update_contract(request: web.Request, me: models.Staff) -> web.Response:
    return await _post(request, me, contract_id=parse_id(request.match_info["id"]) or 0)


def _act(me, contract_id: int, action, *args):
    contract = contract_of(me, contract_id)
    if contract is None:
        return None, None
    try:
        return contract, action(me, contract, *args)
    except changes.Refused as exc:
        return contract, exc


@console.post(r"/admin/contracts/{id:\d+}/delete", need=NEED)
async def delete_contract(request: web.Request, me: models.Staff) -> web.Response:
    contract, refused = await request.app[keys.DB].atomic(_act, me, parse_id(request.match_info["id"]) or 0,
                                                          changes.delete_contract)
    if contract is None:
        return missing(request, "这份合同")
    if refused:
        return await page(request, me, contract_id=contract.id, errors={"_": refused}, status=409)
    return done(f"/admin/clients/{contract.client_id}#contracts", f"已删除合同 {contract.number}。")


@console.post(r"/admin/contracts/{id:\d+}/end", need=NEED)
async def end_contract(request: web.Request, me: models.Staff) -> web.Response:
    form, errors = await request.post(), FormErrors()
    day = day_of(str(form.get("day", "")), errors, "day")
    contract_id = parse_id(request.match_info["id"]) or 0
    if errors:
        return await page(request, me, contract_id=contract_id, errors={"end": errors["day"]}, status=400)
    contract, result = await request.app[keys.DB].atomic(_act, me, contract_id, changes.end_contract, day,
                                                         str(form.get("reason", "")))
    if contract is None:
        return missing(request, "这份合同")
    if isinstance(result, changes.Refused):
        return await page(request, me, contract_id=contract_id, errors={"end": str(result)}, status=400)
    return done(f"/admin/contracts/{contract.id}", f"已终止合同 {contract.number}，{result} 项服务随之终止。")


def _renew(me, contract_id: int, form):
    contract = contract_of(me, contract_id)
    if contract is None:
        return None, None
    values, errors = parse_form(CONTRACTS, form, ("number", "title", "start_date", "end_date", "amount_fen"),
                                FormLookups(), {"client": contract.client_id})
    values.pop("client")
    if values.get("number") and (taken := changes.number_taken(values["number"], None)):
        errors["number"] = taken
    if errors:
        return contract, errors
    try:
        return contract, changes.renew_contract(me, contract, values)
    except changes.Refused as exc:
        return contract, {"_": str(exc)}


@console.post(r"/admin/contracts/{id:\d+}/renew", need=NEED)
async def renew_contract(request: web.Request, me: models.Staff) -> web.Response:
    contract_id = parse_id(request.match_info["id"]) or 0
    form = await request.post()
    contract, result = await request.app[keys.DB].atomic(_renew, me, contract_id, form)
    if contract is None:
        return missing(request, "这份合同")
    if isinstance(result, dict):
        renew = {f"renew_{k}": v for k, v in result.items()}
        return await page(request, me, contract_id=contract_id, errors=renew, status=400)
    new, count = result
    return done(f"/admin/contracts/{new.id}", f"已续签：新合同 {new.number}，{count} 项服务已续费到新合同。")
