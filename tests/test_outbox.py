"""The outbox: exactly once, within WeCom's caps, never at :00/:30 or in quiet hours, nothing lost on errors."""
from datetime import datetime, timedelta

import pytest
from peewee import fn

import models
from bot.outbox import review, sends, store
from bot.outbox.digest import MARKDOWN_LIMIT, DigestTemplates
from bot.outbox.engine import Item, Kind, Outbox
from bot.scheduler import run_job
from handlers.reminders.jobs import JOBS
from tests.factories import small_agency
from tests.reminder_helpers import SHANGHAI, THURSDAY, Clock, pushed, start_runtime

ARREARS = DigestTemplates("reminders/arrears.md", "reminders/arrears.card.txt")


def test_kinds(n: int) -> list[Kind]:
    """Independent kinds, so one member gets one digest per kind (to reach the caps)."""
    return [Kind(f"t{k}", ARREARS, None, "测试") for k in range(n)]


test_kinds.__test__ = False


def _item(kind: str, key: str, recipient: str = "lixiaomei", fen: int = 100) -> Item:
    """An item whose line names it: 服务费#<kind>-<key>."""
    return Item(kind, key, recipient, None, {"client": f"客户{key}", "item": f"服务费#{kind}-{key}", "periods": "2026-10",
                                             "outstanding_fen": fen, "overdue_days": 3, "recipient_name": "李小梅"})


def _rows(**where) -> dict:
    query = models.ReminderOutbox.select(models.ReminderOutbox.state, fn.COUNT(1))
    for key, value in where.items():
        query = query.where(getattr(models.ReminderOutbox, key) == value)
    return dict(query.group_by(models.ReminderOutbox.state).tuples())


@pytest.fixture
async def rt(db_url, fake_server):
    runtime = await start_runtime(db_url, fake_server, Clock(THURSDAY))
    yield runtime
    await runtime.close()


async def _with_kinds(db_url, fake_server, start: datetime, kinds: list[Kind], **settings):
    runtime = await start_runtime(db_url, fake_server, Clock(start), jobs=[], **settings)
    runtime.outbox = Outbox(runtime.ctx.config, runtime.ctx.db, runtime.ctx.wecom, runtime.ctx.texts, kinds,
                            runtime.clock, sleep=runtime.clock.sleep)
    return runtime


# ---- exactly once ------------------------------------------------------------------------------------------

async def test_running_a_job_twice_sends_nothing_twice(rt):
    def data():
        people = small_agency(THURSDAY.date())
        models.Receivable.create(client=people["huaxin"], item="工商服务费", period_start="2026-09",
                                 period_end="2026-09", amount_fen=50000, due_date=THURSDAY.date() - timedelta(days=3))
    await rt.db(data)
    arrears = next(job for job in JOBS if job.name == "arrears")
    first = await run_job(arrears, rt.ctx, rt.outbox)
    second = await run_job(arrears, rt.ctx, rt.outbox)
    assert (first.new, second.new, second.found) == (2, 0, 2)
    assert len(pushed(rt.fake, "lixiaomei")) == 1 and len(pushed(rt.fake, "admin")) == 1
    assert len(rt.fake.calls_to("message/send")) == 2


async def test_a_restarted_process_sends_what_was_left_pending(db_url, fake_server):
    first = await _with_kinds(db_url, fake_server, THURSDAY, test_kinds(1))
    await first.outbox.enqueue([_item("t0", str(n)) for n in range(3)])
    await first.close()  # "crashed" before sending anything
    second = await _with_kinds(db_url, fake_server, THURSDAY, test_kinds(1))
    try:
        report = await second.outbox.drain()
        assert (report.digests, report.sent) == (1, 3)
        [digest] = pushed(second.fake, "lixiaomei")
        assert all(f"服务费#t0-{n}" in digest for n in range(3))
    finally:
        await second.close()


async def test_unknown_outcome_is_repeated_identically_and_absorbed(db_url, fake_server):
    """A process that died after WeCom accepted the message: the repeat is the same bytes, so WeCom drops it."""
    rt = await _with_kinds(db_url, fake_server, THURSDAY, test_kinds(1), in_flight_timeout=60)
    try:
        await rt.outbox.enqueue([_item("t0", "a"), _item("t0", "b")])
        tick = await rt.db(store.plan_tick, rt.clock(), ["t0"], rt.outbox.limits, rt.outbox.render)
        [[digest_id]] = tick.plan.values()
        attempt = await rt.db(sends.begin_attempt, digest_id, rt.clock(), rt.outbox.limits, {}, rt.outbox.render)
        body = attempt.message["markdown"]
        await rt.ctx.wecom.send_markdown("lixiaomei", body["content"], duplicate_check=1800)  # then "crash"
        assert (await rt.outbox.send_due()).digests == 0  # still in flight: nobody touches it
        await rt.clock.sleep(61)
        # Meanwhile an item of it was paid: an identical repeat is still the only safe thing to send.
        report = await rt.outbox.drain()
        assert report.digests == 1 and report.sent == 2
        assert len(rt.fake.calls_to("message/send")) == 2 and len(rt.fake.messages_for("lixiaomei")) == 1
        sent = await rt.db(lambda: list(models.ReminderOutbox.select().where(models.ReminderOutbox.kind == "t0")))
        assert {r.state for r in sent} == {"sent"} and len({r.wecom_msgid for r in sent}) == 1
    finally:
        await rt.close()


async def test_a_re_check_read_before_another_attempt_is_not_used_for_the_repeat(db_url, fake_server):
    """The sender reads a digest's re-check beside the writer, then begins the send in a short transaction
    (bot/outbox/review.py). If another attempt came in between (here: one that died after sending), the stale
    re-check is dropped: the repeat is the stored message, byte for byte, and WeCom swallows it."""
    rt = await _with_kinds(db_url, fake_server, THURSDAY, test_kinds(1), in_flight_timeout=60)
    try:
        await rt.outbox.enqueue([_item("t0", "a"), _item("t0", "b")])
        tick = await rt.db(store.plan_tick, rt.clock(), ["t0"], rt.outbox.limits, rt.outbox.render)
        [[digest_id]] = tick.plan.values()
        ahead = await rt.db(review.review_ahead, digest_id, rt.clock(), {}, rt.outbox.render)
        first = await rt.db(sends.begin_attempt, digest_id, rt.clock(), rt.outbox.limits, {}, rt.outbox.render)
        await rt.ctx.wecom.send_markdown("lixiaomei", first.message["markdown"]["content"],
                                         duplicate_check=first.dup_window)  # … and that process died
        await rt.clock.sleep(61)
        attempts = await rt.db(sends.begin_attempts, [digest_id], rt.clock(), rt.outbox.limits, {},
                               rt.outbox.render, {digest_id: ahead})
        repeat = attempts[digest_id]
        assert repeat.action == "send" and repeat.message == first.message and repeat.dup_window == first.dup_window
        await rt.ctx.wecom.send_markdown("lixiaomei", repeat.message["markdown"]["content"],
                                         duplicate_check=repeat.dup_window)
        assert len(rt.fake.messages_for("lixiaomei")) == 1
    finally:
        await rt.close()


# ---- caps, minutes, quiet hours ---------------------------------------------------------------------------

def _max_in_window(times: list[float], seconds: float) -> int:
    times = sorted(times)
    return max((sum(1 for t in times if start <= t < start + seconds) for start in times), default=0)


async def test_no_member_gets_more_than_20_a_minute_or_anything_at_00_and_30(db_url, fake_server):
    start = datetime(2026, 11, 12, 9, 58, 50, tzinfo=SHANGHAI)
    rt = await _with_kinds(db_url, fake_server, start, test_kinds(50), avoid_minutes=(0, 30))
    try:
        await rt.outbox.enqueue([_item(f"t{k}", "x") for k in range(50)]
                                + [_item(f"t{k}", "y", recipient="wanggang") for k in range(5)])
        report = await rt.outbox.drain()
        assert report.digests == 55
        li = [m.at for m in rt.fake.messages_for("lixiaomei")]
        assert len(li) == 50 and not rt.fake.dropped
        assert _max_in_window(li, 60) == 20
        minutes = {datetime.fromtimestamp(at, SHANGHAI).minute for m in rt.fake.delivered for at in [m.at]}
        assert not minutes & {0, 30}
        assert len(rt.fake.messages_for("wanggang")) == 5  # one member's cap does not hold up the others
        assert min(li) < start.timestamp() + 10 and max(li) > start.timestamp() + 120
    finally:
        await rt.close()


async def test_hourly_cap(db_url, fake_server):
    rt = await _with_kinds(db_url, fake_server, THURSDAY, test_kinds(30), per_minute_cap=10, per_hour_cap=25)
    try:
        await rt.outbox.enqueue([_item(f"t{k}", "x") for k in range(30)])
        await rt.outbox.drain()
        times = [m.at for m in rt.fake.messages_for("lixiaomei")]
        assert len(times) == 30
        assert _max_in_window(times, 3600) == 25 and _max_in_window(times, 60) == 10
    finally:
        await rt.close()


async def test_quiet_hours_hold_pushes_until_morning(db_url, fake_server):
    evening = datetime(2026, 11, 12, 22, 15, tzinfo=SHANGHAI)
    rt = await _with_kinds(db_url, fake_server, evening, test_kinds(1), quiet_hours="21:00-08:00")
    try:
        await rt.outbox.enqueue([_item("t0", "a")])
        report = await rt.outbox.send_due()
        assert report.digests == 0 and rt.fake.calls_to("message/send") == []
        assert report.next_wake.astimezone(SHANGHAI).replace(second=0, microsecond=0) == \
            datetime(2026, 11, 13, 8, 0, tzinfo=SHANGHAI)
        await rt.outbox.drain()
        [message] = rt.fake.messages_for("lixiaomei")
        assert datetime.fromtimestamp(message.at, SHANGHAI).hour == 8
    finally:
        await rt.close()


# ---- errors ----------------------------------------------------------------------------------------------

async def test_a_45009_period_loses_nothing(db_url, fake_server):
    rt = await _with_kinds(db_url, fake_server, THURSDAY, test_kinds(3))
    try:
        items = [_item(f"t{k}", str(n), recipient=r) for k in range(3) for n in range(4)
                 for r in ("lixiaomei", "wanggang")]
        await rt.outbox.enqueue(items)
        rt.fake.inject("message/send", 45009, times=12)  # more than the client's own three retries
        first = await rt.outbox.send_due()
        assert first.digests < 6 and rt.outbox.paused_until is not None
        report = await rt.outbox.drain()
        assert first.sent + report.sent == 24 and first.failed + report.failed == 0
        for userid in ("lixiaomei", "wanggang"):
            text = "\n".join(pushed(rt.fake, userid))
            assert all(text.count(f"服务费#t{k}-{n}") == 1 for k in range(3) for n in range(4))
        assert await rt.db(lambda: _rows(kind="t0")) == {"sent": 8}
        failed_digests = await rt.db(lambda: _rows(kind="digest").get("failed", 0))
        assert failed_digests >= 1  # the refused attempts stay visible with their error
    finally:
        await rt.close()


async def test_system_busy_is_retried_with_the_same_message(db_url, fake_server):
    rt = await _with_kinds(db_url, fake_server, THURSDAY, test_kinds(1))
    try:
        await rt.outbox.enqueue([_item("t0", "a")])
        rt.fake.inject("message/send", -1, times=4)
        assert (await rt.outbox.send_due()).digests == 0
        digest = await rt.db(lambda: models.ReminderOutbox.get(models.ReminderOutbox.kind == "digest"))
        assert digest.state == "pending" and "-1" in digest.last_error and digest.attempts == 1
        await rt.outbox.drain()
        assert len(rt.fake.messages_for("lixiaomei")) == 1
        assert await rt.db(lambda: _rows(kind="digest")) == {"sent": 1}
    finally:
        await rt.close()


async def test_unknown_member_fails_visibly_without_holding_up_others(db_url, fake_server):
    rt = await _with_kinds(db_url, fake_server, THURSDAY, test_kinds(1))
    try:
        await rt.outbox.enqueue([_item("t0", "a", recipient="gone-member"), _item("t0", "b")])
        report = await rt.outbox.drain()
        assert (report.digests, report.failed) == (1, 1)
        failed = await rt.db(lambda: models.ReminderOutbox.get(models.ReminderOutbox.recipient_userid == "gone-member",
                                                               models.ReminderOutbox.kind == "t0"))
        assert failed.state == "failed" and "81013" in failed.last_error
        assert len(rt.fake.messages_for("lixiaomei")) == 1
    finally:
        await rt.close()


# ---- size limits -------------------------------------------------------------------------------------------

async def test_a_long_digest_is_cut_to_fit_and_counts_the_rest(db_url, fake_server):
    rt = await _with_kinds(db_url, fake_server, THURSDAY, test_kinds(1))
    try:
        await rt.outbox.enqueue([_item("t0", f"{n:03d}", fen=10000 + n) for n in range(120)])
        await rt.outbox.drain()
        [digest] = pushed(rt.fake, "lixiaomei")
        shown = digest.count("服务费#")
        assert len(digest.encode()) <= MARKDOWN_LIMIT and 10 < shown < 120
        assert f"…及另外 {120 - shown} 笔" in digest and "120 笔应收款" in digest
        assert "¥12,071.40" in digest  # the total covers every item, not only the ones shown
        assert "http://testserver/reminders" in digest
        assert await rt.db(lambda: _rows(kind="t0")) == {"sent": 120}
    finally:
        await rt.close()


async def test_textcard_digests_fit_wecom_limits(db_url, fake_server):
    rt = await _with_kinds(db_url, fake_server, THURSDAY, test_kinds(1), digest_format="textcard")
    try:
        await rt.outbox.enqueue([_item("t0", f"{n:03d}") for n in range(40)])
        await rt.outbox.drain()
        [message] = rt.fake.messages_for("lixiaomei")
        card = message.content
        assert message.msgtype == "textcard" and card["url"] == "http://testserver/reminders"
        assert card["title"] == "催款提醒：40 笔应收款已逾期"
        assert len(card["description"].encode()) <= 512 and "…及另外" in card["description"]
    finally:
        await rt.close()
