"""Relevance of the candidate knowledge indexes on the test set (tests/data/kb/): recall@5 and MRR per kind.

    .venv/bin/python bench/kb_relevance.py            # SQLite (a fresh file under var/)
    .venv/bin/python bench/kb_relevance.py --misses typo

Candidates: A = our index (characters + bigrams + tokens, BM25F, synonyms, same-sound typos) and two of its
ablations; B = SQLite FTS5 with the trigram tokenizer, bm25() with the same field boosts, OR of the query's
trigrams (LIKE for queries under three characters, which trigrams cannot index).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import models  # noqa: E402
from bot import migrate  # noqa: E402
from bot.config.settings import DatabaseConfig  # noqa: E402
from bot.db import open_database  # noqa: E402
from handlers.knowledge import search as kb  # noqa: E402
from handlers.knowledge.text import normalise  # noqa: E402
from tests.data.kb.relevance import KINDS, load_corpus, misses, score  # noqa: E402


def open_db(url: str):
    database = open_database(DatabaseConfig(url=url))
    models.db.initialize(database)
    database.connect()
    migrate.upgrade(database)
    return database


def fts_build(database) -> None:
    """The baseline's table (bench only: the app never creates it)."""
    database.execute_sql("DROP TABLE IF EXISTS kb_fts")
    database.execute_sql("CREATE VIRTUAL TABLE kb_fts USING fts5(title, keywords, brief, answer, tokenize='trigram')")
    database.execute_sql("INSERT INTO kb_fts(rowid, title, keywords, brief, answer) SELECT id, title, keywords, "
                         "brief, answer FROM knowledge_entry WHERE audited")


def fts_search(database, query: str, limit: int = 10) -> list[int]:
    text = "".join(normalise(query).split())
    if len(text) < 3:
        like = f"%{text}%"
        rows = database.execute_sql("SELECT rowid FROM kb_fts WHERE title LIKE ? OR brief LIKE ? OR answer LIKE ? "
                                    "LIMIT ?", (like, like, like, limit))
        return [r[0] for r in rows]
    grams = {text[i:i + 3].replace('"', '""') for i in range(len(text) - 2)}
    match = " OR ".join(f'"{g}"' for g in grams)
    rows = database.execute_sql("SELECT rowid FROM kb_fts WHERE kb_fts MATCH ? ORDER BY bm25(kb_fts, 3.0, 2.0, "
                                "1.5, 1.0) LIMIT ?", (match, limit))
    return [r[0] for r in rows]


def candidates(database) -> dict:
    def ours(**off):
        def run(query):
            saved = {name: getattr(kb, name) for name in off}
            for name, value in off.items():
                setattr(kb, name, value)
            try:
                return kb.search_ids(query, 10)
            finally:
                for name, value in saved.items():
                    setattr(kb, name, value)
        return run
    found = {"A: ours": ours(), "A without synonyms": ours(SYNONYM=0.0),
             "A without typo corrections": ours(TYPO=0.0)}
    if isinstance(database, type(database)) and database.__class__.__name__.startswith("Sqlite"):
        fts_build(database)
        found["B: FTS5 trigram"] = lambda q: fts_search(database, q)
    return found


def timed(search, rows) -> tuple[float, float]:
    times = []
    for query in rows:
        start = time.perf_counter()
        search(query)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'var' / 'bench-kb-relevance.sqlite3'}")
    parser.add_argument("--misses", help="print the missed queries of this kind for candidate A")
    args = parser.parse_args()
    if args.database_url.startswith("sqlite:///"):
        Path(args.database_url[10:]).unlink(missing_ok=True)
    database = open_db(args.database_url)
    keys = load_corpus()
    from tests.data.kb.queries import queries
    all_queries = [q for rows in queries().values() for q, _ in rows]
    print(f"corpus {len(keys)} entries, {len(all_queries)} queries")
    print(f"{'candidate':28} " + " ".join(f"{k[:11]:>11}" for k in KINDS + ['overall']) + "   p50 ms  p95 ms")
    for name, search in candidates(database).items():
        result = score(search, keys)
        p50, p95 = timed(search, all_queries)
        cells = " ".join(f"{result[k]['recall5']:.2f}/{result[k]['mrr']:.2f}" for k in KINDS + ["overall"])
        print(f"{name:28} {cells}   {p50:6.2f}  {p95:6.2f}   empty {result['overall']['empty']}")
    if args.misses:
        for query, relevant, found in misses(lambda q: kb.search_ids(q, 10), keys, args.misses):
            print(query, relevant, found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
