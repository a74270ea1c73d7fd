"""收票 and 缺票 commands: a client's invoice collection for a period, and the periods flagged missing (B4, B2)."""
from __future__ import annotations

import asyncio

from bot.router import Reply, Router, UserError
from handlers.cmdkit import (
    PERIOD_HINT,
    client_and_period,
    client_label,
    parse_period,
    period_label,
    require_perm,
    work_period,
)
from handlers.intake.rules import collection_image_data, collection_summary, missing_invoice_flags

router = Router("intake")

SHOWN = 30  # lines in one reply



@router.command("收票", "收票情况", "票据")
async def collection(msg, args, ctx) -> Reply:
    """收票 <客户> [期间]：查看收票情况明细图片（默认上月）
    图片列出各类票据（进项、销项、费用票、银行回单、工资表）是否收到、张数和完成情况，可直接转发给客户。"""
    require_perm(ctx, "wecom.collection")
    client, period, _ = await client_and_period(ctx, args, "收票")
    summary = await ctx.db.run(collection_summary, client.id, period)
    if summary is None:
        raise UserError(f"{client.name} {period_label(period)}还没有收票记录。可以换个期间，例如「收票 {client_label(client)} 上月」。")
    from bot.render.images import render_collection
    data = collection_image_data(summary, ctx.config.agency, client.name, period)
    png = await asyncio.to_thread(render_collection, data, ctx.fonts)
    return Reply.of_image(png, f"收票-{client_label(client)}-{period}.png")


@router.command("缺票", "缺票提醒")
async def missing_invoices(msg, args, ctx) -> Reply:
    """缺票 [期间]：查看被会计标记为缺票的客户（默认上月）
    例如「缺票」「缺票 2026-10」「缺票 9月」。只列出尚未解决的标记。"""
    require_perm(ctx, "wecom.service")
    period = parse_period(args, ctx.today()) if args else work_period(ctx.today())
    if period is None:
        raise UserError(f"「{args[:20]}」不是有效的期间。{PERIOD_HINT}")
    rows = await ctx.db.run(missing_invoice_flags, ctx.staff, period, ctx.config.agency.tz)
    return Reply.of_text(ctx.render("intake/missing.txt", rows=rows[:SHOWN], total=len(rows),
                                    period=period_label(period), everyone=ctx.staff.is_admin))
