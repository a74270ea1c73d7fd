"""客户: a client's summary for the staff member asking (their own clients only; admins all)."""
from __future__ import annotations

from datetime import date
from typing import Any

import models
from bot.router import Reply, Router
from handlers.billing.rules import owed_split
from handlers.conversation import resolve_client
from handlers.filings.rules import filing_groups
from handlers.intake.rules import collection_status_text, collection_summary
from handlers.services.rules import renewed_ids, term_status

router = Router("clients")

TAXPAYER = {"small": "小规模纳税人", "general": "一般纳税人"}
DETAILS = (("收票", "wecom.collection"), ("报税", "wecom.filing"), ("发票", "wecom.invoice"), ("报表", "wecom.report"))


def previous_period(today: date) -> str:
    """Filings in month M are for month M-1."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def client_summary(client: models.Client, today: date, calendar, staff: models.Staff) -> dict[str, Any]:
    """Everything the 客户 reply shows, read in one go on a database thread; each section only for a member who
    holds its permission (services, arrears, 收票, 报税), as in the sidebar.

    收票 and 报税 are shown for the work period (last month): in November the agency collects, books and
    files October."""
    period = previous_period(today)
    may = staff.has_perm
    contacts = list(models.ExternalContact.select().join(models.ContactClientLink)
                    .where(models.ContactClientLink.client == client).order_by(models.ExternalContact.name))
    groups = list(models.CustomerGroup.select().join(models.GroupClientLink)
                  .where(models.GroupClientLink.client == client).order_by(models.CustomerGroup.name))
    summary = {
        "client": client, "taxpayer": TAXPAYER.get(client.taxpayer_type, client.taxpayer_type),
        "vat_cycle": models.VAT_CYCLES[client.vat_cycle] if client.vat_cycle else "",  # shown only when set
        "manager": client.manager.name if client.manager else "未指定",
        "accountant": client.accountant.name if client.accountant else "未指定",
        "period": period, "contacts": contacts, "groups": groups,
        "services": _services(client, today) if may("wecom.service") else None,
        "owed": owed_split(client.id, today) if may("wecom.billing") else None,
        "collection": None, "filings": None,
        "details": [cmd for cmd, perm in DETAILS if may(perm)],
    }
    if may("wecom.collection"):
        collection = collection_summary(client.id, period)
        summary["collection"] = collection_status_text(collection) if collection else ""
    if may("wecom.filing"):
        summary["filings"] = filing_groups(client.id, period, today, calendar)
    return summary


def _services(client: models.Client, today: date) -> list[dict]:
    terms = list(models.Service.select().where(models.Service.client == client).order_by(models.Service.end_date))
    renewed = renewed_ids(terms)
    rows = []
    for s in terms:
        status = term_status(s, s.id in renewed, today)
        if status != "renewed":
            rows.append({"kind": models.SERVICE_KINDS.get(s.kind, s.kind), "name": s.name, "end": s.end_date,
                         "status": models.SERVICE_STATUSES.get(status, status), "days_left": (s.end_date - today).days})
    return rows


@router.command("客户", "查客户", "kh")
async def show_client(msg, args, ctx) -> Reply:
    """客户 <名称>：查看客户概况（服务、欠费、收票、报税、联系人）
    名称可以是全称、简称、其中几个字或拼音首字母，例如「客户 华夏」「客户 hxkj」。只显示你有权限查看的部分。"""
    client = await resolve_client(ctx, args, "客户")
    if isinstance(client, Reply):
        return client
    summary = await ctx.db.run(client_summary, client, ctx.today(), ctx.config.filings, ctx.staff)
    return Reply.of_text(ctx.render("clients/summary.txt", **summary))
