"""A client's page in the console (B1): its profile, contacts, contracts and services, open receivables, recent
payments, 缺票 flags and linked WeCom contacts and groups, with the links to enter and edit each of them.
Staff see only the clients they may see (handlers/access.py); any other id is 404."""
from __future__ import annotations

from datetime import date

from aiohttp import web

import models
from bot import keys
from bot.edge.inputs import parse_id
from bot.money import format_fen
from handlers.access import visible_clients
from handlers.admin.shell import ConsoleRoutes, allowed, message, render
from handlers.billing.credit import credit_balance
from handlers.intake.rules import open_flag_where
from handlers.invoices.rules import filing_cycle
from handlers.services.rules import renewed_ids, term_status

console = ConsoleRoutes()
RECENT_PAYMENTS = 10
RECENT_INVOICES = 10
RECENT_PERIODS = 12


def records(me: models.Staff, client: models.Client) -> dict:
    """发票, 报表 and 收票 of the client, each only for a member with its permission (the pages check the same)."""
    found = {}
    if allowed(me, "wecom.invoice"):
        found["invoices"] = list(client.invoices.order_by(models.Invoice.issue_date.desc(), models.Invoice.id.desc())
                                 .limit(RECENT_INVOICES))
        found["invoice_count"] = client.invoices.count()
    if allowed(me, "wecom.report"):
        found["reports"] = list(client.reports.order_by(models.ReportSnapshot.period.desc(), models.ReportSnapshot.kind)
                                .limit(RECENT_PERIODS * len(models.REPORT_KINDS)))
    if allowed(me, "wecom.collection"):
        kept = list(client.collections.order_by(models.InvoiceCollection.period.desc()).limit(RECENT_PERIODS))
        received = {}
        for collection_id, in (models.CollectionItem.select(models.CollectionItem.collection)
                               .where(models.CollectionItem.collection.in_([k.id for k in kept])
                                      & (models.CollectionItem.received == True)).tuples()):  # noqa: E712 - SQL
            received[collection_id] = received.get(collection_id, 0) + 1
        found["collections"] = [{"c": k, "received": received.get(k.id, 0)} for k in kept]
    return found


def visible(me: models.Staff, client_id: int | None) -> models.Client | None:
    """The client if ``me`` may see it (the one rule), else None: every page of a client answers 404 then."""
    if not client_id:
        return None
    return visible_clients(me).where(models.Client.id == client_id).first()


def missing(request: web.Request, what: str = "这个客户") -> web.Response:
    return message(request, "没有找到", f"{what}不存在，或不是你负责的客户。", status=404)


def today(request: web.Request) -> date:
    return request.app[keys.CLOCK]().astimezone(request.app[keys.CONFIG].agency.tz).date()


def _services(client: models.Client, day: date) -> list[dict]:
    terms = list(models.Service.select().where(models.Service.client == client)
                 .order_by(models.Service.kind, models.Service.start_date.desc()))
    renewed = renewed_ids(terms)
    rows = []
    for s in terms:
        status = term_status(s, s.id in renewed, day)
        rows.append({"s": s, "status": status, "status_label": models.SERVICE_STATUSES[status],
                     "kind_label": models.SERVICE_KINDS[s.kind], "cycle": models.BILLING_CYCLES[s.billing_cycle],
                     "open": s.status in ("active", "expired") and s.id not in renewed,
                     "billed": s.receivables.count()})
    return rows


def detail(me: models.Staff, client_id: int, day: date) -> dict | None:
    client = visible(me, client_id)
    if client is None:
        return None
    receivables = (models.Receivable.select().where((models.Receivable.client == client)
                                                    & models.Receivable.status.in_(("open", "partial")))
                   .order_by(models.Receivable.due_date, models.Receivable.id))
    payments = (models.Payment.select().where(models.Payment.client == client)
                .order_by(models.Payment.paid_on.desc(), models.Payment.id.desc()).limit(RECENT_PAYMENTS))
    flags = (models.MissingInvoiceFlag.select().where((models.MissingInvoiceFlag.client == client) & open_flag_where())
             .order_by(models.MissingInvoiceFlag.period.desc()))
    wecom = (models.ExternalContact.select().join(models.ContactClientLink)
             .where(models.ContactClientLink.client == client).order_by(models.ExternalContact.name))
    groups = (models.CustomerGroup.select().join(models.GroupClientLink)
              .where(models.GroupClientLink.client == client).order_by(models.CustomerGroup.name))
    return {"client": client, "manager": client.manager.name if client.manager_id else "",
            "accountant": client.accountant.name if client.accountant_id else "",
            "contacts": list(client.contacts.order_by(models.ClientContact.is_primary.desc(), models.ClientContact.id)),
            "contracts": list(client.contracts.order_by(models.Contract.start_date.desc())),
            "services": _services(client, day), "receivables": list(receivables), "payments": list(payments),
            "flags": list(flags), "wecom": list(wecom), "groups": list(groups),
            "credit_fen": credit_balance(client.id), "cycle_now": filing_cycle(client, models.period_of(day)),
            **records(me, client)}


def rights(me: models.Staff) -> dict:
    """What the page offers ``me``; the routes check the same needs."""
    return {"can_edit": allowed(me, "wecom.link"), "can_admin": me.is_admin,
            "can_service": allowed(me, "wecom.service"), "can_billing": allowed(me, "wecom.billing"),
            "can_invoice": allowed(me, "wecom.invoice"), "can_report": allowed(me, "wecom.report"),
            "can_collection": allowed(me, "wecom.collection")}


@console.get(r"/admin/clients/{id:\d+}", need="member")
async def client_page(request: web.Request, me: models.Staff) -> web.Response:
    return await show(request, me)


async def show(request: web.Request, me: models.Staff, refused: str = "", status: int = 200) -> web.Response:
    """The client's page; ``refused`` is why a delete was refused (shown as a warning, with status 409)."""
    context = await request.app[keys.DB].run(detail, me, parse_id(request.match_info["id"]), today(request))
    if context is None:
        return missing(request)
    return render(request, "admin/clients/detail.html",
                  {**context, **rights(me), "yuan": format_fen, "today": today(request), "refused": refused,
                   "taxpayers": models.TAXPAYER_TYPES, "vat_cycles": models.VAT_CYCLES,
                   "statuses": models.CLIENT_STATUSES,
                   "contract_statuses": models.CONTRACT_STATUSES, "receivable_statuses": models.RECEIVABLE_STATUSES,
                   "methods": models.PAYMENT_METHODS, "directions": models.INVOICE_DIRECTIONS,
                   "invoice_statuses": models.INVOICE_STATUSES, "report_kinds": models.REPORT_KINDS,
                   "collection_kinds": models.COLLECTION_KINDS}, status=status, area="clients")
