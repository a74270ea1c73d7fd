"""收票: what a client handed in for a period, as a detail image staff can forward (B4)."""
from __future__ import annotations

import asyncio

import models
from bot.router import Reply, Router, UserError
from handlers.cmdkit import client_and_period, client_label, period_label, require_perm

router = Router("collections")


def collection_summary(client_id: int, period: str) -> dict | None:
    """{status, received, expected, lines: [(label, count, received, note)], updated} or None if not recorded."""
    collection = models.InvoiceCollection.get_or_none(client=client_id, period=period)
    if collection is None:
        return None
    items = {i.kind: i for i in collection.items}
    lines = []
    for kind, label in models.COLLECTION_KINDS.items():  # every kind, so what is missing shows too
        item = items.get(kind)
        lines.append((label, item.count if item else 0, bool(item and item.received), item.note if item else ""))
    received = sum(1 for line in lines if line[2])
    times = [i.received_at for i in items.values() if i.received_at] + [collection.completed_at]
    return {"complete": collection.status == "complete", "received": received, "expected": len(lines),
            "lines": lines, "updated": max((t for t in times if t), default=None)}


def collection_status_text(summary: dict) -> str:
    if summary["complete"]:
        return "已完成"
    return f"收票中（已收 {summary['received']}/{summary['expected']} 项）"


def collection_image_data(summary: dict, agency, client_name: str, period: str):
    """The CollectionData the 收票 detail image is drawn from (``agency`` is config.agency)."""
    from bot.render import CollectionData, CollectionLine
    updated = summary["updated"]
    return CollectionData(
        agency=agency.name, client=client_name, period=period, status=collection_status_text(summary),
        lines=tuple(CollectionLine(label, count, received, note) for label, count, received, note in summary["lines"]),
        updated=updated.astimezone(agency.tz).strftime("%Y-%m-%d %H:%M") if updated else "")


@router.command("收票", "收票情况", "票据")
async def collection(msg, args, ctx) -> Reply:
    """收票 <客户> [期间]：查看收票情况明细图片（默认上月）
    图片列出各类票据（进项、销项、费用票、银行回单、工资表）是否收到、张数和完成情况，可直接转发给客户。"""
    require_perm(ctx, "wecom.collection")
    client, period, _ = await client_and_period(ctx, args, "收票")
    summary = await ctx.db.run(collection_summary, client.id, period)
    if summary is None:
        raise UserError(f"{client.name} {period_label(period)}还没有收票记录。可以换个期间，例如「收票 {client_label(client)} 上月」。")
    from bot.render import render_collection
    data = collection_image_data(summary, ctx.config.agency, client.name, period)
    png = await asyncio.to_thread(render_collection, data, ctx.fonts)
    return Reply.of_image(png, f"收票-{client_label(client)}-{period}.png")
