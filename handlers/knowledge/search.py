"""Knowledge search: a query becomes weighted terms in Python (cheap, no entry rows), then one SQL statement
sums BM25 scores over the index and returns only the top ids; the same SQL runs on SQLite and PostgreSQL.

Score = Σ query weight × idf × posting weight (BM25F). Ties (rounded scores) go to the entry used most
(``hits``), then the older one. Synonyms (KnowledgeSynonym) and same-sound/swapped corrections of unknown
two-character pieces add terms at a lower weight. An entry must reach a share of what the query's strongest
terms could score, so one common character shared with a query is not a match.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import models
from handlers.knowledge.index import SCALE
from handlers.knowledge.text import QueryPieces, is_cjk, pinyin_key

LIMIT = 5
POOL = 50  # best-scored ids the usage tie-break looks at
SYNONYM = 0.8
TYPO = 0.8
MIN_SHARE = 0.18
STRONGEST = 3
# Postings read per term, best weights first: a rare term's list is read whole, a very common character's
# only its best part (the entries where it matters most); bounds the work on 50,000 entries.
CAP_MAIN, CAP_MINOR = 300, 50


@dataclass
class Plan:
    """What a query searches for: {term: (id, idf, query weight)} and the score an entry must reach."""
    pieces: QueryPieces
    terms: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    threshold: float = 0.0


def _idf(df: int, docs: int) -> float:
    return math.log(1 + (docs - df + 0.5) / (df + 0.5))


def _synonym_terms(pieces: QueryPieces) -> dict[str, float]:
    """Terms of every other word in the synonym groups of words the query contains."""
    S = models.KnowledgeSynonym
    other = S.alias()
    subs = list(pieces.substrings())
    if not subs:
        return {}
    rows = (S.select(S.term, other.term).join(other, on=(S.grp == other.grp))
            .where(S.term.in_(subs) & (other.term != S.term)).tuples())
    terms: dict[str, float] = {}
    for said, word in rows:
        if said in word:  # 工伤 → 工伤保险 only narrows the query: its extra pieces would outrank 工伤 itself
            continue
        for term, weight in QueryPieces(word).terms.items():
            if weight >= 0.5:  # a synonym's lone characters add work, not meaning
                terms[term] = max(terms.get(term, 0.0), weight * SYNONYM)
    return terms


def _lookup(terms: list[str]) -> dict[str, tuple[int, int]]:
    T = models.KnowledgeTerm
    return {t: (i, df) for t, i, df in T.select(T.term, T.id, T.df).where(T.term.in_(terms) & (T.df > 0)).tuples()}


def _corrections(unknown: list[str]) -> dict[str, tuple[str, int, int]]:
    """For unknown two-character pieces: the most frequent known piece of the same sound (增殖 → 增值)."""
    keys = {pinyin_key(b): b for b in unknown if pinyin_key(b)}
    if not keys:
        return {}
    T = models.KnowledgeTerm
    best: dict[str, tuple[str, int, int]] = {}
    for term, tid, df, key in (T.select(T.term, T.id, T.df, T.pinyin)
                               .where(T.pinyin.in_(list(keys)) & (T.df > 0)).tuples()):
        wrong = keys[key]
        if wrong not in best or df > best[wrong][2]:
            best[wrong] = (term, tid, df)
    return best


def plan_query(query: str) -> Plan:
    """The weighted terms a query searches for (four small indexed lookups, no entry rows)."""
    pieces = QueryPieces(query)
    plan = Plan(pieces)
    if not pieces.terms:
        return plan
    wanted = dict(pieces.terms)
    swapped = {b[::-1]: b for b in pieces.bigrams}
    extra = _synonym_terms(pieces)
    known = _lookup(list({*wanted, *swapped, *extra}))
    docs = models.KnowledgeIndexStat.get_or_none(models.KnowledgeIndexStat.name == "docs")
    docs = docs.value if docs else 0
    reach = sorted((weight * _idf(known.get(term, (0, 0))[1], docs) for term, weight in wanted.items()),
                   reverse=True)
    for term, weight in wanted.items():
        if term in known:
            plan.terms[term] = (known[term][0], _idf(known[term][1], docs), weight)
    unknown = [b for b in pieces.bigrams if b not in known]
    fixes = {b: (s, *known[s]) for s, b in swapped.items() if b in unknown and s in known}
    fixes.update({b: fix for b, fix in _corrections([b for b in unknown if b not in fixes]).items()})
    for term, tid, df in fixes.values():
        _add(plan, term, tid, _idf(df, docs), TYPO * wanted.get(term, 1.0))
    for term, weight in extra.items():
        if term in known:
            _add(plan, term, known[term][0], _idf(known[term][1], docs), weight)
    # Against the query's strongest few terms, not all of them: a client's long question carries many terms
    # no entry has, yet one distinctive piece of it (拿钱, 跨区) is enough for a match.
    plan.threshold = MIN_SHARE * sum(reach[:STRONGEST])
    return plan


def _add(plan: Plan, term: str, tid: int, idf: float, weight: float) -> None:
    if term not in plan.terms or plan.terms[term][2] < weight:
        plan.terms[term] = (tid, idf, weight)


def _sql(plan: Plan, limit: int) -> str:
    P, E = models.KnowledgePosting._meta.table_name, models.KnowledgeEntry._meta.table_name
    parts = []
    for n, (term, (tid, idf, weight)) in enumerate(plan.terms.items()):
        cap = CAP_MAIN if weight >= 0.5 or not is_cjk(term) else CAP_MINOR
        # A typed float: PostgreSQL would otherwise sum in (slow) NUMERIC
        parts.append(f'SELECT entry_id, weight * CAST({idf * weight / SCALE:.9f} AS DOUBLE PRECISION) AS s FROM (SELECT entry_id, weight FROM "{P}" '
                     f'WHERE term_id = {int(tid)} ORDER BY weight DESC LIMIT {cap}) AS t{n}')
    union = " UNION ALL ".join(parts)
    return (f'SELECT e.id FROM (SELECT entry_id, SUM(s) AS score FROM ({union}) AS u GROUP BY entry_id '
            f'HAVING SUM(s) >= {plan.threshold:.6f} ORDER BY score DESC LIMIT {POOL}) AS x '
            f'JOIN "{E}" AS e ON e.id = x.entry_id AND e.audited '
            f'ORDER BY ROUND(CAST(x.score AS NUMERIC), 3) DESC, e.hits DESC, e.id LIMIT {int(limit)}')


def search_ids(query: str, limit: int = LIMIT, plan: Plan | None = None) -> list[int]:
    """Ids of the best ``limit`` audited entries for ``query``, best first (one SQL, ``limit`` rows back)."""
    plan = plan or plan_query(query)
    if not plan.terms:
        return []
    return [row[0] for row in models.db.execute_sql(_sql(plan, limit)).fetchall()]


def search_entries(query: str, limit: int = LIMIT) -> list[models.KnowledgeEntry]:
    """The best ``limit`` audited entries for ``query``, best first."""
    ids = search_ids(query, limit)
    E = models.KnowledgeEntry
    by_id = {e.id: e for e in E.select().where(E.id.in_(ids))} if ids else {}
    return [by_id[i] for i in ids if i in by_id]


def highlight_terms(plan: Plan) -> list[str]:
    """The pieces worth marking in a snippet: what the query (with synonyms and corrections) matched, longest
    first; a lone character only when it was the whole Chinese part of the query."""
    return sorted((t for t, (_, _, w) in plan.terms.items() if len(t) > 1 or w >= 0.5), key=len, reverse=True)


def find(query: str, limit: int = LIMIT) -> tuple[list[models.KnowledgeEntry], list[str]]:
    """(best entries, terms to highlight) for a query: what the sidebar shows."""
    plan = plan_query(query)
    ids = search_ids(query, limit, plan)
    E = models.KnowledgeEntry
    by_id = {e.id: e for e in E.select().where(E.id.in_(ids))} if ids else {}
    return [by_id[i] for i in ids if i in by_id], highlight_terms(plan)
