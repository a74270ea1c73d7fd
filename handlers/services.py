"""到期 and 缺票: services about to end and clients flagged for missing invoices (B2), for the asker's clients."""
from __future__ import annotations

from datetime import date, timedelta

from peewee import JOIN, fn

import models
from bot.router import Reply, Router, UserError
from handlers.cmdkit import (PERIOD_HINT, client_label, parse_period, period_label, require_perm,
                             visible_client_ids, work_period)

router = Router("services")

MAX_DAYS = 3660
SHOWN = 30  # lines in one reply; WeCom cuts long text off and nobody reads further in a chat bubble


def expiring_services(staff: models.Staff, today: date, days: int) -> list[dict]:
    """Active services of visible clients ending within ``days`` days, soonest first.

    A term already followed by a later term of the same kind has been renewed, so it is left out."""
    later = models.Service.alias()
    renewed = later.select(later.id).where((later.client == models.Service.client)
                                           & (later.kind == models.Service.kind)
                                           & (later.start_date > models.Service.start_date))
    query = (models.Service.select(models.Service, models.Client).join(models.Client)
             .where((models.Service.status == "active")
                    & models.Service.end_date.between(today, today + timedelta(days=days))
                    & ~fn.EXISTS(renewed)))
    if not staff.is_admin:
        query = query.where(models.Service.client.in_(visible_client_ids(staff)))
    return [{"client": client_label(s.client), "kind": models.SERVICE_KINDS.get(s.kind, s.kind), "name": s.name,
             "end": s.end_date, "days_left": (s.end_date - today).days}
            for s in query.order_by(models.Service.end_date, models.Client.name)]


def missing_invoice_flags(staff: models.Staff, period: str, tz) -> list[dict]:
    """Unresolved 缺票 flags of visible clients for ``period``, by client name."""
    query = (models.MissingInvoiceFlag.select(models.MissingInvoiceFlag, models.Client, models.Staff)
             .join(models.Client).switch(models.MissingInvoiceFlag)
             .join(models.Staff, JOIN.LEFT_OUTER, on=(models.MissingInvoiceFlag.flagged_by == models.Staff.id))
             .where((models.MissingInvoiceFlag.period == period) & models.MissingInvoiceFlag.resolved_at.is_null()))
    if not staff.is_admin:
        query = query.where(models.MissingInvoiceFlag.client.in_(visible_client_ids(staff)))
    return [{"client": client_label(f.client), "note": f.note,
             "by": f.flagged_by.name if f.flagged_by_id else "", "at": f.flagged_at.astimezone(tz).date()}
            for f in query.order_by(models.Client.name)]


def _days(args: str) -> int:
    if not args:
        return 30
    text = args.removesuffix("天").strip()
    if not text.isdigit() or not 0 < int(text) <= MAX_DAYS:
        raise UserError(f"天数请写 1 到 {MAX_DAYS} 之间的整数，例如：到期 30")
    return int(text)


@router.command("到期", "到期提醒", "快到期")
async def expiring(msg, args, ctx) -> Reply:
    """到期 [天数]：查看 N 天内到期的记账、工商服务（默认 30 天）
    只列出你负责的客户（管理员看全部），最近到期的排在前面。例如「到期」「到期 60」。"""
    require_perm(ctx, "wecom.service")
    days = _days(args)
    rows = await ctx.db.run(expiring_services, ctx.staff, ctx.today(), days)
    return Reply.of_text(ctx.render("bot/services_expiring.txt", rows=rows[:SHOWN], total=len(rows), days=days,
                                    everyone=ctx.staff.is_admin))


@router.command("缺票", "缺票提醒")
async def missing_invoices(msg, args, ctx) -> Reply:
    """缺票 [期间]：查看被会计标记为缺票的客户（默认上月）
    例如「缺票」「缺票 2026-10」「缺票 9月」。只列出尚未解决的标记。"""
    require_perm(ctx, "wecom.service")
    period = parse_period(args, ctx.today()) if args else work_period(ctx.today())
    if period is None:
        raise UserError(f"「{args[:20]}」不是有效的期间。{PERIOD_HINT}")
    rows = await ctx.db.run(missing_invoice_flags, ctx.staff, period, ctx.config.agency.tz)
    return Reply.of_text(ctx.render("bot/services_missing.txt", rows=rows[:SHOWN], total=len(rows),
                                    period=period_label(period), everyone=ctx.staff.is_admin))
