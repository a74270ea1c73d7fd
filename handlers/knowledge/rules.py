"""知识: search the audited knowledge base, best first; a search that finds nothing is kept as a gap (B9, X8)."""
from __future__ import annotations

from datetime import date

import models
from handlers.knowledge.gaps import remember_asker
from handlers.knowledge.search import search_entries
from handlers.knowledge.searchlog import mark_used

__all__ = ["MAX_QUERY", "record_gap", "search_entries", "use_entry"]

MAX_QUERY = 40


def use_entry(entry_id: int, who: str = "", now=None) -> models.KnowledgeEntry | None:
    """An audited entry sent or opened, its use counted (search's tie-break); None if gone or not audited.
    ``who`` (searchlog.who_of) sent or opened it: their recent searches led somewhere, so they are no gaps."""
    E = models.KnowledgeEntry
    entry = E.get_or_none((E.id == entry_id) & (E.audited == True))  # noqa: E712
    if entry is not None:
        E.update(hits=E.hits + 1).where(E.id == entry_id).execute()
        mark_used(who, now or models.utcnow())
    return entry


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
    remember_asker(gap, who, staff, now)  # who asked, to tell them once the answer is audited
    if gap.times == 1 and audit:
        models.audit(staff, "knowledge.gap", gap, after={"query": key})
    return True
