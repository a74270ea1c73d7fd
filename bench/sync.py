"""Full sync of the 20,000-contact / 50-member / 2,000-group sandbox: contacts/s, API calls, and two baselines.

The fake WeCom runs in its own process (as WeCom would be remote), so its CPU does not count against the
client. Every round measures, against fresh databases:
  fetch     the bare cost of paging the same data: the same calls, same page sizes, same concurrency, no writes;
  minimal   a hand-written loop: fetch every page, then insert_many ... ON CONFLICT per page, no comparison,
            no cursor, no vanished marking, not resumable;
  sync      handlers/contacts/sync.run_sync (contacts, then groups) into an empty database;
  again     the same sync a second time (nothing changed: nothing is written).
Ratios are against `fetch` and `minimal` of the same round; rounds are interleaved and the best is shown.

    .venv/bin/python bench/sync.py [--rounds 3] [--database postgresql://...] [--contacts 20000 ...]
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import platform
import socket
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
import peewee  # noqa: E402
from aiohttp import web  # noqa: E402

import models  # noqa: E402
from bot import migrate  # noqa: E402
from bot.config.settings import DatabaseConfig, WeComConfig  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.sandbox.fake.app import create_fake_wecom_app  # noqa: E402
from bot.sandbox.fake.records import FakeConfig  # noqa: E402
from bot.sandbox.fake.state import FakeWeCom  # noqa: E402
from bot.sandbox.synthetic import synthetic_directory  # noqa: E402
from bot.wecom import WeComClient  # noqa: E402
from handlers.contacts import store  # noqa: E402
from handlers.contacts.sync import SyncEnv, run_sync  # noqa: E402

CORP_ID, AGENT_ID, SECRET = "wwbenchcorp000001", 1000002, "bench-secret"


def serve_fake(port: int, sizes: dict) -> None:
    fake = FakeWeCom(FakeConfig(corp_id=CORP_ID, agent_id=AGENT_ID, secret=SECRET))
    fake.directory = synthetic_directory(**sizes)
    web.run_app(create_fake_wecom_app(fake), host="127.0.0.1", port=port, print=None, access_log=None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Databases:
    """Fresh databases: SQLite files in a temp dir, or schemas in the PostgreSQL named by --database."""

    def __init__(self, url: str | None):
        self.url, self.tmp, self.schemas = url, tempfile.mkdtemp(prefix="zf-bench-sync-"), []

    def fresh(self) -> str:
        if not self.url:
            return f"sqlite:///{self.tmp}/{uuid.uuid4().hex[:8]}.sqlite3"
        import psycopg2
        schema = f"zf_bench_{uuid.uuid4().hex[:10]}"
        with psycopg2.connect(self.url) as conn, conn.cursor() as cur:
            cur.execute(f"CREATE SCHEMA {schema}")
        self.schemas.append(schema)
        return f"{self.url}{'&' if '?' in self.url else '?'}options=-csearch_path%3D{schema}"

    def drop(self) -> None:
        if self.url and self.schemas:
            import psycopg2
            conn = psycopg2.connect(self.url)
            conn.autocommit = True
            with conn.cursor() as cur:
                for schema in self.schemas:
                    cur.execute(f"DROP SCHEMA {schema} CASCADE")
            conn.close()


def counting(wecom: WeComClient) -> Counter:
    """Count API calls by endpoint."""
    calls: Counter = Counter()
    original = wecom.call

    async def call(method, path, *args, **kwargs):
        calls[path] += 1
        return await original(method, path, *args, **kwargs)
    wecom.call = call
    return calls


async def fetch_everything(wecom: WeComClient) -> tuple[list, list]:
    """The baseline's reads: every contact page and every group, as the sync reads them."""
    userids, pages = await wecom.get_follow_user_list(), []
    for start in range(0, len(userids), 100):
        cursor = ""
        while True:
            page = await wecom.batch_get_by_user(userids[start:start + 100], cursor=cursor, limit=100)
            pages.append(page["external_contact_list"])
            cursor = page.get("next_cursor") or ""
            if not cursor:
                break
    chats, cursor = [], ""
    while True:
        page = await wecom.groupchat_list(cursor=cursor, limit=1000)
        chats += [c["chat_id"] for c in page["group_chat_list"]]
        cursor = page.get("next_cursor") or ""
        if not cursor:
            break
    limit = asyncio.Semaphore(5)

    async def get(chat_id):
        async with limit:
            return await wecom.groupchat_get(chat_id)
    return pages, await asyncio.gather(*(get(c) for c in chats))


def minimal_writes(pages: list, groups: list) -> None:
    """What one would write first: insert_many ... ON CONFLICT per page, nothing compared or remembered."""
    C, R, G, M = models.ExternalContact, models.FollowRelation, models.CustomerGroup, models.GroupMember
    for items in pages:
        with models.db.atomic():
            rows = {i["external_contact"]["external_userid"]: store.contact_row(i["external_contact"]) for i in items}
            C.insert_many([{"external_userid": k, **v} for k, v in rows.items()]).on_conflict(
                conflict_target=[C.external_userid], update={C.name: peewee.EXCLUDED.name}).execute()
            ids = dict(C.select(C.external_userid, C.id).where(C.external_userid.in_(list(rows))).tuples())
            R.insert_many([{"contact": ids[i["external_contact"]["external_userid"]],
                            "userid": i["follow_info"]["userid"], **store.relation_row(i["follow_info"], [])}
                           for i in items]).on_conflict(
                conflict_target=[R.contact, R.userid], update={R.remark: peewee.EXCLUDED.remark}).execute()
    for start in range(0, len(groups), 50):
        batch = groups[start:start + 50]
        with models.db.atomic():
            G.insert_many([{"chat_id": g["chat_id"], **store.group_row(g)} for g in batch]).on_conflict(
                conflict_target=[G.chat_id], update={G.name: peewee.EXCLUDED.name}).execute()
            ids = dict(G.select(G.chat_id, G.id).where(G.chat_id.in_([g["chat_id"] for g in batch])).tuples())
            M.insert_many([{"group": ids[g["chat_id"]], "member_id": k, **v} for g in batch
                           for k, v in store.member_rows(g).items()]).on_conflict_ignore().execute()


async def one_round(cfg: WeComConfig, dbs: Databases) -> dict:
    timings, calls = {}, Counter()
    async with aiohttp.ClientSession() as session:
        wecom = WeComClient(cfg, session)
        await wecom.access_token()
        db = Database(DatabaseConfig(url=dbs.fresh()))
        await db.run(migrate.upgrade, db.peewee)
        started = time.perf_counter()
        pages, groups = await fetch_everything(wecom)
        timings["fetch"] = time.perf_counter() - started
        await db.run(minimal_writes, pages, groups)
        timings["minimal"] = time.perf_counter() - started
        db.close()
        db = Database(DatabaseConfig(url=dbs.fresh()))
        await db.run(migrate.upgrade, db.peewee)
        calls = counting(wecom)
        for label in ("sync", "again"):
            started = time.perf_counter()
            contacts = await run_sync(SyncEnv(db, wecom), "contacts")
            timings[f"{label}_contacts"] = time.perf_counter() - started
            await run_sync(SyncEnv(db, wecom), "groups")
            timings[label] = time.perf_counter() - started
            timings[f"{label}_counts"] = contacts.counts
            if label == "sync":
                timings["calls"] = dict(calls)
        db.close()
    return timings


def report(rounds: list[dict], sizes: dict, database: str) -> None:
    best = min(rounds, key=lambda r: r["sync"])
    n = sizes["contacts"]
    print(f"# bench/sync.py: {sizes['contacts']:,} contacts / {sizes['members']} members / {sizes['groups']:,} groups,"
          f" {database}")
    print(f"Python {platform.python_version()}, aiohttp {aiohttp.__version__}, peewee {peewee.__version__}, "
          f"SQLite {sqlite3.sqlite_version}; {len(rounds)} rounds, best by sync time\n")
    print("| variant | seconds | contacts/s (contacts phase) | vs fetch | vs minimal |")
    print("|---|---:|---:|---:|---:|")
    for label, key, phase in (("fetch only (baseline)", "fetch", None), ("minimal loop (baseline)", "minimal", None),
                              ("**sync, first run**", "sync", "sync_contacts"),
                              ("sync again (no changes)", "again", "again_contacts")):
        rate = f"{n / best[phase]:,.0f}" if phase else ""
        print(f"| {label} | {best[key]:.2f} | {rate} | {best[key] / best['fetch']:.2f}× |"
              f" {best[key] / best['minimal']:.2f}× |")
    print("\nAll rounds, sync / fetch: " + ", ".join(f"{r['sync'] / r['fetch']:.2f}×" for r in rounds)
          + "; sync / minimal: " + ", ".join(f"{r['sync'] / r['minimal']:.2f}×" for r in rounds))
    print("API calls of one complete sync (contacts + groups): "
          + ", ".join(f"{path} {count:,}" for path, count in sorted(best["calls"].items())))
    print(f"Second run wrote nothing: {all(not v for k, v in best['again_counts'].items() if not k.endswith('_seen'))}")


async def main(args: argparse.Namespace) -> None:
    sizes = {"members": args.members, "contacts": args.contacts, "groups": args.groups}
    port = free_port()
    server = multiprocessing.Process(target=serve_fake, args=(port, sizes), daemon=True)
    server.start()
    cfg = WeComConfig(corp_id=CORP_ID, agent_id=AGENT_ID, secret=SECRET, api_base=f"http://127.0.0.1:{port}/cgi-bin/")
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(f"http://127.0.0.1:{port}/_sandbox/calls?limit=0"):
                    break
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    dbs = Databases(args.database)
    try:
        rounds = [await one_round(cfg, dbs) for _ in range(args.rounds)]
    finally:
        dbs.drop()
        server.terminate()
    report(rounds, sizes, "PostgreSQL" if args.database else "SQLite (WAL, synchronous FULL)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite files in a temp dir)")
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--groups", type=int, default=2_000)
    asyncio.run(main(parser.parse_args()))
