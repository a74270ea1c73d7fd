"""One run of a scheduled job: plan, queue in short transactions, summarise for the admins, record.

The plan is written WRITE_CHUNK items a transaction (bot/outbox/runs.py), so a 10,000-client sweep never holds
SQLite's single writer for long; the admins' summary is counted afterwards from the rows tagged with the run,
and written with the run's completion in one transaction. A run that crashed part-way is finished from the
rows it wrote: by the same job's next run that day (which continues it), by the job's next run on a later
day, or by the leader on start-up when no run is about to be made up (Scheduler._lead).
"""
from __future__ import annotations

import logging
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from datetime import date, datetime
from typing import TYPE_CHECKING, AsyncContextManager, Callable

import models
from bot.context import Context
from bot.outbox import runs, store
from bot.outbox.engine import Item, Outbox, SendReport

if TYPE_CHECKING:
    from bot.scheduler import Job

log = logging.getLogger(__name__)


@dataclass
class RunReport:
    job: str
    found: int = 0        # due reminders found, including ones already sent earlier
    new: int = 0          # queued by this run
    unassigned: int = 0   # no bound staff member to send to
    previews: list[tuple[str, dict]] = field(default_factory=list)  # dry run: (recipient, message)
    sending: SendReport | None = None


def _admins() -> list[tuple[str, str]]:
    query = (models.Staff.select(models.Staff.wecom_userid, models.Staff.name)
             .where(models.Staff.role.in_(["admin", "super_admin"]) & models.Staff.active
                    & models.Staff.wecom_userid.is_null(False)).order_by(models.Staff.id))
    return list(query.tuples())


SUMMARY_STAFF = 30  # members named in the admins' summary (the rest are counted): 2,048 bytes hold about 60


def _summary_items(job: Job, ctx: Context, day: date, counts: list[tuple[str, str, int]], found: int,
                   unassigned: int, admins: list[tuple[str, str]]) -> list[Item]:
    """The admins' summary of a run's new staff reminders: `counts` is (member, name, new items) per member."""
    if not ctx.config.jobs.admin_summary or not counts:
        return []
    ranked = sorted(counts, key=lambda member: -member[2])  # the most first; stable, so ties keep their order
    shown, rest = ranked[:SUMMARY_STAFF], ranked[SUMMARY_STAFF:]
    data = {"job_title": job.title, "new": sum(count for _, _, count in counts), "total": found + unassigned,
            "unassigned": unassigned, "staff": [{"name": name, "count": count} for _, name, count in shown],
            "staff_more": len(rest), "staff_more_count": sum(count for _, _, count in rest), "date": day.isoformat()}
    return [Item(f"{job.name}.summary", day.isoformat(), userid, None, {**data, "recipient_name": name})
            for userid, name in admins]


def _counts(new: list[Item]) -> list[tuple[str, str, int]]:
    """staff_counts for items not written (a dry run)."""
    names = {i.recipient: i.data.get("recipient_name") or i.recipient for i in new}
    return [(userid, names[userid], count) for userid, count in Counter(i.recipient for i in new).most_common()]


def _previews(outbox: Outbox, items: list[Item]) -> list[tuple[str, dict]]:
    groups: dict[tuple[str, str], list[dict]] = {}
    for n, item in enumerate(items):
        groups.setdefault((item.recipient, item.kind), []).append({**item.data, "id": n,
                                                                   "client_id": item.client_id})
    return [(recipient, outbox.render(kind, store.order_items(rows))) for (recipient, kind), rows in groups.items()]


async def _dry_run(job: Job, ctx: Context, outbox: Outbox, items: list[Item], report: RunReport,
                   admins: list[tuple[str, str]]) -> RunReport:
    known = await ctx.db.run(store.existing_keys, [i.dedupe_key for i in items])
    new = [i for i in items if i.dedupe_key not in known]
    staff_new = [i for i in new if i.kind == job.name]
    summaries = _summary_items(job, ctx, ctx.today(), _counts(staff_new), report.found, report.unassigned, admins)
    sent_before = await ctx.db.run(store.existing_keys, [s.dedupe_key for s in summaries])
    summaries = [s for s in summaries if s.dedupe_key not in sent_before]
    report.new, report.previews = len(staff_new), _previews(outbox, new + summaries)
    return report


async def run_job(job: Job, ctx: Context, outbox: Outbox, dry_run: bool = False, send: bool = True,
                  hold: Callable[[], AsyncContextManager] = nullcontext) -> RunReport:
    """Plan, queue (or, dry, only show) and send one run of `job`; the clock is ctx.clock. The plan is written
    inside ``hold()``: the scheduler pauses its sender, so no digest is made of half a plan."""
    started = ctx.clock()
    planned = await job.plan(ctx)
    items = [i for i in planned if i.recipient]
    report = RunReport(job.name, found=sum(i.kind == job.name for i in items),
                       unassigned=len(planned) - len(items))
    admins = await ctx.db.run(_admins)
    if dry_run:
        return await _dry_run(job, ctx, outbox, items, report, admins)
    today = ctx.today()
    key = runs.run_key(job.name, today)
    async with hold():
        await finish_open_runs(job, ctx, admins, but=key)  # an earlier day's run that crashed part-way
        await ctx.db.run(runs.begin, key, job.name, today, report.found, report.unassigned, started)
        new = await outbox.enqueue_run(items, key, runs.WRITE_CHUNK)
        unique = {i.dedupe_key: i for i in items}.values()
        report.new = sum(i.kind == job.name and i.dedupe_key in new for i in unique)
        await _finish(job, ctx, key, admins, partial(_record_run, job.name, started, report.found, report.new,
                                                      report.unassigned))
    if send:
        report.sending = await outbox.send_due()
    return report


async def _finish(job: Job, ctx: Context, key: str, admins: list[tuple[str, str]],
                  record: Callable[[], None]) -> bool:
    """Summarise what run `key` wrote (read beside the writer), then complete it in one short transaction."""
    run = await ctx.db.read(runs.get, key)
    counts = await ctx.db.read(runs.staff_counts, key, job.name)
    now = ctx.clock()
    summaries = _summary_items(job, ctx, run.day, counts, run.found, run.unassigned, admins)
    return await ctx.db.run(runs.finish, key, [s.row(now, key) for s in summaries], now, record)


async def finish_open_runs(job: Job, ctx: Context, admins: list[tuple[str, str]] | None = None,
                           but: str | None = None) -> int:
    """Finish `job`'s runs that crashed part-way (except run `but`): the admins get the summary of the items
    each one wrote. Returns how many were finished."""
    if admins is None:
        admins = await ctx.db.run(_admins)
    finished = 0
    for run in await ctx.db.read(runs.open_runs, job.name):
        if run.key == but:
            continue
        counts = await ctx.db.read(runs.staff_counts, run.key, job.name)
        new = sum(count for _, _, count in counts)
        record = partial(_record_run, job.name, run.started_at, run.found, new, run.unassigned, True)
        if await _finish(job, ctx, run.key, admins, record):
            finished += 1
            log.warning("job %s: the run of %s stopped part-way; finished with the %d reminders it queued",
                        job.name, run.day.isoformat(), new)
    return finished


def _record_run(name: str, started: datetime, found: int, new: int, unassigned: int,
                recovered: bool = False) -> None:
    after = {"found": found, "new": new, "unassigned": unassigned, **({"recovered": True} if recovered else {})}
    models.AuditLog.create(at=started, actor=None, actor_label="system", action="job_run", entity="Job",
                           entity_id=name, after=after)


def last_run(name: str) -> datetime | None:
    """When job `name` last completed a run (None if never)."""
    return (models.AuditLog.select(models.AuditLog.at)
            .where((models.AuditLog.action == "job_run") & (models.AuditLog.entity == "Job")
                   & (models.AuditLog.entity_id == name))
            .order_by(models.AuditLog.at.desc()).scalar())
