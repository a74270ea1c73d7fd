"""刷新成员列表: read the members in the app's visible range from WeCom into WeComMember, off the request.

user/list_id gives every userid (one row per department it belongs to); user/get is then asked per member,
a few at a time, and each batch is stored with the run's progress in one transaction, so the page's progress
line (SyncRun kind 'members', see handlers/contacts/runs.py) is what is really stored. Members WeCom no longer
lists are kept (their bindings and history stay readable) but marked out of range.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from aiohttp import web

import models
from bot import keys
from bot.wecom import WeComError
from handlers.contacts import runs
from models import WeComMember

log = logging.getLogger(__name__)
KIND = "members"
BATCH = 50        # members stored per transaction
PARALLEL = 4      # user/get calls in flight at once: WeCom limits calls per app per minute
LIST_LIMIT = 10000


async def list_members(wecom) -> dict[str, list[int]]:
    """Every userid in the visible range with its departments, following user/list_id's cursor."""
    found: dict[str, list[int]] = {}
    cursor = ""
    while True:
        page = await wecom.user_list_id(cursor=cursor, limit=LIST_LIMIT)
        for row in page.get("dept_user") or []:
            departments = found.setdefault(str(row["userid"]), [])
            if row.get("department") is not None and row["department"] not in departments:
                departments.append(row["department"])
        cursor = page.get("next_cursor") or ""
        if not cursor:
            return found


async def _detail(wecom, gate: asyncio.Semaphore, userid: str) -> dict:
    """user/get for one member; {} when WeCom will not say (the member left between the two calls...)."""
    async with gate:
        try:
            return await wecom.user_get(userid)
        except WeComError as exc:
            log.warning("user/get %s failed: %s", userid, exc)
            return {}


def store_batch(run: runs.RunHandle, listed: dict[str, list[int]], details: dict[str, dict],
                stamp: datetime, now: datetime) -> None:
    """Upsert one batch of members and the run's progress (inside a write transaction)."""
    for userid, departments in listed.items():
        info = details.get(userid) or {}
        member = WeComMember.get_or_none(WeComMember.userid == userid) or WeComMember(userid=userid)
        member.department = departments or list(info.get("department") or [])
        member.in_range, member.last_seen_at = True, stamp
        if info:
            member.fetched_at = now
            member.status = int(info.get("status") or 0)
            # Newer apps get these empty: keep what an older answer or the member's own consent gave us.
            member.name = str(info.get("name") or member.name or "")[:64]
            member.mobile = str(info.get("mobile") or member.mobile or "")[:20]
            member.position = str(info.get("position") or member.position or "")[:128]
        member.save()
    run.counts["done"] = run.counts.get("done", 0) + len(listed)
    for key, field in (("named", "name"), ("with_mobile", "mobile")):
        run.counts[key] = run.counts.get(key, 0) + sum(1 for u in listed if (details.get(u) or {}).get(field))
    runs.save(run, now)


def finish(run: runs.RunHandle, stamp: datetime, actor_id: int | None, now: datetime) -> None:
    """Mark members this refresh did not list as out of range, close the run, audit (write transaction)."""
    gone = (WeComMember.update(in_range=False)
            .where(WeComMember.in_range & (WeComMember.last_seen_at.is_null() | (WeComMember.last_seen_at != stamp)))
            .execute())
    run.counts["gone"] = gone
    runs.finish(run, now)
    actor = models.Staff.get_or_none(models.Staff.id == actor_id) if actor_id else None
    models.audit(actor, "staff.members_refresh", "SyncRun", run.id, after=dict(run.counts))


async def refresh(app: web.Application, run: runs.RunHandle, actor_id: int | None) -> None:
    """The whole refresh; a failure is kept on the run and shown on the page."""
    db, clock, wecom = app[keys.DB], app[keys.CLOCK], app[keys.WECOM]
    stamp = run.since
    try:
        listed = await list_members(wecom)
        run.counts = {"total": len(listed), "done": 0}
        await db.atomic(runs.save, run, clock())
        gate, userids = asyncio.Semaphore(PARALLEL), list(listed)
        for start in range(0, len(userids), BATCH):
            batch = userids[start:start + BATCH]
            answers = await asyncio.gather(*(_detail(wecom, gate, userid) for userid in batch))
            await db.atomic(store_batch, run, {u: listed[u] for u in batch}, dict(zip(batch, answers)),
                            stamp, clock())
        await db.atomic(finish, run, stamp, actor_id, clock())
    except WeComError as exc:
        log.warning("member refresh %s stopped: %s", run.id, exc)
        await db.run(runs.fail, run, clock(), f"企业微信接口错误 {exc.errcode}")
    except Exception as exc:  # noqa: BLE001 - whatever stopped it, the page must say so and the run must end
        log.exception("member refresh %s failed", run.id)
        await db.run(runs.fail, run, clock(), type(exc).__name__)


def start(now: datetime, actor_id: int) -> runs.RunHandle:
    """Claim the members run (SyncBusy while one is running); a resumed run starts over from the list."""
    run = runs.claim(KIND, now, actor_id)
    run.counts = {}
    runs.save(run, now)  # so the progress line never shows a resumed run's old counts
    return run


def progress(now: datetime, zone) -> dict:
    """What the page's progress line says: running, last finished, or last failed."""
    live = runs.running(KIND, now)
    if live is not None:
        counts = live.counts or {}
        if not counts.get("total"):
            return {"running": True, "text": "正在从企业微信读取成员列表……"}
        return {"running": True, "text": f"正在刷新：已读取 {counts.get('done', 0)} / {counts['total']} 位成员……"}
    last = (models.SyncRun.select().where((models.SyncRun.kind == KIND) & (models.SyncRun.state != "running"))
            .order_by(models.SyncRun.id.desc()).first())
    if last is None:
        return {"running": False, "text": "还没有刷新过成员列表。", "never": True}
    at = (last.finished_at or last.started_at).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if last.state == "failed":
        return {"running": False, "text": f"{at} 刷新失败（{last.error or '未知错误'}），请稍后重试。", "failed": True}
    counts = last.counts or {}
    text = f"{at} 已刷新，可见范围内共 {counts.get('total', 0)} 位成员。"
    hidden = [label for key, label in (("named", "姓名"), ("with_mobile", "手机号")) if not counts.get(key)]
    if counts.get("total") and hidden:  # apps created after mid-2022 (WECOM.md §9)
        text += (f"企业微信未向本应用提供成员{'和'.join(hidden)}（2022 年后创建的应用均如此），"
                 f"已绑定的成员显示员工账号的资料，未绑定的成员可自行授权手机号匹配。")
    return {"running": False, "text": text}
