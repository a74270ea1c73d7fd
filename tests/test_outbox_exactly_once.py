"""Exactly once on our side: scripted WeCom faults and crashes. Every reminder reaches its member once, or is
reported uncertain; never twice, whatever WeCom answers and whenever the process dies."""
import asyncio
from collections import Counter
from datetime import timedelta

import pytest

import models
from bot.outbox import health
from bot.outbox.digest import DigestTemplates
from bot.outbox.engine import Item, Kind, Outbox
from bot.scheduler import run_job
from handlers.reminders.jobs import JOBS
from tests.factories import small_agency
from tests.reminder_helpers import THURSDAY, Clock, pushed, start_runtime

JOB = {job.name: job for job in JOBS}
ARREARS = DigestTemplates("reminders/arrears.md", "reminders/arrears.card.txt")
WINDOW = 14400  # WeCom's longest duplicate check, which every message/send asks for


def _item(key: str, recipient: str = "lixiaomei") -> Item:
    return Item("t0", key, recipient, None, {"client": f"客户{key}", "item": f"服务费#{key}", "periods": "2026-10",
                                           "outstanding_fen": 100, "overdue_days": 3, "recipient_name": "李小梅"})


async def _runtime(db_url, fake_server, clock: Clock, wecom: dict | None = None, **settings):
    rt = await start_runtime(db_url, fake_server, clock, jobs=[], wecom=wecom, **settings)
    rt.outbox = Outbox(rt.ctx.config, rt.ctx.db, rt.ctx.wecom, rt.ctx.texts, [Kind("t0", ARREARS, None, "测试")],
                       rt.clock, sleep=rt.clock.sleep)
    return rt


def _seen(fake, userid: str = "lixiaomei") -> Counter:
    """How often each reminder line reached the member."""
    return Counter(line.split("服务费#")[1].split()[0] for text in pushed(fake, userid)
                   for line in text.splitlines() if "服务费#" in line)


def _states(kind: str = "t0") -> dict:
    out = models.ReminderOutbox
    return Counter(state for (state,) in out.select(out.state).where(out.kind == kind).tuples())


async def _wait(predicate, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out waiting")


# ---- the API client's retries are part of the accounting -----------------------------------------------------

def _busy_after_delivery_then(fake, then: str) -> None:
    fake.inject("message/send", -1, after_delivery=True)  # WeCom delivered, then answered "system busy"
    if then == "45009":
        fake.inject("message/send", 45009, times=3)  # the client's whole retry budget
    elif then == "42001":
        fake.inject("message/send", 42001, times=2)  # the token refresh does not help either
    elif then == "502":
        fake.inject_status("message/send", 502)


@pytest.mark.parametrize("then", ["45009", "42001", "502"])
async def test_busy_after_delivery_then_refusals_arrives_once(db_url, fake_server, then):
    """-1 after delivery, then 45009/42001/502: the last answer is a refusal, but the first attempt may have
    arrived, so only an identical repeat inside the duplicate check may follow (and WeCom swallows it)."""
    rt = await _runtime(db_url, fake_server, Clock(THURSDAY))
    try:
        await rt.outbox.enqueue([_item("a"), _item("b")])
        _busy_after_delivery_then(rt.fake, then)
        first = await rt.outbox.send_due()
        await rt.clock.sleep(31)  # (the next round: released items would be due again by now)
        await rt.outbox.enqueue([_item("c")])  # a newer reminder: a digest of a, b and c would differ
        report = await rt.outbox.drain()
        assert _seen(rt.fake) == {"a": 1, "b": 1, "c": 1} and len(rt.fake.messages_for("lixiaomei")) == 2
        assert first.sent + report.sent == 3 and report.failed == report.uncertain == 0
        assert await rt.db(_states) == {"sent": 3}
        bodies = [c.body for c in rt.fake.calls_to("message/send")]
        repeats = [b for b in bodies if "服务费#a" in b["markdown"]["content"]]
        assert len(repeats) > 1 and all(b == repeats[0] for b in repeats)  # byte for byte
        assert all(b["enable_duplicate_check"] == 1 and b["duplicate_check_interval"] == WINDOW for b in bodies)
    finally:
        await rt.close()


async def test_a_timeout_after_delivery_arrives_once(db_url, fake_server):
    rt = await _runtime(db_url, fake_server, Clock(THURSDAY), wecom={"request_timeout": 0.3})
    try:
        await rt.outbox.enqueue([_item("a")])
        rt.fake.inject_stall("message/send", 1.0)  # delivered, but the answer never comes in time
        await rt.outbox.drain()
        assert _seen(rt.fake) == {"a": 1} and len(rt.fake.calls_to("message/send")) == 2
        assert await rt.db(_states) == {"sent": 1}
    finally:
        await rt.close()


async def test_unsure_answers_are_repeated_only_inside_the_duplicate_window(db_url, fake_server):
    """-1 after delivery, then 502s for hours: the repeats stop before WeCom's check ends; then uncertain."""
    rt = await _runtime(db_url, fake_server, Clock(THURSDAY), retry_base=3000, max_attempts=100)
    try:
        await rt.outbox.enqueue([_item("a"), _item("b")])
        rt.fake.inject("message/send", -1, after_delivery=True)
        rt.fake.inject_status("message/send", 502, times=1000)
        report = await rt.outbox.drain()
        calls = rt.fake.calls_to("message/send")
        assert len(calls) >= 3 and all(c.at < calls[0].at + WINDOW for c in calls)
        assert _seen(rt.fake) == {"a": 1, "b": 1}
        assert report.uncertain == 2 and await rt.db(_states) == {"uncertain": 2}
        assert await rt.db(health.uncertain_count) == 2
        listed = await rt.db(health.uncertain_rows)
        assert {row.what for row in listed} == {"客户a 服务费#a", "客户b 服务费#b"}
        assert all("502" in row.error for row in listed)
        rt.clock.set(THURSDAY + timedelta(days=1))
        assert (await rt.outbox.drain()).digests == 0 and len(rt.fake.calls_to("message/send")) == len(calls)
    finally:
        await rt.close()


# ---- a crash while a send is in flight, and a restart -----------------------------------------------------------

async def _crash_mid_send(db_url, fake_server, clock: Clock, delivered: bool) -> None:
    """A sender that dies (cancelled, nothing after the call recorded) while WeCom holds its request."""
    rt = await _runtime(db_url, fake_server, clock)
    try:
        await rt.outbox.enqueue([_item("a"), _item("b")])
        rt.fake.inject_stall("message/send", 0.5, after_delivery=delivered)
        sender = asyncio.create_task(rt.outbox.send_due())
        await _wait(lambda: rt.fake.calls_to("message/send"))
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
    finally:
        await rt.close()


@pytest.mark.parametrize("delivered", [True, False], ids=["delivered", "not-delivered"])
@pytest.mark.parametrize("restart_after", [timedelta(minutes=3), timedelta(hours=5)], ids=["soon", "after-window"])
async def test_a_crash_mid_send_then_a_restart(db_url, fake_server, delivered, restart_after):
    clock = Clock(THURSDAY)
    await _crash_mid_send(db_url, fake_server, clock, delivered)
    assert len(fake_server[0].messages_for("lixiaomei")) == (1 if delivered else 0)
    clock.set(THURSDAY + restart_after)
    rt = await _runtime(db_url, fake_server, clock)
    try:
        report = await rt.outbox.drain()
        if restart_after < timedelta(seconds=WINDOW):  # repeated identically: WeCom swallows it if it had it
            assert _seen(rt.fake) == {"a": 1, "b": 1} and await rt.db(_states) == {"sent": 2}
        else:  # too late for a safe repeat: reported, never sent blind
            assert _seen(rt.fake) == ({"a": 1, "b": 1} if delivered else {})
            assert report.uncertain == 2 and await rt.db(_states) == {"uncertain": 2}
            assert len(rt.fake.calls_to("message/send")) == 1
            assert "超出企业微信的重复消息检查时间" in (await rt.db(health.uncertain_rows))[0].error
    finally:
        await rt.close()


# ---- client pushes (add_msg_template): WeCom has no duplicate check ---------------------------------------------

async def _client_push_runtime(db_url, fake_server, clock: Clock):
    from bot.config.jobs import ArrearsJob
    rt = await start_runtime(db_url, fake_server, clock, arrears=ArrearsJob(client_push=True))
    await rt.db(lambda: small_agency(THURSDAY.date()))
    return rt


async def test_a_client_push_answered_busy_after_creation_is_uncertain_and_never_repeated(db_url, fake_server):
    rt = await _client_push_runtime(db_url, fake_server, Clock(THURSDAY))
    try:
        rt.fake.inject("externalcontact/add_msg_template", -1, after_delivery=True)
        await run_job(JOB["arrears"], rt.ctx, rt.outbox)
        await rt.outbox.drain()
        await run_job(JOB["arrears"], rt.ctx, rt.outbox)
        rt.clock.set(THURSDAY + timedelta(days=1))
        await rt.outbox.drain()
        assert len(rt.fake.msg_templates) == 1 and len(rt.fake.calls_to("add_msg_template")) == 1
        assert await rt.db(_states, "arrears.client") == {"uncertain": 1}
        assert len(rt.fake.messages_for("lixiaomei")) == 1  # the staff digest went as usual
        [row] = await rt.db(health.uncertain_rows)
        assert (row.kind, row.recipient) == ("arrears.client", "wmHuaxiaBoss")
    finally:
        await rt.close()


async def test_a_crash_mid_client_push_is_uncertain_after_the_restart(db_url, fake_server):
    clock = Clock(THURSDAY)
    rt = await _client_push_runtime(db_url, fake_server, clock)
    try:
        await run_job(JOB["arrears"], rt.ctx, rt.outbox, send=False)
        rt.fake.inject_stall("externalcontact/add_msg_template", 0.5)
        sender = asyncio.create_task(rt.outbox.drain())
        await _wait(lambda: rt.fake.calls_to("add_msg_template"))
        sender.cancel()  # killed while WeCom was creating the task
        await asyncio.gather(sender, return_exceptions=True)
    finally:
        await rt.close()
    clock.set(THURSDAY + timedelta(minutes=3))  # the in-flight time is over: a restarted sender looks at it
    rt = await start_runtime(db_url, fake_server, clock)
    try:
        await rt.outbox.drain()
        assert len(rt.fake.msg_templates) == 1 and len(rt.fake.calls_to("add_msg_template")) == 1
        assert await rt.db(_states, "arrears.client") == {"uncertain": 1}
    finally:
        await rt.close()


async def test_a_client_push_refused_before_creation_is_created_once_later(db_url, fake_server):
    rt = await _client_push_runtime(db_url, fake_server, Clock(THURSDAY))
    try:
        rt.fake.inject("externalcontact/add_msg_template", 45009, times=4)  # beyond the client's retries
        await run_job(JOB["arrears"], rt.ctx, rt.outbox)
        await rt.outbox.drain()
        assert len(rt.fake.msg_templates) == 1 and await rt.db(_states, "arrears.client") == {"sent": 1}
    finally:
        await rt.close()


# ---- a job run's plan: written in chunks, summarised from what it wrote ------------------------------------

async def test_a_crash_between_the_staff_reminders_and_the_summary_loses_neither(db_url, fake_server, monkeypatch):
    """(Crashes after any chunk of a plan: tests/test_sweep_chunks.py.)"""
    rt = await start_runtime(db_url, fake_server, Clock(THURSDAY))
    try:
        await rt.db(lambda: small_agency(THURSDAY.date()))

        def crash(*args):
            raise RuntimeError("killed while writing the plan")
        with monkeypatch.context() as patch:
            patch.setattr("bot.jobruns._summary_items", crash)
            with pytest.raises(RuntimeError):
                await run_job(JOB["arrears"], rt.ctx, rt.outbox)
        assert await rt.db(lambda: models.ReminderOutbox.select().where(
            models.ReminderOutbox.kind == "arrears.summary").count()) == 0  # the run is open, not summarised
        report = await run_job(JOB["arrears"], rt.ctx, rt.outbox)
        assert report.new == 0  # the reminder went in before the crash …
        assert len(rt.fake.messages_for("lixiaomei")) == 1 and len(rt.fake.messages_for("admin")) == 1
        assert "催款" in pushed(rt.fake, "admin")[0] and "本次新发出 1 条提醒" in pushed(rt.fake, "admin")[0]
    finally:
        await rt.close()
