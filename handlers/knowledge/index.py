"""The knowledge search index: audited entries' terms with precomputed BM25F weights, kept in the database.

Call ``reindex_entry(entry)`` after an entry is created, edited, audited or deleted (inside the same write
transaction), and ``rebuild_index()`` after bulk changes (`python -m bot kb reindex`). Only audited entries are
indexed, so a search never reaches a draft. Average field lengths are refreshed by a rebuild only: between
rebuilds a new entry is weighed against the last averages, which move slowly.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from peewee import PostgresqlDatabase

import models
from handlers.knowledge.text import index_terms, is_cjk, pinyin_key

# Field boosts: a term in the title counts for more than in the keywords, the brief, then the answer.
FIELDS = (("title", 3.0), ("keywords", 2.0), ("brief", 1.5), ("answer", 1.0))
K1, B = 1.2, 0.75
SCALE = 10_000  # weights are stored as integers: 0..1 in ten-thousandths
# Fields whose lone Chinese characters are not indexed: in the answer they were about 45 % of all postings, and
# a one-character query still matches titles, keywords and briefs (answer-only words have 2+ characters).
NO_UNIGRAMS = {"answer"}
_CHUNK = 900  # ids per IN (...): under SQLite's bound-variable limit


def _chunks(items: list, size: int = _CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _stats() -> dict[str, int]:
    return {s.name: s.value for s in models.KnowledgeIndexStat.select()}


def _averages(stats: dict[str, int]) -> dict[str, float]:
    docs = max(stats.get("built_docs", 0), 1)  # the rebuild's count: equal entries get equal weights till the next
    return {field: max(stats.get("len_" + field, 0) / docs, 1.0) for field, _ in FIELDS}


def entry_weights(entry, averages: dict[str, float]) -> tuple[dict[str, float], dict[str, int]]:
    """({term: weight in 0..SCALE}, {field: length}) for one entry: BM25F's saturated, length-normalised tf."""
    pseudo_tf: dict[str, float] = defaultdict(float)
    lengths = {}
    for field, boost in FIELDS:
        terms = index_terms(getattr(entry, field) or "")
        if field in NO_UNIGRAMS:
            terms = [t for t in terms if len(t) > 1 or not is_cjk(t)]
        lengths[field] = len(terms)
        norm = 1 - B + B * len(terms) / averages[field]
        for term, count in Counter(terms).items():
            pseudo_tf[term[:64]] += boost * count / norm
    return {term: round(SCALE * x / (K1 + x)) for term, x in pseudo_tf.items()}, lengths


def _term_ids(terms: list[str]) -> dict[str, int]:
    """Ids of ``terms`` in the vocabulary, adding the missing ones (with their pinyin keys)."""
    T = models.KnowledgeTerm
    ids = {}
    for chunk in _chunks(terms):
        ids.update(T.select(T.term, T.id).where(T.term.in_(chunk)).tuples())
    missing = [t for t in terms if t not in ids]
    for chunk in _chunks(missing, 300):
        T.insert_many([{"term": t, "df": 0, "pinyin": pinyin_key(t)} for t in chunk]).on_conflict_ignore().execute()
        ids.update(T.select(T.term, T.id).where(T.term.in_(chunk)).tuples())
    return ids


def _bump_stat(name: str, delta: int) -> None:
    S = models.KnowledgeIndexStat
    S.insert(name=name, value=delta).on_conflict(conflict_target=[S.name], update={S.value: S.value + delta}).execute()


def _unindex(entry_id: int) -> bool:
    """Drop an entry's postings and their document frequencies; True when it was indexed."""
    P, T = models.KnowledgePosting, models.KnowledgeTerm
    old = [tid for (tid,) in P.select(P.term).where(P.entry_id == entry_id).tuples()]
    for chunk in _chunks(old):
        T.update(df=T.df - 1).where(T.id.in_(chunk)).execute()
    P.delete().where(P.entry_id == entry_id).execute()
    return bool(old)


def reindex_entry(entry) -> None:
    """Bring one entry's index up to date (call it in the transaction that wrote or deleted the entry)."""
    was_indexed = _unindex(entry.id)
    E = models.KnowledgeEntry
    live = E.get_or_none(E.id == entry.id)  # deleted, or not audited: it stays out of the index
    if live is None or not live.audited:
        if was_indexed:
            _bump_stat("docs", -1)
        return
    weights, _ = entry_weights(live, _averages(_stats()))
    ids = _term_ids(list(weights))
    T, P = models.KnowledgeTerm, models.KnowledgePosting
    for chunk in _chunks(list(ids.values())):
        T.update(df=T.df + 1).where(T.id.in_(chunk)).execute()
    P.insert_many([{"term": ids[t], "entry_id": live.id, "weight": w} for t, w in weights.items()]).execute()
    if not was_indexed:
        _bump_stat("docs", 1)


def _bulk(model, columns: list[str], rows: list[tuple]) -> None:
    """Plain multi-row inserts: a rebuild writes millions of postings, too many to build as peewee queries."""
    table = model._meta.table_name
    cols = ", ".join(f'"{c}"' for c in columns)
    database = models.db.obj
    cursor = database.cursor()
    if isinstance(database, PostgresqlDatabase):
        from psycopg2.extras import execute_values
        execute_values(cursor, f'INSERT INTO "{table}" ({cols}) VALUES %s', rows, page_size=5000)
    else:
        marks = ", ".join("?" * len(columns))
        cursor.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)


def rebuild_index(batch: int = 1000) -> int:
    """Index every audited entry from scratch (call inside one transaction); returns the number indexed.

    Streams: one pass for field lengths and document frequencies, a second writing each batch's postings, so
    50,000 entries never hold their millions of postings in memory at once."""
    E, T, P, S = models.KnowledgeEntry, models.KnowledgeTerm, models.KnowledgePosting, models.KnowledgeIndexStat
    P.delete().execute()
    T.delete().execute()
    S.delete().execute()
    entries = list(E.select(E.id, E.title, E.keywords, E.brief, E.answer).where(E.audited == True))  # noqa: E712
    totals, df = Counter(), Counter()
    for entry in entries:
        weights, lengths = entry_weights(entry, _averages({}))
        totals.update(lengths)
        df.update(weights.keys())
    stats = {"docs": len(entries), "built_docs": len(entries), **{"len_" + f: totals[f] for f, _ in FIELDS}}
    _bulk(T, ["term", "df", "pinyin"], [(t, n, pinyin_key(t)) for t, n in df.items()])
    ids, averages = dict(T.select(T.term, T.id).tuples()), _averages(stats)
    for chunk in _chunks(entries, batch):
        postings = [(ids[t], entry.id, w) for entry in chunk for t, w in entry_weights(entry, averages)[0].items()]
        _bulk(P, ["term_id", "entry_id", "weight"], sorted(postings))
    S.insert_many([{"name": k, "value": v} for k, v in stats.items()]).execute()
    if isinstance(models.db.obj, PostgresqlDatabase):  # fresh planner statistics, or it guesses the joins badly
        for model in (T, P):
            models.db.execute_sql(f'ANALYZE "{model._meta.table_name}"')
    return len(entries)


def vacuum_index() -> None:
    """After a rebuild's transaction (not inside one): on PostgreSQL, VACUUM ANALYZE the index tables so the
    per-term reads are index-only scans (a fresh bulk load has no visibility map yet). Nothing on SQLite."""
    if isinstance(models.db.obj, PostgresqlDatabase):
        for model in (models.KnowledgeTerm, models.KnowledgePosting):
            models.db.execute_sql(f'VACUUM ANALYZE "{model._meta.table_name}"')
