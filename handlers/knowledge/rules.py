"""知识: search the audited knowledge base, best first; a search that finds nothing is kept as a gap (B9, X8)."""
from __future__ import annotations

import re
from datetime import date
from functools import reduce
from operator import or_

import models

LIMIT = 5
MAX_QUERY = 40
GRAM_SHARE = 0.6  # share of a query's two-character pieces an entry must contain to match without a whole word
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _pieces(query: str) -> tuple[list[str], list[str]]:
    """(words, two-character pieces): Chinese is typed without spaces, so 小规模增值税 still finds
    「小规模纳税人增值税征收率」 through 小规、规模、增值、值税."""
    words = query.split()
    grams = sorted({w[i:i + 2] for w in words if len(w) > 2 and _CJK.search(w) for i in range(len(w) - 1)
                    if _CJK.search(w[i:i + 2])})
    return words, grams


def _rank(entry: models.KnowledgeEntry, query: str, words: list[str], grams: list[str]):
    """Title matches first, then the brief and answer; ties by how often the entry was used."""
    title, body = entry.title, f"{entry.brief}\n{entry.answer}"
    title_words = sum(w in title for w in words)
    body_words = sum(w in body for w in words)
    gram_hits = sum(g in title or g in body for g in grams)
    if not (title_words or body_words or (grams and gram_hits >= GRAM_SHARE * len(grams))):
        return None
    return (query in title, title_words, sum(g in title for g in grams), body_words, gram_hits, entry.hits)


def search_entries(query: str) -> list[models.KnowledgeEntry]:
    """Audited entries matching ``query``, best first, at most LIMIT."""
    words, grams = _pieces(query)
    E = models.KnowledgeEntry
    match = reduce(or_, [E.title.contains(p) | E.brief.contains(p) | E.answer.contains(p) for p in words + grams])
    ranked = []
    for entry in E.select().where((E.audited == True) & match):  # noqa: E712 - SQL, not Python truth
        rank = _rank(entry, query, words, grams)
        if rank is not None:
            ranked.append((rank, -entry.id, entry))
    ranked.sort(key=lambda r: (r[0], r[1]), reverse=True)
    return [entry for _, _, entry in ranked[:LIMIT]]


def record_gap(query: str, userid: str, staff: models.Staff, today: date, daily_cap: int,
               audit: bool = True) -> bool:
    """Count a search that found nothing, so a maintainer can write the entry (inside a write transaction).

    A query counts once per member and day, and a member adds at most ``daily_cap`` queries a day (config
    knowledge.gaps_per_member_daily): searching as one types, or a script, cannot grow the list without bound.
    ``audit`` records the first time a query is seen; the sidebar's GET passes False, so reading never writes
    an audit row. True when the query is on record for today (now or earlier), False when the cap stopped it."""
    G, A, key, now = models.KnowledgeGap, models.KnowledgeGapAsk, query.lower()[:255], models.utcnow()
    who = (userid or f"staff:{staff.id}")[:64]
    A.delete().where((A.userid == who) & (A.day < today)).execute()  # only today's marks are ever read
    mine_today = A.select().where((A.userid == who) & (A.day == today))
    if mine_today.where(A.query == key).exists():
        return True
    if mine_today.count() >= daily_cap:
        return False
    if A.insert(userid=who, day=today, query=key).on_conflict_ignore().as_rowcount().execute() != 1:
        return True  # the same member's same question at the same moment: counted by the other request
    # An upsert: two members asking the same new question at once must not collide on the unique query.
    (G.insert(query=key, times=1, last_userid=userid, first_at=now, last_at=now)
     .on_conflict(conflict_target=[G.query], update={G.times: G.times + 1, G.last_userid: userid, G.last_at: now})
     .execute())
    gap = G.get(G.query == key)
    if gap.times == 1 and audit:
        models.audit(staff, "knowledge.gap", gap, after={"query": key})
    return True
