"""Callback latency during a reminder sweep (issue 10, item 4): p50/p99/max of the `帮助` round trip with no
sweep and while a full 10,000-client sweep runs in the same server process, interleaved in one run.

    .venv/bin/python bench/sweep_latency.py                        # SQLite (WAL, synchronous FULL), fresh file
    .venv/bin/python bench/sweep_latency.py --database-url postgresql://postgres@127.0.0.1:5432/test

Processes (bench/sweep_server.py): the server (`create_app`, its scheduler leading, its clock at 2026-11-11
10:05 Shanghai so every job finds due items), the fake WeCom (20 ms a call, in its own process: WeCom is
remote) and this driver, which sends encrypted `帮助` callbacks at a fixed rate (open loop, as WeCom does: a
slow answer does not slow the arrivals) and decrypts every 50th passive reply. Each round: a phase with no
sweep (--quiet callbacks), then a sweep phase: the four jobs fired as the cron fires them (plan + queue),
the leader's sender pushing every digest to the fake WeCom, callbacks at the same rate until the outbox is
empty (at most --max-sweep). Between rounds the outbox is emptied so each sweep does all the work again.
Data: bench/reminders.py's agency (10,000 clients, 50 members, 9,377 due reminders, 200 digests).
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bench.reminders import CORP, build_agency  # noqa: E402
from bench.sweep_server import AES_KEY, AGENT, TOKEN, serve, serve_fake  # noqa: E402
from bench.sync import free_port  # noqa: E402

SENDER = "u10"  # a staff member (build_agency's u00..u49)


async def drive(session: aiohttp.ClientSession, url: str, rate: float, count: int,
                until: asyncio.Future | None = None) -> list[float]:
    """Callbacks at `rate` a second: `count` of them, or (with `until`) as many as arrive before it is done
    (at most `count`). Returns each round trip in ms."""
    from bot.sandbox.driver import CallbackDriver, next_msg_id, text_xml
    driver = CallbackDriver(url, TOKEN, AES_KEY, CORP, AGENT, session)
    latencies: list[float] = []

    async def one(n: int) -> None:
        params, body = driver.envelope(text_xml(CORP, SENDER, "帮助", next_msg_id(), AGENT))
        began = time.perf_counter()
        async with session.post(url, params=params, data=body) as resp:
            text = await resp.text()
        latencies.append((time.perf_counter() - began) * 1000)
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}: {text[:100]}")
        if n % 50 == 0:
            assert "帮助" in driver.open_reply(text, params["nonce"])["Content"]

    tasks, start = [], time.perf_counter()
    for n in range(count):
        if until is not None and until.done():
            break
        await asyncio.sleep(max(start + n / rate - time.perf_counter(), 0))
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    return latencies


def stats(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {"n": len(ordered), "p50": ordered[len(ordered) // 2], "max": ordered[-1],
            "p99": ordered[max(int(len(ordered) * 0.99) - 1, 0)], "all": ordered}


async def one_round(base: str, args: argparse.Namespace) -> dict:
    url = f"{base}/wecom/callback"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:
        for path in ("/bench/reset", "/bench/phase"):
            async with session.post(base + path):
                pass
        quiet = stats(await drive(session, url, args.rate, args.quiet))
        async with session.post(f"{base}/bench/phase") as resp:
            quiet.update(await resp.json())
        await asyncio.sleep(0.5)

        async def run_sweep() -> dict:
            async with session.post(f"{base}/bench/sweep", timeout=aiohttp.ClientTimeout(total=400)) as resp:
                return await resp.json()
        sweeping = asyncio.ensure_future(run_sweep())
        during = stats(await drive(session, url, args.rate, args.max_sweep, until=sweeping))
        during.update(await sweeping)
    return {"quiet": quiet, "sweep": during}


async def wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            try:
                async with session.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def fresh_database(url: str | None, clients: int) -> tuple[str, str | None]:
    """(database URL, PostgreSQL schema to drop afterwards) with the agency seeded."""
    import models
    from bot import migrate
    from bot.config.settings import DatabaseConfig
    from bot.db import open_database
    schema = None
    if url:
        import psycopg2
        schema = f"zf_bench_{uuid.uuid4().hex[:10]}"
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute(f"CREATE SCHEMA {schema}")
        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='zf-bench-sweep-')}/bench.sqlite3"
    database = open_database(DatabaseConfig(url=url))
    models.db.initialize(database)
    with database.connection_context():
        migrate.upgrade(database)
        build_agency(clients)
        # Reminders reach only members holding the section's permission (bench/reminders.py predates that).
        models.Staff.update(permissions=models.WECOM_PERMISSIONS).execute()
    return url, schema


def drop_schema(url: str, schema: str | None) -> None:
    if schema:
        import psycopg2
        conn = psycopg2.connect(url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"DROP SCHEMA {schema} CASCADE")
        conn.close()


def report(rounds: list[dict], database: str) -> None:
    print(f"\n{database}")
    print("| round | phase | callbacks | p50 ms | p99 ms | max ms | in server p99: handler / claim ms | "
          "loop lag p99 / max ms | server CPU (cores) | load avg | sweep s (plan + queue) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, r in enumerate(rounds, 1):
        for phase in ("quiet", "sweep"):
            s = r[phase]
            sweep = f"{s['total']:.1f} ({s['plan']:.1f})" if phase == "sweep" else ""
            print(f"| {n} | {'no sweep' if phase == 'quiet' else 'during sweep'} | {s['n']} | {s['p50']:.1f} | "
                  f"{s['p99']:.1f} | {s['max']:.1f} | {s['handler_p99']:.1f} / {s['claim_p99']:.1f} | "
                  f"{s['lag_p99']:.0f} / {s['lag_max']:.0f} | {s['cpu']:.2f} | {s['load']:.1f} | {sweep} |")
    ratios = []
    for n, r in enumerate(rounds, 1):
        quiet, sweep = r["quiet"], r["sweep"]
        ratios.append(sweep["p99"] / quiet["p99"])
        print(f"round {n}: {sweep['queued']} reminders queued and sent; during / without sweep: p99 {ratios[-1]:.2f}×, "
              f"p50 {sweep['p50'] / quiet['p50']:.2f}×, max {sweep['max'] / quiet['max']:.2f}×")
        print(f"    sweep's database trips (count p50/p90/max ms): {sweep['trips']}")
        print(f"    full garbage collections during the sweep: {sweep['gc_n']}, longest {sweep['gc_max']:.0f} ms")
    pooled = [stats([x for r in rounds for x in r[phase]["all"]]) for phase in ("quiet", "sweep")]
    print(f"p99 during / without sweep: median of rounds {statistics.median(ratios):.2f}×; all rounds pooled "
          f"{pooled[1]['p99']:.1f} / {pooled[0]['p99']:.1f} ms = {pooled[1]['p99'] / pooled[0]['p99']:.2f}× "
          f"(p50 {pooled[1]['p50'] / pooled[0]['p50']:.2f}×)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL URL (a fresh schema is made); default a SQLite file")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=40.0, help="callbacks a second")
    parser.add_argument("--quiet", type=int, default=600, help="callbacks in each no-sweep phase")
    parser.add_argument("--max-sweep", type=int, default=3000, help="at most this many callbacks during a sweep")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.02, help="the fake WeCom's latency per call (s)")
    args = parser.parse_args()
    began = time.perf_counter()
    db_url, schema = fresh_database(args.database_url, args.clients)
    print(f"data: {args.clients} clients, 50 members, seeded in {time.perf_counter() - began:.0f}s")
    fake_port, port = free_port(), free_port()
    fake = multiprocessing.Process(target=serve_fake, args=(fake_port, args.latency), daemon=True)
    fake.start()
    server = multiprocessing.Process(target=serve, args=(port, db_url, f"http://127.0.0.1:{fake_port}/cgi-bin/"),
                                     daemon=True)
    server.start()
    try:
        asyncio.run(wait_up(f"http://127.0.0.1:{port}/healthz"))
        rounds = [asyncio.run(one_round(f"http://127.0.0.1:{port}", args)) for _ in range(args.rounds)]
    finally:
        server.terminate()
        fake.terminate()
        server.join(10)
        drop_schema(args.database_url or "", schema)
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores, "
          f"{args.rate:.0f} callbacks/s, fake WeCom {args.latency * 1000:.0f} ms a call")
    report(rounds, "PostgreSQL" if args.database_url else "SQLite (WAL, synchronous FULL)")


if __name__ == "__main__":
    main()
