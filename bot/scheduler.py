"""APScheduler wiring: the jobs from the handlers' JOBS tables, fired by exactly one process.

Leader election (X11): every process with jobs.enabled runs a lease loop on the SchedulerLease row (an
atomic UPDATE … WHERE holder = me OR expired, so it works the same on PostgreSQL and SQLite). The holder
adds the cron jobs to its AsyncIOScheduler and runs the outbox sender; the others wait. A holder that dies
stops renewing, and another process takes over once the lease expires (jobs.lease_ttl).

Missed runs: on becoming leader each job's first run is computed from its last recorded run (an AuditLog
'job_run' row); a fire time missed while no server was up within jobs.misfire_grace is made up at once, and
coalesce=True folds several missed runs into one. Job runs are idempotent anyway (dedupe keys). A run that
stopped part-way (bot/jobruns.py) is continued by that made-up run, or else finished here from what it wrote.

Housekeeping: the leader also prunes the callback inbox every wecom.callback_inbox_prune_interval seconds
(rows older than wecom.callback_inbox_retention, a bounded batch per statement).
"""
from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from contextlib import asynccontextmanager
from typing import AsyncIterator, Awaitable, Callable

from aiohttp import web

import models
from bot import keys
from bot.config.jobs import cron_trigger
from bot.context import Context
from bot.edge import inbox
from bot.jobruns import RunReport, finish_open_runs, last_run, run_job
from bot.outbox.digest import DigestTemplates
from bot.outbox.engine import Item, Kind, Outbox
from bot.outbox.replies import REPLIES, ReplySender

log = logging.getLogger(__name__)

LEASE = "scheduler"
INBOX_CLEANUP = "_inbox_cleanup"  # the leader's housekeeping job; not a reminder, so not in any JOBS table


@dataclass(frozen=True)
class Job:
    """A scheduled job: `plan` finds today's reminders; the outbox words, re-checks and sends them."""
    name: str
    plan: Callable[[Context], Awaitable[list[Item]]]
    title: str
    recheck: Callable[[list[dict]], dict] | None = None
    cron: str = "17 9 * * *"  # used when config.jobs has no section named like the job
    client_recheck: Callable[[list[dict]], dict] | None = None  # set when the job can push to clients

    def settings(self, config) -> tuple[bool, str]:
        """(enabled, cron) from config.jobs.<name>, else this job's defaults."""
        section = config.jobs.job(self.name)
        return (section.enabled, section.cron) if section is not None else (True, self.cron)

    def kinds(self) -> list[Kind]:
        """The item kinds this job queues: its digest for staff, and the admins' summary."""
        own = DigestTemplates(f"reminders/{self.name}.md", f"reminders/{self.name}.card.txt")
        summary = DigestTemplates("reminders/summary.md", "reminders/summary.card.txt")
        kinds = [Kind(self.name, own, self.recheck, self.title, link=f"kind={self.name}"),
                 Kind(f"{self.name}.summary", summary, None, self.title)]
        if self.client_recheck is not None:  # add_msg_template tasks: one per customer, worded for the client
            client = DigestTemplates(f"reminders/client_{self.name}.txt", "")
            kinds.append(Kind(f"{self.name}.client", client, self.client_recheck, self.title, mode="template"))
        return kinds


def kinds_of(jobs: list[Job]) -> list[Kind]:
    return [kind for job in jobs for kind in job.kinds()]


def first_fire(trigger, last: datetime | None, now: datetime, grace: float) -> datetime | None:
    """The next run to schedule: a fire time missed since `last` (within `grace`), else the next one."""
    since = now - timedelta(seconds=grace)
    if last is not None and last > since:
        since = last + timedelta(microseconds=1)
    return trigger.get_next_fire_time(None, since)


def next_runs(jobs: list[Job], config, now: datetime) -> list[tuple[Job, bool, str, datetime | None]]:
    """(job, enabled, cron, next fire time by its cron after ``now``; None when disabled) for each job, computed
    without starting anything (the health page). A run missed while no leader was up is not predicted here."""
    tz = config.jobs.tz(config.agency.timezone)
    result = []
    for job in jobs:
        enabled, cron = job.settings(config)
        upcoming = cron_trigger(cron, tz).get_next_fire_time(None, now.astimezone(tz)) if enabled else None
        result.append((job, enabled, cron, upcoming))
    return result


# ---- the scheduler -----------------------------------------------------------------------------------------

class Scheduler:
    """One per process; fires jobs and runs the sender only while this process holds the lease."""

    def __init__(self, jobs: list[Job], ctx: Context, outbox: Outbox, holder: str | None = None):
        self.jobs = {job.name: job for job in jobs}
        self.ctx, self.outbox = ctx, outbox
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.tz = ctx.config.jobs.tz(ctx.config.agency.timezone)
        self.leader = False
        self._aps = None
        self._stop = asyncio.Event()
        self._sender_stop = asyncio.Event()
        self._lease_task: asyncio.Task | None = None
        self._sender_task: asyncio.Task | None = None
        self._firing: set[asyncio.Task] = set()  # job runs in progress (fire())

    async def start(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        jobs = self.ctx.config.jobs
        self._aps = AsyncIOScheduler(timezone=self.tz, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": max(jobs.misfire_grace, 1)})
        self._aps.start(paused=True)
        self._lease_task = asyncio.create_task(self._lease_loop(), name="scheduler-lease")

    async def stop(self) -> None:
        """Stop firing and sending, give the lease up (so another process takes over at once)."""
        self._stop.set()
        if self._lease_task is not None:
            self._lease_task.cancel()
            await asyncio.gather(self._lease_task, return_exceptions=True)
        was_leader = self.leader
        await self._step_down()
        if self._firing:  # a run in progress (a missed run made up at start-up, say) finishes rather than being
            # cancelled mid-plan by APScheduler's shutdown; one still going after the timeout is cancelled below
            await asyncio.wait(set(self._firing), timeout=self.ctx.config.server.shutdown_timeout)
        if self._sender_task is not None:  # let a send in progress finish and record its outcome
            done, _ = await asyncio.wait({self._sender_task}, timeout=self.ctx.config.server.shutdown_timeout)
            if not done:
                self._sender_task.cancel()
                await asyncio.gather(self._sender_task, return_exceptions=True)
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)
        if was_leader:
            try:
                await self.ctx.db.run(models.SchedulerLease.release, LEASE, self.holder)
            except Exception:  # noqa: BLE001 - the lease expires by itself
                log.warning("could not release the scheduler lease; it expires in %ss",
                            self.ctx.config.jobs.lease_ttl)

    async def _lease_loop(self) -> None:
        ttl = self.ctx.config.jobs.lease_ttl
        renewed = 0.0
        while not self._stop.is_set():
            try:
                held = await self.ctx.db.run(models.SchedulerLease.acquire, LEASE, self.holder, ttl)
                renewed = time.monotonic() if held else renewed
            except Exception:  # noqa: BLE001 - keep leading only while the lease surely has not expired
                log.exception("scheduler lease renewal failed")
                held = self.leader and time.monotonic() - renewed < ttl * 0.7
            if held and not self.leader:
                await self._lead()
            elif not held and self.leader:
                log.warning("scheduler lease lost; this process stops firing jobs")
                await self._step_down()
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=ttl / 3)
            except asyncio.TimeoutError:
                pass

    async def _lead(self) -> None:
        self.leader = True
        log.info("this process (%s) now runs the scheduled jobs", self.holder)
        now = datetime.now(self.tz)
        for job in self.jobs.values():
            enabled, cron = job.settings(self.ctx.config)
            if not enabled:
                await self._finish_open_runs(job)
                continue
            trigger = cron_trigger(cron, self.tz)
            last = await self.ctx.db.run(last_run, job.name)
            first = first_fire(trigger, last, now, self.ctx.config.jobs.misfire_grace)
            if first is None or first > now:  # no run made up now to continue one that stopped part-way
                await self._finish_open_runs(job)
            self._aps.add_job(self.fire, trigger, args=[job.name], id=job.name, name=job.title,
                              next_run_time=first, replace_existing=True)
        from apscheduler.triggers.interval import IntervalTrigger
        self._aps.add_job(self.prune_inbox, IntervalTrigger(
            seconds=self.ctx.config.wecom.callback_inbox_prune_interval, timezone=self.tz),
            id=INBOX_CLEANUP, name="清理回调收件箱", next_run_time=now, replace_existing=True)
        self._aps.resume()
        self._start_sender()

    async def _finish_open_runs(self, job: Job) -> None:
        try:
            await finish_open_runs(job, self.ctx)
        except Exception:  # noqa: BLE001 - the job's next run tries again
            log.exception("job %s: could not finish a run that stopped part-way", job.name)

    async def _step_down(self) -> None:
        if not self.leader:
            return
        self.leader = False
        self._aps.pause()
        self._aps.remove_all_jobs()
        self._sender_stop.set()

    def _start_sender(self) -> None:
        self._sender_stop = asyncio.Event()
        self._sender_task = asyncio.create_task(self.outbox.run(self._sender_stop), name="reminder-sender")

    @asynccontextmanager
    async def _sender_held(self) -> AsyncIterator[None]:
        """Pause the sender (its round in progress finishes and records its outcomes) while a run writes."""
        task = self._sender_task
        if task is None or task.done():
            yield
            return
        self._sender_stop.set()
        await asyncio.wait({task})
        try:
            yield
        finally:
            if self.leader and not self._stop.is_set() and self._sender_task is task:  # not restarted meanwhile
                self._start_sender()

    async def fire(self, name: str) -> RunReport | None:
        """One scheduled run of job `name` (errors are logged; the next run tries again)."""
        if not self.leader:
            return None
        task = asyncio.current_task()
        self._firing.add(task)
        try:
            report = await run_job(self.jobs[name], self.ctx, self.outbox, send=False, hold=self._sender_held)
        except Exception:  # noqa: BLE001 - a failing job must not stop the scheduler
            log.exception("job %s failed", name)
            return None
        finally:
            self._firing.discard(task)
        self.outbox.poke()
        log.info("job %s: %d due, %d new, %d without a recipient", name, report.found, report.new,
                 report.unassigned)
        return report


    async def prune_inbox(self) -> int:
        """Delete callback inbox rows past their retention, one bounded batch at a time; errors are logged."""
        wecom = self.ctx.config.wecom
        # models.utcnow(), the clock claim() stamps received_at with (not the jobs' injectable clock)
        before = models.utcnow() - timedelta(seconds=wecom.callback_inbox_retention)
        pruned = 0
        try:
            while self.leader and not self._stop.is_set():  # each batch is its own short transaction
                deleted = await self.ctx.db.run(inbox.prune, before, wecom.callback_inbox_prune_batch)
                pruned += deleted
                if deleted < wecom.callback_inbox_prune_batch:
                    break
        except Exception:  # noqa: BLE001 - the next run tries again
            log.exception("callback inbox cleanup failed")
        if pruned:
            log.info("callback inbox: %d rows received before %s deleted", pruned, before.isoformat())
        return pruned


SCHEDULER = web.AppKey("scheduler", Scheduler)


def scheduler_context(jobs: list[Job]):
    """A cleanup_ctx for the outbox's senders: late replies in every process (pending ones from before a
    restart too), and the scheduler when config.jobs.enabled; both stop before the database closes."""
    async def context(app: web.Application) -> AsyncIterator[None]:
        config = app[keys.CONFIG]
        replies = app[REPLIES] = ReplySender(config, app[keys.DB], app[keys.WECOM], app[keys.CLOCK])
        stop = asyncio.Event()
        reply_task = asyncio.create_task(replies.run(stop), name="reply-sender")
        if config.jobs.enabled:
            # Jobs and their sends reach the database in the background lane: their runs give way to callbacks'.
            ctx = Context(config=config, db=app[keys.DB].background(), wecom=app[keys.WECOM],
                          texts=app[keys.TEXTS], clock=app[keys.CLOCK], fonts=app.get(keys.FONTS))
            outbox = Outbox(config, ctx.db, ctx.wecom, ctx.texts, kinds_of(jobs), ctx.clock)
            app[SCHEDULER] = Scheduler(jobs, ctx, outbox)
            # What start-up loaded lives as long as the process: keep it out of the collector's full passes,
            # which a sweep's allocations trigger and which otherwise stall the loop ~100 ms (bench/sweep_latency.py).
            gc.freeze()
            await app[SCHEDULER].start()
        yield
        if config.jobs.enabled:
            await app[SCHEDULER].stop()
        stop.set()  # a reply being sent finishes; one cut off is picked up by the next start
        done, _ = await asyncio.wait({reply_task}, timeout=config.server.shutdown_timeout)
        if not done:
            reply_task.cancel()
            await asyncio.gather(reply_task, return_exceptions=True)
    return context
