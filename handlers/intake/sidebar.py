"""收票 tab (B4): what a client handed in, period by period; add or edit a record, save or save and mark the
period complete; the detail; 分享 as the same detail image the 收票 command draws."""
from __future__ import annotations

import asyncio

from aiohttp import web

import models
from bot import keys
from bot.render.images import render_collection
from handlers.cmdkit import period_label, work_period
from handlers.intake.rules import (MAX_NOTE, collection_image_data, collection_status_text, collection_summary,
                                   item_problem, save_collection)
from handlers.sidebar.kit import CLIENT, check_period, media_response, recent_periods, tab_client, today, upload_media
from handlers.sidebar.scope import json_error, read_json

PERM = "wecom.collection"
SHOWN = 24
PERIOD = CLIENT + "/collections/{period:\\d{4}-\\d{2}}"


def setup(app: web.Application) -> None:
    app.router.add_get(CLIENT + "/collections", collections)
    app.router.add_get(PERIOD, detail)
    app.router.add_put(PERIOD, save)
    app.router.add_post(PERIOD + "/image", share_image)


def collection_list(client_id: int) -> list[dict]:
    """The client's 收票 records, newest period first, with how many kinds arrived."""
    records = list(models.InvoiceCollection.select().where(models.InvoiceCollection.client == client_id)
                   .order_by(models.InvoiceCollection.period.desc()).limit(SHOWN))
    received = {}
    if records:
        rows = (models.CollectionItem.select(models.CollectionItem.collection, models.CollectionItem.kind)
                .where(models.CollectionItem.collection.in_([r.id for r in records])
                       & (models.CollectionItem.received == True)).tuples())  # noqa: E712 - SQL
        for collection_id, _ in rows:
            received[collection_id] = received.get(collection_id, 0) + 1
    expected = len(models.COLLECTION_KINDS)
    return [{"period": r.period, "period_label": period_label(r.period), "complete": r.status == "complete",
             "received": received.get(r.id, 0), "expected": expected,
             "status_label": "已完成" if r.status == "complete" else f"收票中（已收 {received.get(r.id, 0)}/{expected} 项）"}
            for r in records]


async def collections(request: web.Request) -> web.Response:
    """GET: the list, the period a new record defaults to, and the kinds of documents."""
    _, client = await tab_client(request, PERM)
    rows = await request.app[keys.DB].run(collection_list, client.id)
    current = work_period(today(request))
    # The work period, the month in progress (documents arrive early) and the year before.
    periods = [models.shift_period(current, 1)] + recent_periods(current)
    return web.json_response({"records": rows, "default_period": current, "periods": periods,
                              "kinds": models.COLLECTION_KINDS})


def collection_detail(client_id: int, period: str, tz) -> dict | None:
    """One record: every kind (so what is missing shows too), its note and when it last changed."""
    summary = collection_summary(client_id, period)
    if summary is None:
        return None
    collection = models.InvoiceCollection.get(client=client_id, period=period)
    items = [{"kind": kind, "label": label, "count": count, "received": received, "note": note}
             for kind, (label, count, received, note) in zip(models.COLLECTION_KINDS, summary["lines"])]
    updated = summary["updated"]
    return {"period": period, "period_label": period_label(period), "complete": summary["complete"],
            "status_label": collection_status_text(summary), "items": items, "note": collection.note,
            "updated": updated.astimezone(tz).strftime("%Y-%m-%d %H:%M") if updated else ""}


async def detail(request: web.Request) -> web.Response:
    """GET: the record of one period (查看详情); 404 when there is none yet."""
    _, client = await tab_client(request, PERM)
    period = check_period(request.match_info["period"])
    found = await request.app[keys.DB].run(collection_detail, client.id, period, request.app[keys.CONFIG].agency.tz)
    if found is None:
        raise json_error(404, f"{period_label(period)}还没有收票记录")
    return web.json_response(found)


def _clean_items(raw) -> dict[str, dict]:
    if not isinstance(raw, list) or not raw or not all(isinstance(i, dict) for i in raw):
        raise json_error(400, "请填写各类票据的收取情况")
    items = {}
    for item in raw:
        kind, count, note = item.get("kind"), item.get("count", 0), item.get("note") or ""
        if kind not in models.COLLECTION_KINDS or kind in items:
            raise json_error(400, "票据类别不正确，请刷新后重试")
        if problem := item_problem(kind, count, note):
            raise json_error(400, problem)
        items[kind] = {"count": count, "received": bool(item.get("received")), "note": note.strip()}
    return items


async def save(request: web.Request) -> web.Response:
    """PUT {items: [{kind, count, received, note}], note, complete}: 保存 / 保存并标记完成."""
    scope, client = await tab_client(request, PERM)
    period = check_period(request.match_info["period"])
    body = await read_json(request)
    items = _clean_items(body.get("items"))
    note = body.get("note") or ""
    if not isinstance(note, str) or len(note.strip()) > MAX_NOTE:
        raise json_error(400, f"备注最多 {MAX_NOTE} 个字")
    result = await request.app[keys.DB].atomic(save_collection, scope.staff, client.id, period, items, note.strip(),
                                               body.get("complete") is True, request.app[keys.CLOCK]())
    return web.json_response(result, status=201 if result["created"] else 200)


async def share_image(request: web.Request) -> web.Response:
    """POST: the 收票 detail image, uploaded to WeCom, for the page to drop into the chat (分享)."""
    _, client = await tab_client(request, PERM)
    period = check_period(request.match_info["period"])
    summary = await request.app[keys.DB].run(collection_summary, client.id, period)
    if summary is None:
        raise json_error(404, f"{period_label(period)}还没有收票记录")
    data = collection_image_data(summary, request.app[keys.CONFIG].agency, client.name, period)
    png = await asyncio.to_thread(render_collection, data, request.app[keys.FONTS])
    filename = f"收票-{client.short_name or client.name}-{period}.png"
    return media_response(await upload_media(request, "image", filename, png), filename)
