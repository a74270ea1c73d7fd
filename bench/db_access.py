"""How async code reaches the database: peewee on a thread pool (bot/db.py) vs peewee's greenlet bridge.

    .venv/bin/pip install greenlet aiosqlite   # only for this comparison; the product does not use them
    .venv/bin/python bench/db_access.py [--ops 3000] [--concurrency 16]

The workload is the callback's database trip: claim a dedupe key (INSERT) and look up the sender (SELECT),
from `concurrency` tasks at once, on the same SQLite settings (WAL, synchronous FULL).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import models  # noqa: E402
from bot import migrate  # noqa: E402
from bot.config.settings import DatabaseConfig  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.edge import inbox  # noqa: E402


def prepare(path: Path) -> None:
    db = Database(DatabaseConfig(url=f"sqlite:///{path}"))
    with db.peewee.connection_context():
        migrate.upgrade(db.peewee)
        models.Staff.create(name="压测员", wecom_userid="benchuser")
    db.close()


async def drive(run, ops: int, concurrency: int, prefix: str) -> dict:
    latencies: list[float] = []
    counter = iter(range(ops))

    async def worker() -> None:
        for i in counter:
            started = time.perf_counter()
            await run(inbox.admit, f"{prefix}{i}", "text", "benchuser")
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"ops": ops / elapsed, "p50": statistics.median(latencies) * 1e3,
            "p99": latencies[int(len(latencies) * 0.99) - 1] * 1e3}


async def thread_pool(path: Path, ops: int, concurrency: int) -> dict:
    db = Database(DatabaseConfig(url=f"sqlite:///{path}"))
    try:
        await drive(db.run, 200, concurrency, "warm")
        return await drive(db.run, ops, concurrency, "tp")
    finally:
        db.close()


async def greenlet_bridge(path: Path, ops: int, concurrency: int) -> dict:
    from playhouse.pwasyncio import AsyncSqliteDatabase
    adb = AsyncSqliteDatabase(str(path), pragmas={"journal_mode": "wal", "foreign_keys": 1,
                                                  "busy_timeout": 10000, "synchronous": "FULL"})
    models.db.initialize(adb)
    try:
        await drive(adb.run, 200, concurrency, "gwarm")
        return await drive(adb.run, ops, concurrency, "gb")
    finally:
        await adb.close_pool()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for name, fn in (("thread pool (bot/db.py)", thread_pool), ("pwasyncio greenlet bridge", greenlet_bridge)):
            path = Path(tmp) / (name.split()[0] + ".sqlite3")
            prepare(path)
            results[name] = asyncio.run(fn(path, args.ops, args.concurrency))
    print("| access | ops/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['ops']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} |")
    names = list(results)
    print(f"thread pool / greenlet bridge: {results[names[0]]['ops'] / results[names[1]]['ops']:.2f}×")


if __name__ == "__main__":
    main()
