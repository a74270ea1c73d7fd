"""Sidebar tab data requests at agency scale: p50/p95 of each tab's GET through the real server, against the same
data fetched with hand-written SQL on a plain sqlite3 connection, call by call in the same run.

    .venv/bin/python bench/sidebar.py                  # --requests 300; builds var/bench-sidebar.sqlite3 once
    .venv/bin/python bench/sidebar.py --rebuild        # regenerate the data file

Data: 10,000 clients, 200,000 receivables, 1,000,000 invoices (bench/sidebar_data.py). The member is a staff
member (not an admin), so every request runs the chat-scope check; each request picks one of the 200 chats
the member follows at random.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402

from bench import sidebar_data as data  # noqa: E402
from bot import migrate, session  # noqa: E402
from bot.config.settings import load_config  # noqa: E402
from bot.db import open_database  # noqa: E402

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)
WORK_PERIOD = "2026-10"
ENV = {"WECOM_CORP_ID": "wwbench", "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "bench-secret",
       "WECOM_TOKEN": "benchtoken", "WECOM_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}


def upgrade(path: Path) -> None:
    import models
    from bot.config.settings import DatabaseConfig
    database = open_database(DatabaseConfig(url=f"sqlite:///{path}"))
    models.db.initialize(database)
    with database.connection_context():
        migrate.upgrade(database)


# --- the same data in plain SQL: the scope check every request makes, then what the tab reads ----------------

def scope(c: sqlite3.Connection, contact: str) -> list[int]:
    c.execute("SELECT * FROM staff WHERE wecom_userid = ? AND active = 1", (data.BENCH_USER,)).fetchone()
    cid = c.execute("SELECT id FROM external_contact WHERE external_userid = ?", (contact,)).fetchone()[0]
    c.execute("SELECT 1 FROM follow_relation WHERE contact_id = ? AND userid = ? AND deleted_at IS NULL LIMIT 1",
              (cid, data.BENCH_USER)).fetchone()
    return [r[0] for r in c.execute("SELECT client_id FROM contact_client_link WHERE contact_id = ?", (cid,))]


def client_row(c, client):
    return c.execute("SELECT * FROM client WHERE id = ?", (client,)).fetchone()


RAW = {
    "context": lambda c, client: c.execute(
        "SELECT c.*, m.name, a.name FROM client c LEFT JOIN staff m ON m.id = c.manager_id "
        "LEFT JOIN staff a ON a.id = c.accountant_id WHERE c.id IN (?) ORDER BY c.name", (client,)).fetchall(),
    "profile": lambda c, client: (
        c.execute("SELECT * FROM client_contact WHERE client_id = ? ORDER BY is_primary DESC, id",
                  (client,)).fetchall(),
        c.execute("SELECT e.* FROM external_contact e JOIN contact_client_link l ON l.contact_id = e.id "
                  "WHERE l.client_id = ? ORDER BY e.name", (client,)).fetchall(),
        c.execute("SELECT g.* FROM customer_group g JOIN group_client_link l ON l.group_id = g.id "
                  "WHERE l.client_id = ? ORDER BY g.name", (client,)).fetchall()),
    "services": lambda c, client: (
        c.execute("SELECT * FROM service WHERE client_id = ?", (client,)).fetchall(),
        c.execute("SELECT * FROM missing_invoice_flag WHERE client_id = ? AND resolved_at IS NULL ORDER BY period DESC",
                  (client,)).fetchall()),
    "billing": lambda c, client: (
        c.execute("SELECT * FROM receivable WHERE client_id = ? AND status IN ('open', 'partial') "
                  "ORDER BY due_date, period_start, id", (client,)).fetchall(),
        c.execute("SELECT * FROM contract WHERE client_id = ? ORDER BY end_date DESC", (client,)).fetchall()),
    "payments": lambda c, client: c.execute(
        "SELECT * FROM payment WHERE client_id = ? ORDER BY paid_on DESC, id DESC LIMIT 20", (client,)).fetchall(),
    "collections": lambda c, client: [
        c.execute("SELECT collection_id, kind FROM collection_item WHERE collection_id IN (%s) AND received = 1"
                  % ",".join(str(r[0]) for r in rows)).fetchall() for rows in [c.execute(
                      "SELECT * FROM invoice_collection WHERE client_id = ? ORDER BY period DESC LIMIT 24",
                      (client,)).fetchall()]],
    "followups": lambda c, client: [
        c.execute("SELECT * FROM follow_up_attachment WHERE followup_id IN (%s) ORDER BY id"
                  % ",".join(str(r[0]) for r in rows)).fetchall() for rows in [c.execute(
                      "SELECT f.*, s.name FROM follow_up f LEFT JOIN staff s ON s.id = f.staff_id "
                      "WHERE f.client_id = ? "
                      "ORDER BY f.created_at DESC, f.id DESC LIMIT 20", (client,)).fetchall()]],
    "filings": lambda c, client: [c.execute(
        "SELECT * FROM tax_filing WHERE client_id = ? AND period = ? AND cycle IN (%s)" % cycles,
        (client, period)).fetchall() for period, cycles in
        ((WORK_PERIOD, "'monthly'"), ("2026-12", "'quarterly','yearly'"), ("2026-09", "'quarterly','yearly'"))],
    "reports": lambda c, client: (
        c.execute("SELECT period, kind FROM report_snapshot WHERE client_id = ? AND kind IN "
                  "('balance_sheet', 'income_statement') ORDER BY period DESC", (client,)).fetchall(),
        c.execute("SELECT * FROM report_snapshot WHERE client_id = ? AND kind IN ('balance_sheet', 'income_statement') "
                  "AND period <= '2026-09' ORDER BY period DESC", (client,)).fetchall()),
    "invoices": lambda c, client: (
        c.execute("SELECT period, direction, COUNT(id), SUM(amount_fen), SUM(tax_fen) FROM invoice "
                  "WHERE client_id = ? AND status != 'void' GROUP BY period, direction", (client,)).fetchall(),
        c.execute("SELECT * FROM invoice WHERE client_id = ? AND period = ? AND direction = 'output' "
                  "ORDER BY issue_date, number LIMIT 31", (client, WORK_PERIOD)).fetchall()),
    "knowledge": lambda c, client: c.execute(
        "SELECT * FROM knowledge_entry WHERE audited = 1 AND (title LIKE ? OR brief LIKE ? OR answer LIKE ? "
        "OR title LIKE ? OR brief LIKE ? OR answer LIKE ?)", ("%增值税%",) * 3 + ("%发票%",) * 3).fetchall(),
}

PATHS = {"context": "/sidebar/api/context", "profile": "/sidebar/api/clients/{c}/profile",
         "services": "/sidebar/api/clients/{c}/services", "billing": "/sidebar/api/clients/{c}/billing",
         "payments": "/sidebar/api/clients/{c}/payments", "collections": "/sidebar/api/clients/{c}/collections",
         "followups": "/sidebar/api/clients/{c}/followups", "filings": "/sidebar/api/clients/{c}/filings",
         "reports": "/sidebar/api/clients/{c}/reports", "invoices": "/sidebar/api/clients/{c}/invoices",
         "knowledge": "/sidebar/api/knowledge?q=增值税%20发票"}


def raw_call(conn: sqlite3.Connection, tab: str, contact: str, client: int) -> None:
    if tab != "knowledge":
        client_row(conn, client)
    scope(conn, contact)
    RAW[tab](conn, client)


async def run(path: Path, requests: int) -> dict[str, tuple[list, list]]:
    from bot.app import create_app
    config = load_config(env={**ENV, "DATABASE_URL": f"sqlite:///{path}"}).replace(jobs={"enabled": False})
    app = create_app(config, clock=lambda: NOW)
    server = TestServer(app)
    await server.start_server()
    cookie = {session.COOKIE: session.issue(config, data.BENCH_USER)}
    conn = sqlite3.connect(path)
    rng = random.Random(7)
    chats = data.followed_clients()
    timings: dict[str, tuple[list, list]] = {tab: ([], []) for tab in [*PATHS, "healthz"]}
    try:
        async with aiohttp.ClientSession(cookies=cookie) as http:
            for n in range(requests + 20):  # the first 20 rounds warm caches and are not counted
                contact, client = rng.choice(chats)
                for tab, template in PATHS.items():
                    url = server.make_url(template.format(c=client))
                    started = time.perf_counter()
                    async with http.get(url, params={"external_userid": contact}) as r:
                        assert r.status == 200, (tab, r.status, await r.text())
                        await r.read()
                    middle = time.perf_counter()
                    raw_call(conn, tab, contact, client)
                    ended = time.perf_counter()
                    if n >= 20:
                        timings[tab][0].append(middle - started)
                        timings[tab][1].append(ended - middle)
                started = time.perf_counter()
                async with http.get(server.make_url("/healthz")) as r:
                    await r.read()
                if n >= 20:
                    timings["healthz"][0].append(time.perf_counter() - started)
    finally:
        conn.close()
        await server.close()
    return timings


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(len(ordered) * 0.95) - 1] * 1e3


def report(timings: dict, requests: int) -> None:
    print(f"{requests} requests per tab, milliseconds")
    print(f"{'tab':12} {'sidebar p50':>11} {'p95':>7} {'raw SQL p50':>11} {'p95':>7} {'ratio p95':>9}")
    for tab, (served, raw) in timings.items():
        if tab == "healthz":
            print(f"{'(healthz)':12} {statistics.median(served) * 1e3:11.2f} {p95(served):7.2f}")
            continue
        print(f"{tab:12} {statistics.median(served) * 1e3:11.2f} {p95(served):7.2f} "
              f"{statistics.median(raw) * 1e3:11.3f} {p95(raw):7.3f} {p95(served) / p95(raw):8.1f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "bench-sidebar.sqlite3")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.rebuild or not args.db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(str(args.db) + suffix).unlink(missing_ok=True)
        args.db.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        data.build(args.db, upgrade)
        print(f"built {args.db.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s")
    report(asyncio.run(run(args.db, args.requests)), args.requests)


if __name__ == "__main__":
    main()
