"""服务 tab (B2): a client's bookkeeping and business services with term and status; 到期提醒 and 缺票提醒 texts."""
from __future__ import annotations

from datetime import date

from aiohttp import web

import models
from bot import keys
from handlers.cmdkit import period_label
from handlers.intake import rules as intake_rules
from handlers.intake.rules import open_flag_where
from handlers.services.rules import is_one_off, renewed_ids, term_status
from handlers.sidebar.kit import CLIENT, check_period, render_text, tab_client, today
from handlers.sidebar.scope import client_scope, json_error, read_json

PERM = "wecom.service"
SOON_DAYS = 30  # a term ending within this many days gets the 到期提醒 button highlighted


def setup(app: web.Application) -> None:
    app.router.add_get(CLIENT + "/services", services)
    app.router.add_get(CLIENT + "/services/{service_id:\\d+}/reminder", expiry_reminder)
    app.router.add_get(CLIENT + "/missing/{flag_id:\\d+}/reminder", missing_reminder)
    app.router.add_post(CLIENT + "/missing", flag_missing)
    app.router.add_post(CLIENT + "/missing/{flag_id:\\d+}/resolve", resolve_missing)


def _service_row(service: models.Service, renewed: bool, day: date) -> dict:
    status = term_status(service, renewed, day)
    days_left = (service.end_date - day).days
    one_off = is_one_off(service)
    return {"id": service.id, "kind": service.kind, "kind_label": models.SERVICE_KINDS[service.kind],
            "name": service.name, "start": service.start_date.isoformat(), "end": service.end_date.isoformat(),
            "status": status, "status_label": models.SERVICE_STATUSES[status], "days_left": days_left,
            "fee_fen": service.fee_fen, "cycle": models.BILLING_CYCLES.get(service.billing_cycle, ""),
            "one_off": one_off, "remindable": status in ("active", "expired") and not one_off,
            "soon": status == "active" and days_left <= SOON_DAYS}


def service_overview(client_id: int, day: date) -> dict:
    """{services: current terms first, then ended ones; missing: unresolved 缺票 flags, newest period first}."""
    terms = list(models.Service.select().where(models.Service.client == client_id))
    renewed = renewed_ids(terms)
    rows = [_service_row(s, s.id in renewed, day) for s in terms]
    rows.sort(key=lambda r: (r["status"] not in ("active", "expired"), r["kind"], r["end"]))
    flags = (models.MissingInvoiceFlag.select()
             .where((models.MissingInvoiceFlag.client == client_id) & open_flag_where())
             .order_by(models.MissingInvoiceFlag.period.desc()))
    return {"services": rows,
            "missing": [{"id": f.id, "period": f.period, "period_label": period_label(f.period), "note": f.note}
                        for f in flags]}


async def services(request: web.Request) -> web.Response:
    """GET: the client's services and open 缺票 flags."""
    _, client = await tab_client(request, PERM)
    return web.json_response(await request.app[keys.DB].run(service_overview, client.id, today(request)))


def _term(client_id: int, service_id: int) -> tuple[models.Service, bool]:
    service = models.Service.get_or_none((models.Service.id == service_id) & (models.Service.client == client_id))
    if service is None:
        raise json_error(404, "没有找到这项服务")
    terms = list(models.Service.select().where(models.Service.client == client_id))
    return service, service.id in renewed_ids(terms)


async def expiry_reminder(request: web.Request) -> web.Response:
    """GET: the 到期提醒 text for one service term, ready for the chat box."""
    _, client = await tab_client(request, PERM)
    service, renewed = await request.app[keys.DB].run(_term, client.id, int(request.match_info["service_id"]))
    row = _service_row(service, renewed, today(request))
    if row["one_off"]:
        raise json_error(409, "这是一次性的工商事项，办完即结束，不需要发送续费提醒")
    if not row["remindable"]:
        raise json_error(409, f"这项服务{row['status_label']}，不需要发送到期提醒")
    text = render_text(request, "services/service_expiry.txt", client=client, service=row)
    return web.json_response({"text": text})


def _flag(client_id: int, flag_id: int) -> models.MissingInvoiceFlag:
    flag = models.MissingInvoiceFlag.get_or_none((models.MissingInvoiceFlag.id == flag_id)
                                                 & (models.MissingInvoiceFlag.client == client_id))
    if flag is None:
        raise json_error(404, "没有找到这条缺票标记")
    still_open = models.MissingInvoiceFlag.select().where((models.MissingInvoiceFlag.id == flag.id) & open_flag_where())
    if not still_open.exists():
        raise json_error(409, "这条缺票标记已处理（或该期收票已完成），不需要再提醒")
    return flag


async def missing_reminder(request: web.Request) -> web.Response:
    """GET: the 缺票提醒 text for an accountant's unresolved flag."""
    _, client = await tab_client(request, PERM)
    flag = await request.app[keys.DB].run(_flag, client.id, int(request.match_info["flag_id"]))
    text = render_text(request, "intake/missing_invoices.txt", client=client, period=period_label(flag.period),
                       note=flag.note)
    return web.json_response({"text": text})


# 缺票 flags are set and resolved from the 服务 tab and from the 收票 tab: either right will do.
FLAG_PERMS = ("wecom.service", "wecom.collection")


async def _flag_scope(request: web.Request):
    scope, client = await client_scope(request)
    if not any(scope.staff.has_perm(code) for code in FLAG_PERMS):
        raise json_error(403, "你没有「服务情况」或「收票情况」权限，请联系管理员开通")
    return scope, client


async def flag_missing(request: web.Request) -> web.Response:
    """POST {period, note}: 标记缺票 for a period (flagging it again reopens it with the new note)."""
    scope, client = await _flag_scope(request)
    body = await read_json(request)
    period = check_period(body.get("period"))
    note = str(body.get("note", "")).strip()
    if len(note) > intake_rules.MAX_FLAG_NOTE:
        raise json_error(400, f"缺票说明最多 {intake_rules.MAX_FLAG_NOTE} 字")
    flag = await request.app[keys.DB].atomic(intake_rules.flag_missing, scope.staff, client.id, period, note,
                                             request.app[keys.CLOCK]())
    return web.json_response({"id": flag.id, "period": period, "period_label": period_label(period), "note": note},
                             status=201)


def _resolve(staff, client_id: int, flag_id: int, now) -> bool:
    flag = models.MissingInvoiceFlag.get_or_none((models.MissingInvoiceFlag.id == flag_id)
                                                 & (models.MissingInvoiceFlag.client == client_id))
    if flag is None:
        raise json_error(404, "没有找到这条缺票标记")
    return intake_rules.resolve_flag(staff, flag, now)


async def resolve_missing(request: web.Request) -> web.Response:
    """POST: 已补齐 — resolve an open 缺票 flag of this client."""
    scope, client = await _flag_scope(request)
    changed = await request.app[keys.DB].atomic(_resolve, scope.staff, client.id, int(request.match_info["flag_id"]),
                                                request.app[keys.CLOCK]())
    return web.json_response({"resolved": True, "changed": changed})
