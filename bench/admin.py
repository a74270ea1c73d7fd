"""Console pages at agency scale: p50/p95 of each page's GET through the real server (sign-in check, access
rule, queries, template), against a bare query of the same rows with hand-written SQL on a plain sqlite3
connection, call by call in the same run.

    .venv/bin/python bench/admin.py                  # --requests 200; builds var/bench-admin.sqlite3 once
    .venv/bin/python bench/admin.py --rebuild        # regenerate the data file

Data: the demo seed scaled to 10,000 clients, 50 staff, 20,000 WeChat contacts, 2,000 customer groups and
50,000 audit rows (bench/admin_data.py). Pages are asked as the demo's super admin (every row) and, where a
职员 sees a subset, as a staff member (the access rule joins through follows and groups).
Aim (issue 11): every page p95 ≤ 50 ms.
"""
from __future__ import annotations

import argparse
import asyncio
import platform
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402

from bench import admin_data as data  # noqa: E402
from bench.admin_pages import PAGES  # noqa: E402
from bot import migrate  # noqa: E402
from bot.config.settings import DatabaseConfig, load_config  # noqa: E402
from bot.db import open_database  # noqa: E402

ENV = {"WECOM_CORP_ID": "wwbench", "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "bench-secret",
       "WECOM_TOKEN": "benchtoken", "WECOM_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}


def build(path: Path) -> dict:
    import models
    from seed.demo import seed_demo
    path.unlink(missing_ok=True)
    database = open_database(DatabaseConfig(url=f"sqlite:///{path}", sqlite_synchronous="NORMAL"))
    models.db.initialize(database)
    with database.connection_context():
        migrate.upgrade(database)
        seed_demo(data.TODAY)
        counts = data.scale_up()
    return counts


def sessions(path: Path) -> dict[str, str]:
    """A console session for the demo's super admin and for the bench 职员, straight in the database."""
    import models
    from handlers.admin.sessions import open_session
    database = open_database(DatabaseConfig(url=f"sqlite:///{path}"))
    models.db.initialize(database)
    with database.connection_context():
        admin = models.Staff.get((models.Staff.role == "super_admin") & models.Staff.wecom_userid.is_null(False))
        staff = models.Staff.get(models.Staff.wecom_userid == data.BENCH_STAFF)
        now = models.utcnow()
        return {"admin": open_session(admin, admin.wecom_userid, "qr", "bench", now),
                "staff": open_session(staff, staff.wecom_userid, "qr", "bench", now), "bench_staff_id": staff.id}


async def run(path: Path, requests: int) -> dict[str, tuple[list, list]]:
    from bot.app import create_app
    tokens = sessions(path)
    config = load_config(env={**ENV, "DATABASE_URL": f"sqlite:///{path}"}).replace(jobs={"enabled": False})
    server = TestServer(create_app(config))
    await server.start_server()
    conn = sqlite3.connect(path)
    timings = {page.name: ([], []) for page in PAGES}
    try:
        async with aiohttp.ClientSession() as http:
            for page in PAGES:  # warm up: templates compiled, caches filled
                await _get(http, server, page, tokens)
            for _ in range(requests):
                for page in PAGES:
                    product, bare = timings[page.name]
                    began = time.perf_counter()
                    await _get(http, server, page, tokens)
                    product.append((time.perf_counter() - began) * 1000)
                    began = time.perf_counter()
                    page.bare(conn)
                    bare.append((time.perf_counter() - began) * 1000)
    finally:
        conn.close()
        await server.close()
    return timings


async def _get(http: aiohttp.ClientSession, server: TestServer, page, tokens: dict[str, str]) -> None:
    async with http.get(server.make_url(page.path.format(**tokens)), cookies={"zf_console": tokens[page.who]},
                        allow_redirects=False) as response:
        body = await response.read()
        if response.status != 200:
            raise RuntimeError(f"{page.path}: HTTP {response.status} {body[:200]!r}")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * 0.95) - 1, 0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--data", type=Path, default=ROOT / "var" / "bench-admin.sqlite3")
    args = parser.parse_args()
    args.data.parent.mkdir(parents=True, exist_ok=True)
    if args.rebuild or not args.data.exists():
        began = time.perf_counter()
        counts = build(args.data)
        print(f"built {args.data} in {time.perf_counter() - began:.0f} s: {counts}")
    timings = asyncio.run(run(args.data, args.requests))
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {args.requests} requests a page")
    print(f"{'page':<34}{'p50 ms':>9}{'p95 ms':>9}{'bare p50':>10}{'bare p95':>10}{'p95 ratio':>11}  aim ≤ 50 ms")
    worst = 0.0
    for page in PAGES:
        product, bare = timings[page.name]
        worst = max(worst, p95(product))
        print(f"{page.name:<34}{statistics.median(product):>9.1f}{p95(product):>9.1f}"
              f"{statistics.median(bare):>10.2f}{p95(bare):>10.2f}{p95(product) / max(p95(bare), 0.01):>10.1f}×"
              f"  {'met' if p95(product) <= 50 else 'NOT MET'}")
    print(f"worst page p95: {worst:.1f} ms")


if __name__ == "__main__":
    main()
