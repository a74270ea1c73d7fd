"""Knowledge search at 50,000 entries: p50/p95 of our index against SQLite FTS5 trigram on the same data, in the
same run, and a 帮助 command answered within the reply deadline while searches run.

    .venv/bin/python bench/kb.py                         # SQLite file under var/ (built once; --rebuild)
    .venv/bin/python bench/kb.py --database-url postgresql://postgres@127.0.0.1:5432/test

Data: the relevance corpus (tests/data/kb/, 315 entries) repeated with variations to 50,000 audited entries: a
region and an industry in the title, a sentence of another entry appended to the answer, and every tenth entry
with its numbers changed. Queries: the 225 relevance queries (all seven kinds) plus common one- and two-character
terms (税, 发票, 申报 …), shuffled. The baseline is always a SQLite FTS5 trigram table of the same rows (on
PostgreSQL runs too, in a SQLite file beside), queried as bench/kb_relevance.py does.
Callback check: CONCURRENT searches loop through the app's Database (its worker threads, as the sidebar's GET
does) while 帮助 is dispatched every 50 ms through the real Dispatcher; its latency must stay under
wecom.reply_deadline.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import models  # noqa: E402
from bot import migrate  # noqa: E402
from bot.config.settings import DatabaseConfig  # noqa: E402
from bot.db import Database, open_database  # noqa: E402
from handlers.knowledge.index import rebuild_index, vacuum_index  # noqa: E402
from handlers.knowledge.search import search_ids  # noqa: E402
from handlers.knowledge.synonyms import load_starter_synonyms  # noqa: E402
from tests.data.kb.queries import queries  # noqa: E402
from tests.data.kb.relevance import corpus  # noqa: E402

ENTRIES = 50_000
REGIONS = ["", "杭州", "上海", "深圳", "成都", "苏州", "南京", "武汉", "西安", "宁波"]
INDUSTRIES = ["", "餐饮", "电商", "建筑", "软件", "贸易", "制造", "咨询", "物流", "零售", "教育"]
COMMON = ["税", "票", "发票", "申报", "公司", "个税", "增值税", "社保", "扣除", "注销"]
CONCURRENT = 4


def rows(n: int, rng: random.Random) -> list[dict]:
    base = corpus()
    out = []
    for i in range(n):
        _, _, title, brief, answer = base[i % len(base)]
        other = base[rng.randrange(len(base))][4].split("。")[0]
        if i % 10 == 9:
            answer = re.sub(r"\d+", lambda m: str(int(m.group()) + rng.randint(1, 9)), answer)
        region, trade = rng.choice(REGIONS), rng.choice(INDUSTRIES)
        prefix = f"{region}{trade}：" if region or trade else ""
        out.append({"title": (prefix + title)[:255], "brief": brief, "answer": f"{answer}{other}。",
                    "audited": True, "hits": rng.randint(0, 30)})
    return out


def build(n: int) -> float:
    """Fill the database with n entries and the synonym list; returns the index rebuild time in seconds."""
    rng = random.Random(13)
    cat = models.KnowledgeCategory.create(name="基准")
    data = rows(n, rng)
    with models.db.atomic():
        for start in range(0, n, 500):
            chunk = [dict(r, category=cat.id) for r in data[start:start + 500]]
            models.KnowledgeEntry.insert_many(chunk).execute()
        load_starter_synonyms()
    start = time.perf_counter()
    with models.db.atomic():
        rebuild_index()
    vacuum_index()  # as `python -m bot kb reindex` does after its transaction (PostgreSQL only)
    return time.perf_counter() - start


def fts_file(path: Path) -> sqlite3.Connection:
    """The baseline: the same audited rows in an FTS5 trigram table (a SQLite file, whatever the main DB is)."""
    fresh = not path.exists()
    conn = sqlite3.connect(path)
    if fresh:
        conn.execute("CREATE VIRTUAL TABLE kb_fts USING fts5(title, brief, answer, tokenize='trigram')")
        E = models.KnowledgeEntry
        conn.executemany("INSERT INTO kb_fts(rowid, title, brief, answer) VALUES (?, ?, ?, ?)",
                         E.select(E.id, E.title, E.brief, E.answer).where(E.audited == True).tuples())  # noqa: E712
        conn.commit()
    return conn


def fts_search(conn: sqlite3.Connection, query: str, limit: int = 5) -> list[int]:
    text = "".join(query.lower().split())
    if len(text) < 3:  # trigrams cannot index it: FTS5 scans (LIKE)
        like = f"%{text}%"
        sql = "SELECT rowid FROM kb_fts WHERE title LIKE ? OR brief LIKE ? OR answer LIKE ? LIMIT ?"
        return [r[0] for r in conn.execute(sql, (like, like, like, limit))]
    match = " OR ".join('"' + text[i:i + 3].replace('"', '""') + '"' for i in range(len(text) - 2))
    sql = "SELECT rowid FROM kb_fts WHERE kb_fts MATCH ? ORDER BY bm25(kb_fts, 3.0, 1.5, 1.0) LIMIT ?"
    return [r[0] for r in conn.execute(sql, (match, limit))]


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def time_each(search, query_list: list[str]) -> tuple[float, float]:
    times = []
    for query in query_list:
        start = time.perf_counter()
        search(query)
        times.append((time.perf_counter() - start) * 1000)
    return percentiles(times)


async def callbacks_while_searching(url: str, query_list: list[str], seconds: float) -> dict:
    """帮助 through the real Dispatcher while CONCURRENT loops search through the app's Database threads."""
    import handlers
    from bot.context import Context
    from bot.edge.messages import TextMessage
    from bot.router import Dispatcher
    from bot.texts import text_environment
    from tests.conftest import make_config
    config = make_config(url)
    db = Database(DatabaseConfig(url=url))
    dispatcher = Dispatcher(handlers.ROUTERS)
    stop, searches = asyncio.Event(), [0]

    async def searcher(offset: int):
        n = offset
        while not stop.is_set():
            await db.run(search_ids, query_list[n % len(query_list)])
            searches[0] += 1
            n += CONCURRENT

    async def help_once() -> float:
        ctx = Context(config=config, db=db, wecom=None, texts=text_environment(), clock=models.utcnow,
                      userid="bench", staff=None, fonts=None, dispatcher=dispatcher)
        msg = TextMessage(to_user="wwc", from_user="bench", create_time=0, msg_type="text", agent_id=1, raw={},
                          content="帮助", msg_id="1")
        start = time.perf_counter()
        await asyncio.wait_for(dispatcher.dispatch(msg, ctx), config.wecom.reply_deadline)
        return (time.perf_counter() - start) * 1000

    tasks = [asyncio.create_task(searcher(i)) for i in range(CONCURRENT)]
    latencies, until = [], time.perf_counter() + seconds
    while time.perf_counter() < until:
        latencies.append(await help_once())
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.gather(*tasks)
    p50, p95 = percentiles(latencies)
    return {"help": len(latencies), "p50": p50, "p95": p95, "max": max(latencies), "searches": searches[0],
            "deadline_ms": config.wecom.reply_deadline * 1000}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'var' / 'bench-kb.sqlite3'}")
    parser.add_argument("--entries", type=int, default=ENTRIES)
    parser.add_argument("--rebuild", action="store_true", help="regenerate the data (SQLite file)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the callback check")
    args = parser.parse_args()
    sqlite = args.database_url.startswith("sqlite:///")
    fts_path = ROOT / "var" / f"bench-kb-fts-{args.entries}.sqlite3"
    if sqlite and args.rebuild:
        Path(args.database_url[10:]).unlink(missing_ok=True)
    if args.rebuild:
        fts_path.unlink(missing_ok=True)
    database = open_database(DatabaseConfig(url=args.database_url))
    models.db.initialize(database)
    database.connect()
    migrate.upgrade(database)
    have = models.KnowledgeEntry.select().count()
    if have != args.entries:
        if have:
            print(f"the database holds {have} entries, not {args.entries}: use an empty one (or --rebuild)")
            return 1
        print(f"building {args.entries} entries …", flush=True)
        print(f"rebuild_index: {build(args.entries):.1f} s", flush=True)
        fts_path.unlink(missing_ok=True)
    postings = models.KnowledgePosting.select().count()
    fts = fts_file(fts_path)
    rng = random.Random(7)
    mixed = [q for rows_ in queries().values() for q, _ in rows_] + COMMON * 3
    rng.shuffle(mixed)
    for query in mixed[:20]:  # warm both caches
        search_ids(query)
        fts_search(fts, query)
    ours = time_each(search_ids, mixed)
    base = time_each(lambda q: fts_search(fts, q), mixed)
    kinds = {kind: time_each(search_ids, [q for q, _ in rows_]) for kind, rows_ in queries().items()}
    kinds["common terms"] = time_each(search_ids, COMMON)
    database.close()
    cb = asyncio.run(callbacks_while_searching(args.database_url, mixed, args.seconds))
    engine = "SQLite" if sqlite else "PostgreSQL"
    print(f"{engine}: {args.entries} entries, {postings} postings, {len(mixed)} mixed queries")
    print(f"ours        p50 {ours[0]:6.2f} ms  p95 {ours[1]:6.2f} ms")
    print(f"FTS5 tri    p50 {base[0]:6.2f} ms  p95 {base[1]:6.2f} ms   (SQLite)")
    print(f"ratio ours/FTS5: p50 {ours[0] / base[0]:.1f}x  p95 {ours[1] / base[1]:.1f}x")
    for kind, (p50, p95) in kinds.items():
        print(f"  {kind:16} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
    print(f"帮助 while {CONCURRENT} searchers ran ({cb['searches']} searches): {cb['help']} replies, p50 "
          f"{cb['p50']:.1f} ms, p95 {cb['p95']:.1f} ms, max {cb['max']:.1f} ms; deadline {cb['deadline_ms']:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
