"""The scheduler: cron as crontab reads it, missed runs made up once, one leader, the app's cleanup_ctx."""
import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp.test_utils import TestServer

import models
from bot.app import create_app
from bot.config.jobs import cron_trigger
from bot.config.settings import ConfigError, load_config
from bot.db import Database
from bot.scheduler import SCHEDULER, Job, Scheduler, first_fire
from handlers.filings.rules import deadline_in
from tests.conftest import make_config
from tests.reminder_helpers import SHANGHAI, Clock, start_runtime

# ---- cron and configuration -------------------------------------------------------------------------------

def test_weekday_numbers_mean_what_crontab_says():
    after = datetime(2026, 11, 14, 12, 0, tzinfo=SHANGHAI)  # a Saturday
    weekdays = cron_trigger("37 9 * * 1-5", SHANGHAI)
    assert weekdays.get_next_fire_time(None, after) == datetime(2026, 11, 16, 9, 37, tzinfo=SHANGHAI)  # Monday
    sunday = cron_trigger("0 8 * * 0", SHANGHAI)
    assert sunday.get_next_fire_time(None, after).date().isoformat() == "2026-11-15"
    assert cron_trigger("0 8 * * 7", SHANGHAI).get_next_fire_time(None, after).weekday() == 6


def test_bad_jobs_settings_stop_start_up_with_the_key(tmp_path):
    for text, key in (('jobs:\n  arrears:\n    cron: "61 9 * * *"\n', "jobs.arrears.cron"),
                      ("jobs:\n  per_minute_cap: 30\n", "jobs.per_minute_cap"),
                      ('jobs:\n  quiet_hours: "9pm"\n', "jobs.quiet_hours"),
                      ("jobs:\n  service_expiry:\n    recipients: [boss]\n", "jobs.service_expiry.recipients"),
                      ('jobs:\n  filing_deadline:\n    extensions: {"2026-02": 24}\n',
                       "jobs.filing_deadline.extensions: moved to filings.overrides"),
                      ("jobs:\n  in_flight_timeout: 1800\n", "jobs.in_flight_timeout"),
                      ("jobs:\n  arrears:\n    colour: red\n", "jobs.arrears.colour")):
        path = tmp_path / "c.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            load_config(path, env={}, require_wecom=False)


def test_the_shipped_config_lists_every_job_setting():
    config = load_config(env={}, require_wecom=False)
    assert config.jobs.per_minute_cap == 20 and config.jobs.per_hour_cap == 800
    assert deadline_in("2026-11", config.filings).isoformat() == "2026-11-16"
    from handlers import JOBS
    assert {job.name for job in JOBS} == {"service_expiry", "missing_invoices", "arrears", "filing_deadline"}
    assert all(config.jobs.job(job.name) is not None for job in JOBS)


# ---- missed runs ---------------------------------------------------------------------------------------------

def test_first_fire_makes_up_a_missed_run_within_the_grace():
    trigger = cron_trigger("17 9 * * *", SHANGHAI)
    now = datetime(2026, 11, 12, 11, 0, tzinfo=SHANGHAI)
    yesterday = datetime(2026, 11, 11, 9, 17, 5, tzinfo=SHANGHAI)
    today_run = datetime(2026, 11, 12, 9, 17, tzinfo=SHANGHAI)
    assert first_fire(trigger, yesterday, now, 43200) == today_run           # missed this morning: now
    assert first_fire(trigger, today_run + timedelta(seconds=3), now, 43200) > now  # done: tomorrow
    assert first_fire(trigger, yesterday, now, 600) > now                    # too old to make up
    assert first_fire(trigger, None, now, 43200) == today_run                # never ran: once now


class Counting:
    """A job that records its runs."""

    def __init__(self):
        self.runs = 0

    async def __call__(self, ctx):
        self.runs += 1
        return []


def _record_run(name: str, at: datetime) -> None:
    models.AuditLog.create(at=at, actor_label="system", action="job_run", entity="Job", entity_id=name)


async def test_missed_runs_run_once_on_start_up(db_url, fake_server):
    now = datetime.now(timezone.utc).astimezone(SHANGHAI)
    hour_ago = now - timedelta(minutes=70)
    missed_many, done, never = Counting(), Counting(), Counting()
    jobs = [Job("every_minute_last_hour", missed_many, "测试", cron=f"* {hour_ago.hour} * * *"),
            Job("already_done_today", done, "测试", cron=f"{hour_ago.minute} {hour_ago.hour} * * *"),
            Job("never_ran", never, "测试", cron=f"{hour_ago.minute} {hour_ago.hour} * * *")]
    rt = await start_runtime(db_url, fake_server, Clock(now), jobs=jobs, lease_ttl=2)
    scheduler = Scheduler(jobs, rt.ctx, rt.outbox)
    try:
        await rt.db(_record_run, "every_minute_last_hour", now - timedelta(hours=3))
        await rt.db(_record_run, "already_done_today", now - timedelta(minutes=5))
        await scheduler.start()
        for _ in range(100):
            if scheduler.leader and missed_many.runs and never.runs:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        assert (missed_many.runs, done.runs, never.runs) == (1, 0, 1)  # sixty missed runs coalesce into one
        runs = await rt.db(lambda: models.AuditLog.select().where(models.AuditLog.action == "job_run").count())
        assert runs == 4
    finally:
        await scheduler.stop()
        await rt.close()


# ---- one leader -------------------------------------------------------------------------------------------

async def test_one_leader_and_takeover_when_it_stops(db_url, fake_server):
    rt = await start_runtime(db_url, fake_server, Clock(datetime.now(timezone.utc)), jobs=[], lease_ttl=2)
    first, second = Scheduler([], rt.ctx, rt.outbox, holder="first"), Scheduler([], rt.ctx, rt.outbox, holder="second")
    try:
        await first.start()
        await asyncio.sleep(0.2)
        await second.start()
        await asyncio.sleep(1.0)
        assert (first.leader, second.leader) == (True, False)
        await first.stop()  # a clean stop releases the lease: no need to wait for it to expire
        for _ in range(60):
            if second.leader:
                break
            await asyncio.sleep(0.1)
        assert second.leader and not first.leader
        holder = await rt.db(lambda: models.SchedulerLease.get_by_id("scheduler").holder)
        assert holder == "second"
    finally:
        await second.stop()
        await rt.close()


async def test_the_app_runs_the_scheduler_only_when_enabled(db_url, fake_server):
    fake, api_base = fake_server
    for enabled in (False, True):
        config = make_config(db_url, api_base).replace(jobs={"enabled": enabled, "lease_ttl": 2})
        app = create_app(config)
        server = TestServer(app)
        await server.start_server()
        try:
            await asyncio.sleep(0.3)
            assert (SCHEDULER in app) is enabled
            if enabled:
                assert app[SCHEDULER].leader
        finally:
            await server.close()
        if enabled:
            db = Database(config.database)
            lease = await db.run(models.SchedulerLease.get_by_id, "scheduler")
            db.close()
            assert lease.expires_at <= datetime.now(timezone.utc)  # given up on shutdown


async def test_stopping_lets_a_run_in_progress_finish(db_url, fake_server, caplog):
    """A server stopped while a job runs (a missed run made up at start-up, say) waits for it, within
    server.shutdown_timeout, instead of cancelling it mid-plan with a CancelledError traceback in the log."""
    started, release = asyncio.Event(), asyncio.Event()

    class Slow:
        finished = False

        async def __call__(self, ctx):
            started.set()
            await release.wait()
            Slow.finished = True
            return []

    job = Job("slow", Slow(), "测试")
    rt = await start_runtime(db_url, fake_server, Clock(datetime.now(timezone.utc)), jobs=[job], lease_ttl=2)
    scheduler = Scheduler([job], rt.ctx, rt.outbox)
    try:
        await scheduler.start()
        for _ in range(100):
            if scheduler.leader:
                break
            await asyncio.sleep(0.05)
        firing = asyncio.create_task(scheduler._aps.get_job("slow").func("slow"))
        await asyncio.wait_for(started.wait(), 5)
        stopping = asyncio.create_task(scheduler.stop())
        await asyncio.sleep(0.3)
        assert not stopping.done()  # waiting for the run
        release.set()
        await asyncio.wait_for(stopping, 10)
        report = await firing
        assert Slow.finished and report is not None and report.found == 0
        assert "CancelledError" not in caplog.text and "Traceback" not in caplog.text
    finally:
        release.set()
        await rt.close()
