"""报表: a client's balance sheet and income statement as an XLSX file (B7)."""
from __future__ import annotations

import asyncio

from bot.router import Reply, Router, UserError
from handlers.cmdkit import client_and_period, client_label, period_label, require_perm
from handlers.reports.rules import latest_period, report_lines

router = Router("reports")


@router.command("报表", "财务报表", "资产负债表", "利润表")
async def reports(msg, args, ctx) -> Reply:
    """报表 <客户> [期间]：取资产负债表和利润表（Excel 文件，默认上月）
    上月账还没结完时，不写期间会取最近一期已出的报表；文件可直接转发给客户。"""
    require_perm(ctx, "wecom.report")
    client, period, explicit = await client_and_period(ctx, args, "报表")
    found = await ctx.db.run(report_lines, client.id, period, not explicit)
    if found is None:
        latest = await ctx.db.run(latest_period, client.id)
        hint = f"最近一期是 {latest}，发送「报表 {client_label(client)} {latest}」获取。" if latest else "系统里还没有这个客户的报表。"
        raise UserError(f"{client.name} {period_label(period)}的报表还没有出。{hint}")
    period, balance_sheet, income = found
    from bot.render.xlsx import render_reports_xlsx
    data = await asyncio.to_thread(render_reports_xlsx, ctx.config.agency.name, client.name, period,
                                   balance_sheet, income)
    return Reply.of_file(data, f"{client_label(client)}-{period}-报表.xlsx")
