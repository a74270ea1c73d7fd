"""Searches that found entries but led nowhere (X8, "有结果但未发送"): the second kind of knowledge gap.

No timer per search: ``record_search`` keeps a row (member, query, when, result count, ``until`` = when + the
window), ``mark_used`` flags the member's open rows when they send or open an entry (rules.use_entry), and
``fold`` — run when the gaps page opens — turns rows past their window that were never used into gap counts
(KnowledgeGap.unsent) and deletes every row past its window. Bounded: ``fold`` reads at most BATCH rows, rows
older than KEEP are pruned whenever a search is recorded, and a member typing (发 → 发票 → 发票抬头) leaves one
gap, not three: a search whose query a later search of the same member within the window extends is skipped.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import models
from handlers.knowledge.gaps import remember_asker

S, G = models.KnowledgeSearch, models.KnowledgeGap
KEEP = timedelta(days=30)
BATCH = 2000
UNSENT, NONE = "有结果但未发送", "无结果"


def who_of(userid: str, staff) -> str:
    """The key a member's searches and gap asks go under: their WeCom userid, else staff:<id>."""
    return (userid or (f"staff:{staff.id}" if staff is not None else ""))[:64]


def record_search(query: str, userid: str, staff, results: int, now: datetime, window_minutes: int) -> None:
    """Keep a search that found ``results`` entries until its window ends (inside a write transaction)."""
    who = who_of(userid, staff)
    if not who or results <= 0:
        return
    S.delete().where(S.until < now - KEEP).execute()  # the backstop when nobody opens the gaps page
    S.insert(userid=who, staff=getattr(staff, "id", None), query=query.lower()[:255], at=now,
             until=now + timedelta(minutes=window_minutes), results=results).execute()


def mark_used(who: str, now: datetime) -> int:
    """The member sent or opened an entry: every search of theirs still in its window led somewhere."""
    if not who:
        return 0
    return S.update(used=True).where((S.userid == who) & (S.until >= now) & (S.used == False)).execute()  # noqa: E712


def _superseded(row, later: list) -> bool:
    """A later search of the same member within this one's window that extends its query (typing on)."""
    return any(o.id != row.id and o.userid == row.userid and row.at <= o.at <= row.until
               and o.query != row.query and o.query.startswith(row.query) for o in later)


def fold(now: datetime, daily_cap: int) -> int:
    """Turn expired, unused searches into gaps and drop expired rows; returns the gaps counted."""
    expired = list(S.select().where(S.until < now).order_by(S.id).limit(BATCH))
    if not expired:
        return 0
    users = sorted({r.userid for r in expired})
    nearby = list(S.select().where(S.userid.in_(users) & (S.at >= min(r.at for r in expired))))
    seen, per_member, counted = set(), {}, 0
    for row in expired:
        key = (row.userid, row.query)
        if row.used or key in seen or _superseded(row, nearby):
            continue
        seen.add(key)
        if daily_cap <= 0 or per_member.get(row.userid, 0) >= daily_cap:
            continue  # the same bound as no-result gaps: one member cannot flood the list
        per_member[row.userid] = per_member.get(row.userid, 0) + 1
        _count(row, now)
        counted += 1
    S.delete().where(S.id.in_([r.id for r in expired])).execute()
    return counted


def _count(row, now: datetime) -> None:
    (G.insert(query=row.query, times=1, unsent=1, last_userid=row.userid, first_at=row.at, last_at=row.at)
     .on_conflict(conflict_target=[G.query], update={G.times: G.times + 1, G.unsent: G.unsent + 1,
                                                     G.last_userid: row.userid})
     .execute())
    G.update(last_at=row.at).where((G.query == row.query) & (G.last_at < row.at)).execute()
    gap = G.get(G.query == row.query)
    staff = models.Staff.get_or_none(models.Staff.id == row.staff_id) if row.staff_id else None
    remember_asker(gap, row.userid, staff, now)


def reasons(gap: models.KnowledgeGap) -> list[tuple[str, int]]:
    """(reason, count) for the gaps page: 无结果 and/or 有结果但未发送."""
    unsent = min(gap.unsent or 0, gap.times)
    return [(label, n) for label, n in ((NONE, gap.times - unsent), (UNSENT, unsent)) if n > 0]
