"""The one function that gathers 运行状况's figures (X7); the console page and /metrics both show its result.

What the database holds (callbacks, syncs, the outbox, the scheduler lease, tokens) is read in one trip off the
loop; what only this process knows (refusals since start, whether it leads the scheduler) is read from the app.
Token and ticket values are never selected, so they cannot end up on a page or in /metrics.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from peewee import fn

import models
from bot import keys, migrate
from bot.dbconn import DatabaseUnavailable
from bot.outbox.health import outbox_health, uncertain_rows
from bot.outbox.store import DIGEST
from bot.scheduler import LEASE, SCHEDULER, last_run, next_runs
from handlers.contacts.runs import KINDS as SYNC_KINDS
from handlers.contacts.runs import STALE_AFTER
from handlers.reminders.jobs import JOBS
from models import CallbackInbox, ReminderOutbox, SyncRun

HOURS = 24
UNCERTAIN_SHOWN = 50
OUTBOX_STATES = ("pending", "failed", "dropped", "uncertain", "sent")


async def gather(app: web.Application) -> dict:
    """Every figure of the health page, as plain data (datetimes aware; ages in seconds)."""
    db, config = app[keys.DB], app[keys.CONFIG]
    now = app[keys.CLOCK]()
    health = await db.health()
    stored = None
    if health.state != "down":
        try:
            stored = await db.run(_stored, now, ZoneInfo(config.agency.timezone), config)
        except DatabaseUnavailable:
            stored = None
    stats = app[keys.EDGE_STATS]
    scheduler = app.get(SCHEDULER)
    return {
        "now": now, "stored": stored,
        "database": {"kind": "postgresql" if db.is_postgres else "sqlite", "state": health.state,
                     "reason": health.reason, "latest": max(v for v, _, _ in migrate.MIGRATIONS)},
        "edge": {"since": stats.started_at, "refused": dict(stats.refused), "accepted": dict(stats.accepted),
                 "duplicates": stats.duplicates},
        "process": {"holder": scheduler.holder if scheduler else None,
                    "leader": bool(scheduler and scheduler.leader), "jobs_enabled": config.jobs.enabled},
    }


def _stored(now: datetime, zone: ZoneInfo, config) -> dict:
    return {"callbacks": _callbacks(now, zone), "syncs": _syncs(now), "drift": _drift(),
            "outbox": _outbox(now), "scheduler": _scheduler(now, config), "tokens": _tokens(now),
            "migration": migrate.current_version(models.db)}


def _callbacks(now: datetime, zone: ZoneInfo) -> dict:
    """The last callback, and the last 24 hours by agency hour, by kind and by how handling ended."""
    last = CallbackInbox.select().order_by(CallbackInbox.received_at.desc(), CallbackInbox.id.desc()).first()
    top = now.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    first = top - timedelta(hours=HOURS - 1)
    hours = [first + timedelta(hours=n) for n in range(HOURS)]
    recent = (CallbackInbox.select(CallbackInbox.received_at, CallbackInbox.kind, CallbackInbox.state)
              .where(CallbackInbox.received_at >= first).tuples())
    per_hour, kinds, states = Counter(), Counter(), Counter()
    for received_at, kind, state in recent:
        per_hour[received_at.astimezone(zone).replace(minute=0, second=0, microsecond=0)] += 1
        kinds[kind] += 1
        states[state] += 1
    shown = None if last is None else {"received_at": last.received_at, "kind": last.kind, "state": last.state}
    return {"last": shown,
            "per_hour": [(hour, per_hour[hour]) for hour in hours], "kinds": kinds.most_common(),
            "states": dict(states), "total": sum(kinds.values())}


def _syncs(now: datetime) -> list[dict]:
    """Per kind: the latest finished run, the latest successful one, and a running one's heartbeat."""
    result = []
    for kind, title in SYNC_KINDS.items():
        of_kind = SyncRun.select().where(SyncRun.kind == kind)
        finished = of_kind.where(SyncRun.state != "running").order_by(SyncRun.id.desc()).first()
        success = of_kind.where(SyncRun.state == "done").order_by(SyncRun.id.desc()).first()
        running = of_kind.where(SyncRun.state == "running").order_by(SyncRun.id.desc()).first()
        result.append({
            "kind": kind, "title": title, "last": None if finished is None else _run(finished),
            "success_at": success.finished_at if success else None,
            "running": None if running is None else {
                **_run(running), "stale": now - running.heartbeat_at >= STALE_AFTER,
                "heartbeat_age": (now - running.heartbeat_at).total_seconds()}})
    return result


def _run(row: SyncRun) -> dict:
    return {"id": row.id, "state": row.state, "started_at": row.started_at, "finished_at": row.finished_at,
            "heartbeat_at": row.heartbeat_at, "counts": dict(row.counts or {}), "error": row.error or ""}


def _drift() -> dict | None:
    check = models.DriftCheck.select().order_by(models.DriftCheck.id.desc()).first()
    if check is None:
        return None
    details = check.details or []
    names = _names({row["userid"] for row in details})
    return {"id": check.id, "state": check.state, "started_at": check.started_at, "finished_at": check.finished_at,
            "by": check.started_by.name if check.started_by_id else "", "members": check.members,
            "wecom": check.wecom_total, "ours": check.ours_total, "missing": check.missing, "extra": check.extra,
            "drift": check.drift, "details": [{**row, "name": names.get(row["userid"], "")} for row in details],
            "error": check.error or ""}


def _outbox(now: datetime) -> dict:
    """Items by state (digests are containers: their items are what people count), the oldest pending one,
    and the uncertain ones listed (bot/outbox/health.py)."""
    items = ReminderOutbox.kind != DIGEST
    by_state = dict(ReminderOutbox.select(ReminderOutbox.state, fn.COUNT(ReminderOutbox.id)).where(items)
                    .group_by(ReminderOutbox.state).tuples())
    oldest = (ReminderOutbox.select(fn.MIN(ReminderOutbox.created_at))
              .where(items & (ReminderOutbox.state == "pending")).scalar())
    oldest = models.AwareDateTimeField().python_value(oldest)
    summary = outbox_health()
    rows = uncertain_rows(limit=UNCERTAIN_SHOWN)
    names = _names({row.recipient for row in rows})
    return {"counts": {state: by_state.get(state, 0) for state in OUTBOX_STATES},
            "oldest_pending": oldest, "oldest_pending_age": (now - oldest).total_seconds() if oldest else None,
            "uncertain_by_kind": summary["uncertain_by_kind"],
            "uncertain": [{"recipient": row.recipient, "name": names.get(row.recipient, ""), "kind": row.kind,
                           "since": row.since, "what": row.what} for row in rows]}


def _names(userids: set[str]) -> dict[str, str]:
    """Staff names of WeCom userids (members who never bound an account are shown by userid)."""
    if not userids:
        return {}
    return dict(models.Staff.select(models.Staff.wecom_userid, models.Staff.name)
                .where(models.Staff.wecom_userid.in_(userids)).tuples())


def _scheduler(now: datetime, config) -> dict:
    lease = models.SchedulerLease.get_or_none(models.SchedulerLease.name == LEASE)
    jobs = [{"name": job.name, "title": job.title, "enabled": enabled, "cron": cron, "next": upcoming,
             "last": last_run(job.name)} for job, enabled, cron, upcoming in next_runs(JOBS, config, now)]
    live = lease is not None and lease.holder != "" and lease.expires_at > now
    return {"holder": lease.holder if lease else "", "expires_at": lease.expires_at if lease else None,
            "live": live, "jobs": jobs}


def _tokens(now: datetime) -> list[dict]:
    """Key names and expiry only: the value column is never read."""
    rows = (models.TokenCache.select(models.TokenCache.key, models.TokenCache.expires_at,
                                     models.TokenCache.updated_at).order_by(models.TokenCache.key))
    return [{"key": row.key, "expires_at": row.expires_at, "updated_at": row.updated_at,
             "valid": row.expires_at > now, "expires_in": (row.expires_at - now).total_seconds()} for row in rows]
