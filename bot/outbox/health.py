"""What the outbox could not settle, for people: messages that may or may not have arrived ("uncertain").

An uncertain row was possibly delivered (an unsure answer or a crash mid-send) and WeCom's duplicate check
no longer covers a repeat, so it is never sent again by itself. These functions count and list them for
`python -m bot jobs`, the /reminders page and the health page; they run on the database thread.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import fn

import models
from bot.outbox.store import DIGEST, REPLY
from models import ReminderOutbox as Row

_SHOWN = 60  # characters of a late reply shown in a listing


@dataclass(frozen=True)
class UncertainRow:
    id: int
    kind: str           # a job's kind (arrears, arrears.summary, arrears.client …) or 'reply'
    recipient: str      # the member's userid (a client push: the customer's external userid)
    since: datetime | None  # when the attempt that may have arrived started
    what: str           # a short description: the client and matter, or the reply's first words
    error: str


def _uncertain():
    # Digests are containers: their items (and late replies) are what people recognise and count.
    return (Row.state == "uncertain") & (Row.kind != DIGEST)


def uncertain_count() -> int:
    """Reminders, client pushes, summaries and late replies that may or may not have arrived."""
    return Row.select().where(_uncertain()).count()


def _describe(row) -> str:
    payload = row.payload or {}
    if row.kind == REPLY:
        message = payload.get("message") or {}
        body = message.get(message.get("msgtype", ""), {}) if message else {}
        media = payload.get("media") or {}
        text = body.get("content") or body.get("title") or media.get("filename") or ""
        return "命令回复：" + (text[:_SHOWN] + ("…" if len(text) > _SHOWN else ""))
    parts = [payload.get("client") or payload.get("client_name") or payload.get("job_title") or "",
             payload.get("item") or payload.get("service") or payload.get("period") or ""]
    return " ".join(p for p in parts if p) or row.kind


def uncertain_rows(limit: int = 200, recipient: str | None = None) -> list[UncertainRow]:
    """The uncertain rows, newest first (optionally one member's)."""
    query = Row.select().where(_uncertain())
    if recipient is not None:
        query = query.where(Row.recipient_userid == recipient)
    return [UncertainRow(row.id, row.kind, row.recipient_userid, row.sent_at or row.maybe_sent_at,
                         _describe(row), row.last_error or "")
            for row in query.order_by(Row.id.desc()).limit(limit)]


def outbox_health() -> dict:
    """A summary for the health page: uncertain rows (count, oldest, by kind) and what is still pending."""
    by_kind = dict(Row.select(Row.kind, fn.COUNT(Row.id)).where(_uncertain()).group_by(Row.kind).tuples())
    oldest = Row.select(fn.MIN(Row.created_at)).where(_uncertain()).scalar()
    pending = Row.select().where((Row.state == "pending") & (Row.kind != DIGEST)).count()
    return {"uncertain": sum(by_kind.values()), "uncertain_by_kind": by_kind,
            "oldest_uncertain": models.AwareDateTimeField().python_value(oldest), "pending": pending}
