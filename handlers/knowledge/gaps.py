"""Knowledge gaps (X8): who asked what the knowledge base could not answer, the draft written for it, and the
message each asker gets once that draft is audited (through the outbox, exactly once, like a late reply).

Functions run inside the caller's write transaction, so a gap is marked answered in the same commit that
queues its messages: auditing twice, or two maintainers at once, cannot tell anyone twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from peewee import JOIN

import models
from bot.outbox.replies import Part, reply_rows
from bot.outbox.store import Row
from bot.router import UserError

G, A = models.KnowledgeGap, models.KnowledgeGapAsker
STATES = {"open": "待补充", "drafted": "已起草", "answered": "已解答"}


@dataclass(frozen=True)
class Notice:
    """A message owed to one asker: their question now has an audited answer."""
    key: str  # the outbox dedupe key
    userid: str
    query: str
    title: str
    brief: str


def remember_asker(gap: models.KnowledgeGap, who: str, staff, now: datetime) -> None:
    """Count ``who`` (once a day, see rules.record_gap) among the gap's askers; asking again after it was
    answered reopens it, since the answer evidently did not reach them."""
    updated = (A.update(times=A.times + 1, last_at=now, notified_at=None, staff=getattr(staff, "id", None))
               .where((A.gap == gap.id) & (A.userid == who)).execute())
    if not updated:
        A.insert(gap=gap.id, userid=who, staff=getattr(staff, "id", None), last_at=now).on_conflict_ignore().execute()
    if gap.answered_at is not None:
        G.update(answered_at=None).where(G.id == gap.id).execute()


def state_of(gap: models.KnowledgeGap) -> str:
    if gap.answered_at is not None:
        return "answered"
    return "drafted" if gap.draft_id else "open"


def get(gap_id: int) -> models.KnowledgeGap:
    gap = G.get_or_none(G.id == gap_id)
    if gap is None:
        raise UserError("这个知识库缺口不存在（可能已被忽略）")
    return gap


def attach_draft(actor, gap_id: int, entry: models.KnowledgeEntry) -> None:
    """Mark ``entry`` as the answer being written for the gap (its askers are told when it is audited)."""
    gap = get(gap_id)
    G.update(draft=entry.id).where(G.id == gap.id).execute()
    models.audit(actor, "knowledge.gap_draft", gap, after={"query": gap.query, "entry": entry.id})


def answered(entry: models.KnowledgeEntry, now: datetime) -> list[Notice]:
    """The entry was just audited: close the gaps it answers and return one notice per asker not yet told."""
    notices = []
    for gap in G.select().where((G.draft == entry.id) & G.answered_at.is_null()):
        G.update(answered_at=now).where(G.id == gap.id).execute()
        askers = list(A.select(A, models.Staff).join(models.Staff, on=(A.staff == models.Staff.id), join_type=JOIN.LEFT_OUTER)
                      .where((A.gap == gap.id) & A.notified_at.is_null()))
        for asker in askers:
            userid = _recipient(asker)
            if userid:
                notices.append(Notice(f"knowledge-gap:{gap.id}:{asker.id}:{now.timestamp():.0f}", userid,
                                      gap.query, entry.title, entry.brief))
        A.update(notified_at=now).where(A.id.in_([a.id for a in askers])).execute()
    return notices


def _recipient(asker: models.KnowledgeGapAsker) -> str:
    """The WeCom userid to tell: the member's binding now, else the userid they asked from."""
    if asker.staff_id and asker.staff and asker.staff.wecom_userid and asker.staff.active:
        return asker.staff.wecom_userid
    return "" if asker.userid.startswith("staff:") else asker.userid


def queue(notices: list[Notice], render: Callable[[Notice], str], now: datetime) -> int:
    """Write the notices as outbox rows (the late-reply path: sent once, retried, in the same transaction)."""
    rows = []
    for notice in notices:
        part = Part(message={"msgtype": "text", "text": {"content": render(notice)}})
        rows += reply_rows(notice.key, notice.userid, [part], now)
    if rows:
        Row.insert_many(rows).on_conflict_ignore().execute()
    return len(rows)


def dismiss(actor, ids: list[int]) -> int:
    """忽略: drop gaps nobody will answer (typos, tests); their askers are not told."""
    chosen = list(G.select().where(G.id.in_(ids))) if ids else []
    if not chosen:
        raise UserError("请先勾选缺口")
    for gap in chosen:
        models.audit(actor, "knowledge.gap_dismiss", gap, before={"query": gap.query, "times": gap.times})
    G.delete().where(G.id.in_([g.id for g in chosen])).execute()
    return len(chosen)
