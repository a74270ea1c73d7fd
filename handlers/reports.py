"""报表: a client's balance sheet and income statement for a period as one XLSX file (B7)."""
from __future__ import annotations

import asyncio

import models
from bot.router import Reply, Router, UserError
from handlers.cmdkit import client_and_period, client_label, period_label, require_perm

router = Router("reports")

KINDS = ("balance_sheet", "income_statement")


def report_lines(client_id: int, period: str, fallback: bool) -> tuple[str, list, list] | None:
    """(period, balance sheet lines, income lines) for ``period``; with ``fallback``, the latest earlier
    period that has both statements when this one is not closed yet. None if there is nothing to send."""
    snapshots = (models.ReportSnapshot.select()
                 .where((models.ReportSnapshot.client == client_id) & models.ReportSnapshot.kind.in_(KINDS)
                        & (models.ReportSnapshot.period <= period))
                 .order_by(models.ReportSnapshot.period.desc()))
    by_period: dict[str, dict[str, list]] = {}
    for snap in snapshots:
        by_period.setdefault(snap.period, {})[snap.kind] = snap.lines
    for found, kinds in by_period.items():  # newest first
        if found != period and not fallback:
            break
        if len(kinds) == len(KINDS):
            return found, kinds["balance_sheet"], kinds["income_statement"]
    return None


def latest_period(client_id: int) -> str | None:
    return (models.ReportSnapshot.select(models.ReportSnapshot.period)
            .where(models.ReportSnapshot.client == client_id)
            .order_by(models.ReportSnapshot.period.desc()).scalar())


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
    from bot.render import render_reports_xlsx
    data = await asyncio.to_thread(render_reports_xlsx, ctx.config.agency.name, client.name, period,
                                   balance_sheet, income)
    return Reply.of_file(data, f"{client_label(client)}-{period}-报表.xlsx")
