"""Several processes on one database: no duplicate pushes, one scheduler leader, takeover when it dies;
and the `jobs` CLI."""
import asyncio
import signal
import socket
import time
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest

import models
from tests.factories import agency_today, small_agency
from tests.reminder_helpers import bot_command, child_env, write_config

pytestmark = pytest.mark.real_clock  # child processes keep the real clock (tests/conftest.py)

TODAY = agency_today()


def _arrears_data() -> None:
    people = small_agency(TODAY)
    for client, days in ((people["huaxin"], 20), (people["jincheng"], 40)):
        models.Receivable.create(client=client, item="工商服务费", period_start="2026-09", period_end="2026-09",
                                 amount_fen=50000, due_date=TODAY - timedelta(days=days))
    models.Client.update(manager=people["wang"]).where(models.Client.id == people["jincheng"].id).execute()


async def _bot(config, env, *args, timeout: float = 60) -> tuple[int, str]:
    child = await asyncio.create_subprocess_exec(*bot_command(config, *args), env=env,
                                                 stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(child.communicate(), timeout)
    return child.returncode, out.decode()


# ---- exactly once across processes ------------------------------------------------------------------------

async def test_the_same_job_in_two_processes_at_once_sends_each_digest_once(database, db_url, fake_server, tmp_path):
    fake, api_base = fake_server
    _arrears_data()
    config, env = write_config(tmp_path / "c.yaml", db_url, api_base), child_env(db_url, api_base)
    results = await asyncio.gather(*(_bot(config, env, "jobs", "run", "arrears") for _ in range(2)))
    assert [code for code, _ in results] == [0, 0], results
    assert len(fake.messages_for("lixiaomei")) == 1 and len(fake.messages_for("wanggang")) == 1
    assert len(fake.messages_for("admin")) == 1
    assert len(fake.calls_to("message/send")) == 3  # not even a repeat for WeCom to absorb
    assert "华夏科技" in fake.messages_for("lixiaomei")[0].content["content"]
    rows = models.ReminderOutbox.select().where(models.ReminderOutbox.kind == "arrears")
    assert sorted(r.state for r in rows) == ["sent"] * 3


# ---- the CLI -----------------------------------------------------------------------------------------------

async def test_dry_run_prints_the_digests_and_writes_nothing(database, db_url, fake_server, tmp_path):
    fake, api_base = fake_server
    _arrears_data()
    config, env = write_config(tmp_path / "c.yaml", db_url, api_base), child_env(db_url, api_base)
    code, out = await _bot(config, env, "jobs", "run", "arrears", "--dry-run")
    assert code == 0, out
    assert "试运行：将推送 3 条消息" in out and "→ lixiaomei（markdown）" in out and "华信建材" in out
    assert "催款提醒·全机构汇总" in out
    assert models.ReminderOutbox.select().count() == 0
    assert not models.AuditLog.select().where(models.AuditLog.action == "job_run").exists()
    assert fake.calls_to("message/send") == []


async def test_jobs_list_and_bad_job_name(database, db_url, fake_server, tmp_path):
    fake, api_base = fake_server
    config, env = write_config(tmp_path / "c.yaml", db_url, api_base), child_env(db_url, api_base)
    code, out = await _bot(config, env, "jobs", "list")
    assert code == 0 and "filing_deadline" in out and "征期提醒" in out and "13 9 * * *" in out and "从未运行" in out
    code, out = await _bot(config, env, "jobs", "run", "nope")
    assert code == 2 and "没有名为「nope」的任务" in out and "service_expiry" in out
    code, out = await _bot(config, env, "jobs", "run", "arrears", "--date", "2026-13-01", "--dry-run")
    assert code == 2 and "YYYY-MM-DD" in out


# ---- one leader among three servers ------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _holder() -> tuple[int, datetime] | None:
    lease = models.SchedulerLease.get_or_none(models.SchedulerLease.name == "scheduler")
    if lease is None or not lease.holder or lease.expires_at <= datetime.now(timezone.utc):
        return None
    return int(lease.holder.split(":")[1]), lease.expires_at


async def _wait_for(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.slow
async def test_three_servers_one_leader_and_takeover_after_kill(database, db_url, fake_server, tmp_path):
    fake, api_base = fake_server
    small_agency(TODAY)
    off = {"enabled": False}
    config = write_config(tmp_path / "c.yaml", db_url, api_base, lease_ttl=3, poll_interval=1,
                          service_expiry=off, missing_invoices=off, arrears=off, filing_deadline=off)
    env, ports = child_env(db_url, api_base), [_free_port() for _ in range(3)]
    logs = [open(tmp_path / f"serve{n}.log", "wb") for n in range(3)]
    servers = [await asyncio.create_subprocess_exec(*bot_command(config, "serve", "--port", str(port)), env=env,
                                                    stdout=log, stderr=log) for port, log in zip(ports, logs)]
    pids = {s.pid: s for s in servers}
    try:
        async with aiohttp.ClientSession() as http:
            for port in ports:
                for _ in range(200):
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                            if resp.status == 200:
                                break
                    except aiohttp.ClientError:
                        await asyncio.sleep(0.1)
        leader, _ = await _wait_for(_holder, 30)
        assert leader in pids
        await asyncio.sleep(4)  # several lease periods: the leader keeps it, nobody else takes it
        assert _holder()[0] == leader
        pids[leader].send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        await pids[leader].wait()
        successor, _ = await _wait_for(lambda: (h := _holder()) and h[0] != leader and h, 60)
        took = time.monotonic() - killed_at
        assert successor in pids and pids[successor].returncode is None and took < 60
        # The new leader runs the sender: a reminder queued now is pushed, once.
        models.ReminderOutbox.create(dedupe_key="arrears.summary|takeover|admin", kind="arrears.summary",
                                     recipient_userid="admin", payload={"job_title": "催款提醒", "date": "takeover",
                                                                        "new": 1, "total": 1, "unassigned": 0,
                                                                        "staff": []})
        await _wait_for(lambda: fake.messages_for("admin"), 30)
        await asyncio.sleep(1.5)
        assert len(fake.messages_for("admin")) == 1 and "takeover" in fake.messages_for("admin")[0].content["content"]
        print(f"\nleader {leader} killed; {successor} took over after {took:.1f}s (lease_ttl 3s)")
    finally:
        for server in servers:
            if server.returncode is None:
                server.terminate()
        for server in servers:
            await server.wait()
        for log in logs:
            log.close()
