"""Crash tests: the sender (`python -m bot jobs send`) killed with SIGKILL at random points, then restarted; and
a job run killed while writing its plan (in chunks), then run again.

Each sender trial queues a fresh sweep of 2,000 reminders (100 members × 20 overdue receivables, one digest
each), starts the sender in a child process against the fake WeCom served from this process, kills it after
a random delay, and starts it again to the end. Every reminder must arrive exactly once: a send that was in
flight when the process died is repeated byte for byte and WeCom's duplicate check absorbs it.
"""
import asyncio
import random
import re
import signal
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
from peewee import fn

import models
from bot.outbox import store as outbox_store
from tests.reminder_helpers import SHANGHAI, bot_command, child_env, pushed, write_config

pytestmark = pytest.mark.real_clock  # child processes keep the real clock (tests/conftest.py)

MEMBERS, PER_MEMBER, TRIALS = 100, 20, 20
ITEM = re.compile(r"R\d\d-\d{4}")


def _agency(fake) -> dict[str, int]:
    """100 bound members, each managing one client with 20 overdue receivables (ids by member)."""
    receivables: dict[str, list[int]] = {}
    for n in range(MEMBERS):
        userid = f"u{n:03d}"
        fake.add_member({"userid": userid, "name": f"员工{n}", "department": [1]})
        staff = models.Staff.create(name=f"员工{n}", wecom_userid=userid)
        client = models.Client.create(name=f"测试客户{n:03d}有限公司", short_name=f"C{n}", manager=staff)
        rows = [{"client": client.id, "item": "服务费", "period_start": "2026-10", "period_end": "2026-10",
                 "amount_fen": 100, "due_date": date(2026, 11, 1), "status": "open"} for _ in range(PER_MEMBER)]
        models.Receivable.insert_many(rows).execute()
        receivables[userid] = [r.id for r in models.Receivable.select().where(models.Receivable.client == client)]
    return receivables


def _sweep(trial: int, receivables: dict[str, list[int]]) -> list[str]:
    """Queue 2,000 arrears items whose lines name them R<trial>-<n>; returns those names."""
    now, rows, names = datetime.now(timezone.utc), [], []
    for userid, ids in receivables.items():
        for rid in ids:
            name = f"R{trial:02d}-{len(names):04d}"
            names.append(name)
            payload = {"client": userid, "item": name, "periods": "10月", "outstanding_fen": 100,
                       "overdue_days": 3, "receivable_id": rid, "recipient_name": userid, "order": len(names)}
            rows.append({"dedupe_key": f"arrears|{name}|{userid}", "kind": "arrears", "recipient_userid": userid,
                         "payload": payload, "state": "pending", "created_at": now})
    outbox_store.insert_items(rows)
    return names


async def _start_sender(config, env, log):
    return await asyncio.create_subprocess_exec(*bot_command(config, "jobs", "send", "--follow"),
                                                env=env, stdout=log, stderr=log)


async def _until(predicate, timeout: float = 60.0, every: float = 0.01) -> None:
    for _ in range(int(timeout / every)):
        if predicate():
            return
        await asyncio.sleep(every)
    raise AssertionError("timed out")


def _sent(trial: int) -> int:
    return (models.ReminderOutbox.select()
            .where((models.ReminderOutbox.kind == "arrears") & (models.ReminderOutbox.state == "sent")
                   & models.ReminderOutbox.dedupe_key.startswith(f"arrears|R{trial:02d}-")).count())


@pytest.mark.slow
async def test_sigkill_at_random_points_loses_nothing_and_sends_nothing_twice(database, db_url, fake_server,
                                                                               tmp_path):
    fake, api_base = fake_server
    receivables = _agency(fake)
    config = write_config(tmp_path / "c.yaml", db_url, api_base, in_flight_timeout=1, poll_interval=1,
                          send_concurrency=8)
    env, rng, mid_sweep = child_env(db_url, api_base), random.Random(20261112), 0
    with open(tmp_path / "sender.log", "ab") as log:
        sender = await _start_sender(config, env, log)
        for trial in range(TRIALS):
            names, start = _sweep(trial, receivables), len(fake.delivered)
            target = rng.randrange(MEMBERS)  # kill once this many of the sweep's digests arrived …
            await _until(lambda: len(fake.delivered) - start >= target or sender.returncode is not None)
            await asyncio.sleep(rng.uniform(0, 0.03))  # … give or take a request or a commit
            sender.send_signal(signal.SIGKILL)
            await sender.wait()
            mid_sweep += 0 < len(fake.delivered) - start < MEMBERS
            sender = await _start_sender(config, env, log)
            # (a blocking query: poll it rarely, the fake WeCom shares this event loop)
            await _until(lambda: _sent(trial) == len(names) or sender.returncode is not None, every=0.2)
            seen = Counter(name for message in fake.delivered for name in ITEM.findall(message.content["content"]))
            assert all(seen[name] == 1 for name in names), f"trial {trial}: lost or doubled"
        sender.terminate()
        assert await sender.wait() == 0
    assert not fake.dropped
    states = dict(models.ReminderOutbox.select(models.ReminderOutbox.state, fn.COUNT(1))
                  .where(models.ReminderOutbox.kind == "arrears").group_by(models.ReminderOutbox.state).tuples())
    assert states == {"sent": MEMBERS * PER_MEMBER * TRIALS}
    repeats = len(fake.calls_to("message/send")) - len(fake.delivered)
    print(f"\n{TRIALS} trials ({mid_sweep} killed mid-sweep), {len(fake.delivered)} digests delivered once each, "
          f"{repeats} in-flight repeats absorbed by the duplicate check")
    assert mid_sweep >= TRIALS // 2, mid_sweep  # most kills landed in the middle of a sweep


RUN_MEMBERS = 50  # (the admins' summary lists every member: a hundred would not fit one message)


def _run_agency(fake, today: date) -> list[str]:
    """RUN_MEMBERS members with the billing permission, each managing a client with PER_MEMBER receivables
    overdue three days (named P-<n>), and one admin; returns the receivables' names."""
    fake.add_member({"userid": "boss", "name": "老板", "department": [1]})
    models.Staff.create(name="老板", wecom_userid="boss", role="admin")
    names = []
    for n in range(RUN_MEMBERS):
        userid = f"u{n:03d}"
        fake.add_member({"userid": userid, "name": f"员工{n}", "department": [1]})
        staff = models.Staff.create(name=f"员工{n}", wecom_userid=userid, permissions=models.WECOM_PERMISSIONS)
        client = models.Client.create(name=f"测试客户{n:03d}有限公司", short_name=f"C{n}", manager=staff)
        rows = [{"client": client.id, "item": f"P-{n * PER_MEMBER + k:04d}", "period_start": "2026-10",
                 "period_end": "2026-10", "amount_fen": 100, "due_date": today - timedelta(days=3), "status": "open"}
                for k in range(PER_MEMBER)]
        models.Receivable.insert_many(rows).execute()
        names += [r["item"] for r in rows]
    return names


@pytest.mark.slow
async def test_a_job_run_killed_while_writing_its_plan_loses_no_summary_and_doubles_nothing(database, db_url,
                                                                                            fake_server, tmp_path):
    """`python -m bot jobs run arrears` SIGKILLed part-way through writing its 1,000-reminder plan (chunks of
    25 rows), then run again the same day: every reminder reaches its member once, and the admin gets one
    summary counting all 1,000."""
    fake, api_base = fake_server
    names = _run_agency(fake, datetime.now(SHANGHAI).date())
    config = write_config(tmp_path / "c.yaml", db_url, api_base, in_flight_timeout=1, send_concurrency=8)
    env, total = child_env(db_url, api_base), RUN_MEMBERS * PER_MEMBER
    target = random.Random(20261127).randrange(total // 10, total * 9 // 10)
    written = models.ReminderOutbox.select().where(models.ReminderOutbox.kind == "arrears").count
    with open(tmp_path / "run.log", "ab") as log:
        run = await asyncio.create_subprocess_exec(*bot_command(config, "jobs", "run", "arrears"), env=env,
                                                   stdout=log, stderr=log)
        await _until(lambda: written() >= target or run.returncode is not None, every=0.005)
        run.send_signal(signal.SIGKILL)
        await run.wait()
        assert 0 < written() < total and not fake.messages_for("boss")  # killed mid-plan, before the summary
        for args in (("jobs", "run", "arrears"), ("jobs", "send", "--wait", "30")):
            again = await asyncio.create_subprocess_exec(*bot_command(config, *args), env=env, stdout=log,
                                                         stderr=log)
            assert await again.wait() == 0
    seen = Counter(name for message in fake.delivered if message.touser != "boss"
                   for name in re.findall(r"P-\d{4}", message.content["content"]))
    assert seen == Counter(names)  # every reminder once
    [summary] = pushed(fake, "boss")
    assert f"本次新发出 {total} 条提醒" in summary
