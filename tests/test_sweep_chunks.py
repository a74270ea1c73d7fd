"""A reminder sweep in short pieces (issue 10, item 4): the same reminders as planned in one go, background
runs that give the database to callbacks first, and no member's digest made out of half a plan.
The latency figures themselves: bench/sweep_latency.py (timing stays out of tests)."""
from __future__ import annotations

import asyncio
import functools
import threading
from datetime import timedelta

import pytest

import bot.db
import models
from bot.config.settings import DatabaseConfig
from bot.db import Database
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


async def test_a_run_reaches_each_member_as_one_digest_while_the_sender_runs(rt):
    """The sender runs while the job writes its plan (one transaction): it is paused until the plan is in."""
    await rt.db(_busy_agency)
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
