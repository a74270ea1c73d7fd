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

router = Router("clients")

TAXPAYER = {"small": "小规模纳税人", "general": "一般纳税人"}
SERVICE_KIND = {"bookkeeping": "记账", "business": "工商"}
SERVICE_STATUS = {"active": "服务中", "expired": "已到期", "cancelled": "已取消", "renewed": "已续费"}


def previous_period(today: date) -> str:
    """Filings in month M are for month M-1."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def client_summary(client: models.Client, today: date, calendar) -> dict[str, Any]:
    """Everything the 客户 reply shows, read in one go on a database thread.

    收票 and 报税 are shown for the work period (last month): in November the agency collects, books and
    files October."""
    period = previous_period(today)
    services = list(models.Service.select().where((models.Service.client == client)
                                                  & (models.Service.status != "renewed"))
                    .order_by(models.Service.end_date))
    owed_fen, later_fen = owed_split(client.id, today)
    collection = collection_summary(client.id, period)
    contacts = list(models.ExternalContact.select().join(models.ContactClientLink)
                    .where(models.ContactClientLink.client == client).order_by(models.ExternalContact.name))
    groups = list(models.CustomerGroup.select().join(models.GroupClientLink)
                  .where(models.GroupClientLink.client == client).order_by(models.CustomerGroup.name))
    return {
        "client": client, "taxpayer": TAXPAYER.get(client.taxpayer_type, client.taxpayer_type),
        "manager": client.manager.name if client.manager else "未指定",
        "accountant": client.accountant.name if client.accountant else "未指定",
        "services": [{"kind": SERVICE_KIND.get(s.kind, s.kind), "name": s.name, "end": s.end_date,
                      "status": SERVICE_STATUS.get(s.status, s.status), "days_left": (s.end_date - today).days}
                     for s in services],
        "owed_fen": owed_fen, "later_fen": later_fen, "period": period,
        "collection": collection_status_text(collection) if collection else "",
        "filings": filing_groups(client.id, period, today, calendar),
        "contacts": contacts, "groups": groups,
    }


@router.command("客户", "查客户", "kh")
async def show_client(msg, args, ctx) -> Reply:
    """客户 <名称>：查看客户概况（服务、欠费、收票、报税、联系人）
    名称可以是全称、简称、其中几个字或拼音首字母，例如「客户 华夏」「客户 hxkj」。"""
    client = await resolve_client(ctx, args, "客户")
    if isinstance(client, Reply):
        return client
    summary = await ctx.db.run(client_summary, client, ctx.today(), ctx.config.jobs.filing_deadline)
    return Reply.of_text(ctx.render("clients/summary.txt", **summary))
