"""报税: a client's filing status per tax for a period (B6)."""
from __future__ import annotations

import models
from bot.router import Reply, Router
from handlers.cmdkit import client_and_period, period_label, require_perm
from handlers.filings.rules import annual_season, filing_groups

router = Router("filings")


@router.command("报税", "报税情况", "申报")
async def filings(msg, args, ctx) -> Reply:
    """报税 <客户> [期间]：各税种申报情况（默认上月，按季的看所在季度）
    例如「报税 华夏」「报税 华夏 2026-09」。小规模纳税人的增值税按季申报，显示期间所在季度的结果。"""
    require_perm(ctx, "wecom.filing")
    client, period, _ = await client_and_period(ctx, args, "报税")
    today, calendar = ctx.today(), ctx.config.filings
    groups = await ctx.db.run(filing_groups, client.id, period, today, calendar)
    return Reply.of_text(ctx.render("filings/status.txt", client=client, period=period_label(period),
                                    groups=groups, tz=ctx.config.agency.tz, season=annual_season(today, calendar),
                                    taxpayer=models.TAXPAYER_TYPES[client.taxpayer_type]))
