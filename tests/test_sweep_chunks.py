"""A reminder sweep in short pieces (issue 10, item 4): the same reminders as planned in one go, background
runs that give the database to callbacks first, no member's digest made out of half a plan, and a plan
written in chunks that a crash after any chunk cannot make lose the admins' summary nor send anything twice.
The latency figures themselves: bench/sweep_latency.py (timing stays out of tests)."""
from __future__ import annotations

import asyncio
import functools
import threading
from collections import Counter
from datetime import timedelta

import pytest

import bot.db
import models
from bot.config.settings import DatabaseConfig
from bot.db import Database
from bot.jobruns import run_job
from bot.outbox import runs, store
from bot.scheduler import Scheduler
from handlers.billing import reminders as billing
from handlers.filings import reminders as filings
from handlers.intake import reminders as intake
from handlers.reminders import digest
from handlers.reminders.jobs import JOBS
from handlers.services import reminders as services
from tests.factories import small_agency
from tests.reminder_helpers import THURSDAY, Clock, pushed, start_runtime

TODAY = THURSDAY.date()
JOB = {job.name: job for job in JOBS}


def _busy_agency(n: int = 23) -> None:
    """small_agency plus `n` clients of 李小梅 and 王刚, each with something due for every job."""
    people = small_agency(TODAY)
    for i in range(n):
        client = models.Client.create(name=f"测试客户{i:02d}有限公司", short_name=f"客户{i:02d}", taxpayer_type="small",
                                      manager=people["li"], accountant=people["wang"])
        models.Service.create(client=client, kind="bookkeeping", name="代理记账", fee_fen=120000,
                              start_date=TODAY - timedelta(days=300), end_date=TODAY + timedelta(days=i % 30))
        models.Receivable.create(client=client, item="代理记账费", period_start="2026-10", period_end="2026-10",
                                 amount_fen=30000, due_date=TODAY - timedelta(days=1 + i), status="open")
        models.TaxFiling.create(client=client, period="2026-10", tax="vat", cycle="monthly", status="pending",
                                amount_fen=0)
        if i % 3 == 0:
            models.MissingInvoiceFlag.create(client=client, period="2026-10", note="缺进项发票")


@pytest.fixture
async def rt(db_url, fake_server):
    runtime = await start_runtime(db_url, fake_server, Clock(THURSDAY))
    yield runtime
    await runtime.close()


async def test_every_job_plans_the_same_reminders_in_pieces_as_in_one_go(rt, monkeypatch):
    await rt.db(_busy_agency)
    jobs = rt.ctx.config.jobs
    whole = {
        "service_expiry": await rt.db(services.plan, TODAY, jobs.service_expiry),
        "missing_invoices": await rt.db(intake.plan, TODAY, jobs.missing_invoices),
        "arrears": await rt.db(billing.plan, TODAY, jobs.arrears),
        "filing_deadline": await rt.db(functools.partial(filings.plan, base_url=rt.ctx.config.base_url), TODAY,
                                       jobs.filing_deadline, rt.ctx.config.filings),
    }
    monkeypatch.setattr(digest, "CLIENTS_PER_PIECE", 4)  # 26 clients: seven pieces, the last one open-ended
    monkeypatch.setattr(bot.db, "SLICE", 0)              # every piece its own database trip
    assert len(await rt.db(digest.client_ranges)) == 7
    for name, items in whole.items():
        pieces = await JOB[name].plan(rt.ctx)
        assert len(items) >= 8, name
        assert sorted((i.dedupe_key, i.recipient, repr(i.data)) for i in pieces) == \
            sorted((i.dedupe_key, i.recipient, repr(i.data)) for i in items), name


async def test_a_background_run_waits_for_the_foreground_ones(db_url, database, monkeypatch):
    monkeypatch.setattr(bot.db, "MAX_YIELD", 30.0)  # only the foreground run's end lets it go, however slow
    db = Database(DatabaseConfig(url=db_url, threads=1))
    release, order = threading.Event(), []

    def callback():
        release.wait(10)
        order.append("callback")

    def sweep_piece():
        order.append("sweep")

    foreground = asyncio.ensure_future(db.run(callback))
    await asyncio.sleep(0.05)
    background = asyncio.ensure_future(db.background().run(sweep_piece))
    for _ in range(10):
        await asyncio.sleep(0.01)
    assert order == [] and not background.done()  # not started, nor queued ahead of the callback
    second = asyncio.ensure_future(db.run(order.append, "second callback"))  # arrives meanwhile: goes first
    release.set()
    await asyncio.gather(foreground, background, second)
    assert order == ["callback", "second callback", "sweep"]
    db.close()


async def test_sliced_runs_return_every_piece_in_order(db_url, database, monkeypatch):
    monkeypatch.setattr(bot.db, "SLICE", 0)
    db = Database(DatabaseConfig(url=db_url))
    trips = []

    def square(n: int) -> int:
        trips.append(threading.get_ident())
        return n * n
    assert await db.background().read_sliced(square, list(range(7))) == [n * n for n in range(7)]
    assert await db.run_sliced(square, [3, 4]) == [9, 16]
    assert len(trips) == 9
    db.close()


async def test_a_run_reaches_each_member_as_one_digest_while_the_sender_runs(rt, monkeypatch):
    """The sender runs while the job writes its plan (in chunks): it is paused until the whole plan is in."""
    await rt.db(_busy_agency)
    monkeypatch.setattr(runs, "WRITE_CHUNK", 4)  # the 24 reminders in six transactions
    scheduler = Scheduler(JOBS, rt.ctx, rt.outbox)
    scheduler.leader = True
    scheduler._start_sender()
    try:
        report = await scheduler.fire("arrears")
        assert report.new == 24  # 23 clients and 华夏科技, all managed by 李小梅
        for _ in range(200):
            if pushed(rt.fake, "lixiaomei") and pushed(rt.fake, "admin"):
                break
            await asyncio.sleep(0.02)
        [digest_text] = pushed(rt.fake, "lixiaomei")  # one message with all 24, not one per chunk written
        assert "催款提醒" in digest_text
    finally:
        scheduler._sender_stop.set()
        await asyncio.wait({scheduler._sender_task}, timeout=5)


# ---- a plan written in chunks, and crashes between them --------------------------------------------------------

CHUNK, STAFF_ITEMS = 4, 24  # arrears on the busy agency: 24 reminders for 李小梅 (six chunks of four)


def _crash_after(patch, chunks: int) -> None:
    """The plan writer dies after `chunks` chunks were committed (as a killed process would)."""
    real, done = store.insert_items, []

    def insert_items(rows):
        if len(done) == chunks:
            raise RuntimeError("killed while writing the plan")
        done.append(rows)
        return real(rows)
    patch.setattr(store, "insert_items", insert_items)


def _crash_summarising(patch) -> None:
    def crash(*args):
        raise RuntimeError("killed while counting the summary")
    patch.setattr("bot.jobruns._summary_items", crash)


def _arrears_delivered() -> Counter:
    """How many times each of 李小梅's arrears reminders was delivered to her (by the digests' WeCom msgids)."""
    row = models.ReminderOutbox
    digests = {r.wecom_msgid for r in row.select().where((row.kind == "digest") & (row.state == "sent")
                                                         & (row.recipient_userid == "lixiaomei"))}
    items = row.select().where((row.kind == "arrears") & (row.recipient_userid == "lixiaomei"))
    return Counter(i.dedupe_key for i in items if i.state == "sent" and i.wecom_msgid in digests)


async def _crashed_run(rt, monkeypatch, crash_at) -> int:
    """Run arrears with the writer dying at `crash_at` (chunks committed, or "summary"); let the sender push
    what got in; returns how many of the 24 reminders the crashed run wrote."""
    await rt.db(_busy_agency)
    monkeypatch.setattr(runs, "WRITE_CHUNK", CHUNK)
    with monkeypatch.context() as patch:
        _crash_summarising(patch) if crash_at == "summary" else _crash_after(patch, crash_at)
        with pytest.raises(RuntimeError):
            await run_job(JOB["arrears"], rt.ctx, rt.outbox, send=False)
    await rt.outbox.drain()  # the sender (e.g. the restarted leader's) pushes what got in meanwhile
    written = await rt.db(lambda: models.ReminderOutbox.select().where(models.ReminderOutbox.kind == "arrears").count())
    assert written == (STAFF_ITEMS if crash_at == "summary" else min(crash_at * CHUNK, STAFF_ITEMS))
    assert pushed(rt.fake, "admin") == []  # no summary yet: the run is still open
    return written


@pytest.mark.parametrize("crash_at", [0, 1, 5, "summary"])
async def test_a_run_that_crashed_part_way_is_continued_that_day_and_the_admins_hear_of_every_reminder_once(
        rt, monkeypatch, crash_at):
    written = await _crashed_run(rt, monkeypatch, crash_at)
    report = await run_job(JOB["arrears"], rt.ctx, rt.outbox)  # the run made up on restart, the same day
    assert report.new == STAFF_ITEMS - written
    await rt.outbox.drain()
    delivered = await rt.db(_arrears_delivered)
    assert len(delivered) == STAFF_ITEMS and set(delivered.values()) == {1}  # every reminder, once
    assert len(pushed(rt.fake, "lixiaomei")) == (2 if 0 < written < STAFF_ITEMS else 1)
    [summary] = pushed(rt.fake, "admin")  # one summary, of the whole run: both attempts' reminders
    assert f"本次新发出 {STAFF_ITEMS} 条提醒" in summary and f"李小梅：{STAFF_ITEMS} 条" in summary
    assert await run_job(JOB["arrears"], rt.ctx, rt.outbox) and pushed(rt.fake, "admin") == [summary]


async def test_a_run_that_stopped_part_way_is_finished_by_the_next_leader_from_what_it_wrote(
        db_url, fake_server, monkeypatch):
    """No run is made up on start-up (the grace is over): the new leader sends the admins the summary of the
    eight reminders the crashed run wrote, and nothing it did not write."""
    runtime = await start_runtime(db_url, fake_server, Clock(THURSDAY), misfire_grace=0, lease_ttl=2)
    scheduler = Scheduler(JOBS, runtime.ctx, runtime.outbox)
    try:
        written = await _crashed_run(runtime, monkeypatch, 2)
        await scheduler.start()
        for _ in range(300):
            if pushed(runtime.fake, "admin"):
                break
            await asyncio.sleep(0.02)
        [summary] = pushed(runtime.fake, "admin")
        assert f"本次新发出 {written} 条提醒" in summary and f"李小梅：{written} 条" in summary
        delivered = await runtime.db(_arrears_delivered)
        assert len(delivered) == written == 8 and set(delivered.values()) == {1}
        assert len(pushed(runtime.fake, "lixiaomei")) == 1
        assert not await runtime.db(runs.open_runs, "arrears")
    finally:
        await scheduler.stop()
        await runtime.close()


async def test_a_run_that_stopped_part_way_is_finished_by_the_next_days_run(rt, monkeypatch):
    """Still open the next day (no server in between): that day's run first finishes it, so the admins hear of
    what Thursday's run wrote under Thursday, and of Friday's new reminders under Friday (one digest)."""
    written = await _crashed_run(rt, monkeypatch, 3)
    rt.clock.set(THURSDAY + timedelta(days=1))
    report = await run_job(JOB["arrears"], rt.ctx, rt.outbox)
    await rt.outbox.drain()
    [summary] = pushed(rt.fake, "admin")
    assert "2026-11-12：本次新发出 12 条提醒" in summary and written == 12
    assert f"2026-11-13：本次新发出 {report.new} 条提醒" in summary and report.new >= STAFF_ITEMS - written
    delivered = await rt.db(_arrears_delivered)
    assert set(delivered.values()) == {1} and len(delivered) == written + report.new
