"""Reminder benchmark: 10,000 clients, 50 members; build and push every digest of the four jobs through the
sandbox (the fake WeCom over HTTP, with its latency setting), against the floors measured in the same run.

    .venv/bin/python bench/reminders.py [--clients 10000] [--latency 0.02] [--concurrency 4] [--database-url URL]

Floors:
  theory     sends × latency / concurrency (each member at most per_minute_cap a minute; with one digest per
             job here no member comes near the cap, so the latency term is the floor)
  transport  the same number of pre-rendered messages pushed with the same concurrency straight through the
             WeCom client: HTTP, the fake's latency and JSON, no database, no templates
Prints build (plan + queue), send and total times, and total / floor ratios.
"""
from __future__ import annotations

import argparse
import asyncio
import platform
import random
import sqlite3
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402

import models  # noqa: E402
from bot import migrate  # noqa: E402
from bot.config.settings import load_config  # noqa: E402
from bot.context import Context  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.outbox.engine import Outbox  # noqa: E402
from bot.sandbox.fake.app import create_fake_wecom_app  # noqa: E402
from bot.sandbox.fake.records import FakeConfig  # noqa: E402
from bot.sandbox.fake.state import FakeWeCom  # noqa: E402
from bot.scheduler import kinds_of, run_job  # noqa: E402
from bot.texts import text_environment  # noqa: E402
from bot.wecom import MemoryTokenStore, WeComClient  # noqa: E402
from handlers import JOBS  # noqa: E402

CORP, AGENT, SECRET = "wwbenchcorp00001", 1000002, "bench-secret-value"
SHANGHAI = timezone(timedelta(hours=8))
TODAY = date(2026, 11, 11)  # past the 10th (收票), 5 days before the filing deadline (Mon 16th)


# ---- data -----------------------------------------------------------------------------------------------

def _bulk(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), 500):
        model.insert_many(rows[start:start + 500]).execute()


def build_agency(clients: int, seed: int = 7) -> dict:
    """48 staff and 2 admins; every client with a manager and an accountant; realistic shares of due matters."""
    rng, now = random.Random(seed), models.utcnow()
    with models.db.atomic():
        _bulk(models.Staff, [{"name": f"员工{n:02d}", "wecom_userid": f"u{n:02d}", "created_at": now,
                              "role": "admin" if n < 2 else "staff", "permissions": []} for n in range(50)])
        staff = [s.id for s in models.Staff.select().where(models.Staff.role == "staff")]
        _bulk(models.Client, [{"name": f"基准客户{n:05d}有限公司", "short_name": f"客户{n:05d}", "tags": [],
                               "manager": rng.choice(staff), "accountant": rng.choice(staff), "created_at": now,
                               "pinyin_initials": "", "taxpayer_type": rng.choice(["small", "general"])}
                              for n in range(clients)])
        ids = [c.id for c in models.Client.select(models.Client.id)]
        _bulk(models.Service, [{"client": cid, "kind": "bookkeeping", "name": "代理记账", "fee_fen": 120000,
                                "start_date": date(2026, 1, 1) if rng.random() < 0.95 else date(2025, 12, 1),
                                "end_date": TODAY + timedelta(days=rng.randint(0, 30) if rng.random() < 0.06
                                                              else rng.randint(31, 400))} for cid in ids])
        _bulk(models.Receivable, [{"client": cid, "item": "代理记账费", "period_start": "2026-10",
                                   "period_end": "2026-10", "amount_fen": rng.choice([30000, 60000, 120000]),
                                   "due_date": TODAY - timedelta(days=rng.choice([1, 3, 15, 20, 30, 45, 60, 95])),
                                   "created_at": now} for cid in ids if rng.random() < 0.15])
        _bulk(models.MissingInvoiceFlag, [{"client": cid, "period": "2026-10", "note": "缺进项发票",
                                           "flagged_at": now} for cid in ids if rng.random() < 0.03])
        _bulk(models.InvoiceCollection, [{"client": cid, "period": "2026-10", "created_at": now,
                                          "status": "complete" if rng.random() < 0.8 else "open"} for cid in ids])
        _bulk(models.TaxFiling, [{"client": cid, "period": "2026-10", "tax": tax, "cycle": "monthly",
                                  "status": "pending" if rng.random() < 0.3 else "filed", "amount_fen": 0}
                                 for cid in ids for tax in ("vat", "iit")])
    return {"clients": len(ids)}


# ---- runs -----------------------------------------------------------------------------------------------

def offset_clock():
    """TODAY at 10:05 in Shanghai, moving with real time (so no :00/:30 and no quiet hours get in the way)."""
    start, began = datetime(2026, 11, 11, 10, 5, tzinfo=SHANGHAI), time.monotonic()
    return lambda: (start + timedelta(seconds=time.monotonic() - began)).astimezone(timezone.utc)


async def product_run(config, api_base: str) -> dict:
    clock = offset_clock()
    db = Database(config.database)
    async with aiohttp.ClientSession() as session:
        wecom = WeComClient(config.wecom, session, MemoryTokenStore())
        ctx = Context(config=config, db=db, wecom=wecom, texts=text_environment(), clock=clock)
        outbox = Outbox(config, db, wecom, ctx.texts, kinds_of(JOBS), clock)
        await wecom.access_token()
        began = time.perf_counter()
        reports = [await run_job(job, ctx, outbox, send=False) for job in JOBS]
        built = time.perf_counter()
        sending = await outbox.drain(max_wait=120)
        done = time.perf_counter()
    db.close()
    return {"build": built - began, "send": done - built, "total": done - began, "digests": sending.digests,
            "items": sending.sent, "queued": sum(r.new for r in reports), "failed": sending.failed}


async def transport_floor(config, messages: list[tuple[str, dict]], concurrency: int) -> float:
    """The same messages, pushed with the same concurrency, straight through the WeCom client."""
    async with aiohttp.ClientSession() as session:
        wecom = WeComClient(config.wecom, session, MemoryTokenStore())
        await wecom.access_token()
        gate = asyncio.Semaphore(concurrency)

        async def push(userid: str, body: dict) -> None:
            async with gate:
                await wecom.message_send(userid, "markdown", {"content": body["content"]})
        began = time.perf_counter()
        await asyncio.gather(*(push(userid, body) for userid, body in messages))
        return time.perf_counter() - began


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="zf-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    fake = FakeWeCom(FakeConfig(corp_id=CORP, agent_id=AGENT, secret=SECRET, latency=args.latency),
                     directory={"members": [{"userid": f"u{n:02d}", "name": f"员工{n:02d}", "department": [1]}
                                            for n in range(50)]})
    server = TestServer(create_fake_wecom_app(fake))
    await server.start_server()
    api_base = str(server.make_url("/cgi-bin/"))
    config = load_config(env={"WECOM_CORP_ID": CORP, "WECOM_AGENT_ID": str(AGENT), "WECOM_SECRET": SECRET,
                              "WECOM_TOKEN": "BenchToken1", "WECOM_AES_KEY": "a" * 43, "WECOM_API_BASE": api_base,
                              "DATABASE_URL": url})
    config = config.replace(jobs={"quiet_hours": "", "send_concurrency": args.concurrency},
                            server={"public_url": "http://bench.example"})
    db = Database(config.database)
    await db.run(migrate.upgrade, db.peewee)
    t0 = time.perf_counter()
    counts = await db.run(build_agency, args.clients)
    print(f"data: {counts['clients']} clients, 50 members, written in {time.perf_counter() - t0:.1f}s")
    db.close()

    run = await product_run(config, api_base)
    sent = [(m.touser, m.content) for m in fake.delivered]
    transport = await transport_floor(config, sent, args.concurrency)
    await server.close()
    theory = len(sent) * args.latency / args.concurrency
    print(f"queued {run['queued']} reminders (+ admin summaries); pushed {run['digests']} digests carrying {run['items']} "
          f"({run['failed']} failed, {len(fake.dropped)} dropped by caps)")
    print(f"build (plan + queue, 4 jobs): {run['build']:.2f}s   send: {run['send']:.2f}s   total: {run['total']:.2f}s")
    print(f"floor, theory  ({len(sent)} sends × {args.latency * 1000:.0f} ms / {args.concurrency}): {theory:.2f}s")
    print(f"floor, transport (same sends, WeCom client only):            {transport:.2f}s")
    print(f"send / transport floor: {run['send'] / transport:.2f}x   total / transport floor: "
          f"{run['total'] / transport:.2f}x   total / theory floor: {run['total'] / theory:.2f}x")
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
          f"database {'PostgreSQL' if url.startswith('postgres') else 'SQLite (WAL, synchronous FULL)'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.02, help="the fake WeCom's latency per call (s)")
    parser.add_argument("--concurrency", type=int, default=4, help="jobs.send_concurrency")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    asyncio.run(main(parser.parse_args()))
