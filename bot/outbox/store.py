"""The outbox's rows in reminder_outbox; synchronous, run on the database thread, each step one transaction.

Three sorts of rows share the table:
- an *item* is one reminder (kind | client | due date or period | recipient), unique by dedupe_key, written
  before anything is sent. Its wecom_msgid is NULL while it waits, "digest:<uuid>" while it rides in a digest
  that has not been delivered, and WeCom's msgid once delivered.
- a *digest* (kind 'digest') is one message to one member carrying several items, and a *reply* (kind
  'reply') one message of a late command reply: their payload keeps the exact message, so a send whose
  outcome is unknown is repeated byte for byte and WeCom's duplicate check absorbs it (the state machine:
  bot/outbox/sends.py). sent_at is the start of the latest attempt, which is what the caps count.
States: pending -> sent | failed | dropped (the records showed the matter done before sending, X2) | uncertain.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from peewee import Case, fn

import models
from models import ReminderOutbox as Row

DIGEST = "digest"
REPLY = "reply"
MESSAGES = (DIGEST, REPLY)  # the rows that are messages (the rest are items riding in digests)
CLAIM = "digest:"
_PG_LOCK_SPACE = 0x5A46_0005  # advisory lock namespace of the outbox (with hashtext(recipient))

Render = Callable[[str, list[dict]], dict]  # (kind, item payloads) -> stored message
Recheck = Callable[[list[dict]], dict]      # item dicts -> {id: None (done) | fresh values}


@dataclass(frozen=True)
class Limits:
    per_minute: int
    per_hour: int
    in_flight: float   # seconds
    retry_base: float  # seconds
    max_attempts: int
    dup_window: int = 14400      # seconds of WeCom's duplicate check asked for on every message/send
    margin: float = 70.0         # seconds kept clear of the window's end: the request itself, clock drift
    reply_retry_base: float = 5.0


def limits_of(config) -> Limits:
    """The outbox's limits from the configuration (bot.config.settings.Config)."""
    jobs = config.jobs
    return Limits(jobs.per_minute_cap, jobs.per_hour_cap, jobs.in_flight_timeout, jobs.retry_base,
                  jobs.max_attempts, jobs.duplicate_check_interval, config.wecom.request_timeout + 60,
                  jobs.reply_retry_base)


def message_hash(message: dict) -> str:
    """Identifies a message's content (what WeCom's duplicate check compares)."""
    return hashlib.sha256(json.dumps(message, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass
class Tick:
    """What one round of sending should try: digest ids per recipient, and when capacity frees up."""
    plan: dict[str, list[int]] = field(default_factory=dict)
    wake: datetime | None = None


@dataclass
class Attempt:
    action: str  # send | upload (a reply's media first) | defer | gone
    message: dict | None = None
    until: datetime | None = None
    dropped: int = 0
    recipient: str = ""
    dup_window: int = 0          # seconds of duplicate check to ask for (0: none)
    resend_within: float = 0.0   # seconds from now a repeat of an unsure attempt is still swallowed
    uncertain: int = 0           # rows given up as uncertain instead of being sent
    media: dict | None = None    # upload: {"type", "filename", "content_type"}
    data: bytes | None = None


@dataclass(frozen=True)
class Outcome:
    digest_id: int
    result: str  # ok | unknown | refused | permanent
    msgid: str = ""
    error: str = ""


def _chunks(seq: list, size: int):
    for start in range(0, len(seq), size):
        yield seq[start:start + size]


def earliest(*times: datetime | None) -> datetime | None:
    """The soonest of the given times, ignoring None."""
    present = [t for t in times if t is not None]
    return min(present) if present else None


# ---- items --------------------------------------------------------------------------------------------

def existing_keys(keys: list[str]) -> set[str]:
    """The dedupe keys among `keys` that already have a row."""
    found: set[str] = set()
    for chunk in _chunks(keys, 500):
        found.update(k for (k,) in Row.select(Row.dedupe_key).where(Row.dedupe_key.in_(chunk)).tuples())
    return found


def insert_items(rows: list[dict]) -> list[str]:
    """Insert item rows not yet present; return the dedupe keys that were new."""
    with models.db.atomic():
        seen = existing_keys([r["dedupe_key"] for r in rows])
        new = [r for r in rows if r["dedupe_key"] not in seen]
        for chunk in _chunks(new, 200):
            Row.insert_many(chunk).on_conflict_ignore().execute()
    return [r["dedupe_key"] for r in new]


def _due(now: datetime):
    return Row.next_attempt_at.is_null() | (Row.next_attempt_at <= now)


def _usage(recipients: list[str], now: datetime) -> dict[str, tuple[int, int]]:
    """recipient -> (attempts in the last minute, attempts in the last hour)."""
    minute_ago, hour_ago = now - timedelta(minutes=1), now - timedelta(hours=1)
    usage = {}
    for chunk in _chunks(recipients, 500):
        query = (Row.select(Row.recipient_userid, fn.SUM(Case(None, [(Row.sent_at > minute_ago, 1)], 0)),
                            fn.COUNT(Row.id))
                 .where(Row.kind.in_(MESSAGES) & (Row.state != "dropped") & (Row.sent_at > hour_ago)
                        & Row.recipient_userid.in_(chunk))
                 .group_by(Row.recipient_userid))
        usage.update({r: (int(m or 0), int(h or 0)) for r, m, h in query.tuples()})
    return usage


def capacity_at(recipient: str, now: datetime, limits: Limits) -> datetime | None:
    """None if `recipient` may get a message now, else when both caps next allow one."""
    minute_ago, hour_ago = now - timedelta(minutes=1), now - timedelta(hours=1)
    times = [t for (t,) in Row.select(Row.sent_at)
             .where(Row.kind.in_(MESSAGES) & (Row.state != "dropped") & (Row.recipient_userid == recipient)
                    & (Row.sent_at > hour_ago))
             .order_by(Row.sent_at).tuples()]
    last_minute = [t for t in times if t > minute_ago]
    waits = []
    if len(last_minute) >= limits.per_minute:  # wait until enough of them leave the window
        waits.append(last_minute[len(last_minute) - limits.per_minute] + timedelta(minutes=1, milliseconds=1))
    if len(times) >= limits.per_hour:
        waits.append(times[len(times) - limits.per_hour] + timedelta(hours=1, milliseconds=1))
    return max(waits) if waits else None


def lock_recipient(recipient: str) -> None:
    """Serialise cap checks for one member across processes (SQLite's IMMEDIATE already does)."""
    if models.is_postgres():
        models.db.execute_sql("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_PG_LOCK_SPACE, recipient))


def _lock_compose() -> None:
    if models.is_postgres():
        models.db.execute_sql("SELECT pg_advisory_xact_lock(%s, 0)", (_PG_LOCK_SPACE,))


# ---- one round: pick digests to (re)send and compose new ones -----------------------------------------

@dataclass
class Round:
    """One round of sending, read without holding a transaction: each member's due digests, and the groups
    of waiting items (member, kind, item ids) that their caps allow composing now."""
    digests: dict[str, list[int]] = field(default_factory=dict)
    groups: list[tuple[str, str, list[int]]] = field(default_factory=list)
    wake: datetime | None = None

    def tick(self) -> Tick:
        return Tick({r: ids for r, ids in sorted(self.digests.items()) if ids}, self.wake)


def read_round(now: datetime, kinds: list[str], limits: Limits) -> Round:
    """What a round should send and compose (ids only: cheap to read, a member's rows are read as composed)."""
    work = Round()
    for digest_id, recipient in (Row.select(Row.id, Row.recipient_userid)
                                 .where((Row.kind == DIGEST) & (Row.state == "pending") & _due(now))
                                 .order_by(Row.created_at, Row.id).tuples()):
        work.digests.setdefault(recipient, []).append(digest_id)
    groups: dict[str, dict[str, list[int]]] = {}
    for item_id, kind, recipient in (Row.select(Row.id, Row.kind, Row.recipient_userid)
                                     .where((Row.state == "pending") & Row.kind.in_(kinds) & Row.wecom_msgid.is_null()
                                            & _due(now))
                                     .order_by(Row.created_at, Row.id).tuples()):
        groups.setdefault(recipient, {}).setdefault(kind, []).append(item_id)
    usage = _usage(sorted(set(work.digests) | set(groups)), now)
    for recipient in sorted(set(work.digests) | set(groups)):
        used_minute, used_hour = usage.get(recipient, (0, 0))
        budget = min(limits.per_minute - used_minute, limits.per_hour - used_hour) \
            - len(work.digests.get(recipient, []))
        waiting = list(groups.get(recipient, {}).items())
        work.groups += [(recipient, kind, ids) for kind, ids in waiting[:max(budget, 0)]]
        if len(waiting) > max(budget, 0):
            work.wake = earliest(work.wake, capacity_at(recipient, now, limits) or now + timedelta(seconds=1))
    return work


def draft_group(kind: str, ids: list[int], render: Render) -> tuple[list[dict], dict]:
    """A group's items and rendered message, read and rendered outside any transaction (compose_group keeps
    them when it claims exactly these items)."""
    rows = Row.select(Row.id, Row.client, Row.payload).where(Row.id.in_(ids) & (Row.state == "pending")
                                                             & Row.wecom_msgid.is_null())
    items = order_items(item_dicts(rows))
    return items, render(kind, items)


def compose_group(recipient: str, kind: str, ids: list[int], now: datetime, render: Render,
                  draft: tuple[list[dict], dict] | None = None) -> int | None:
    """One digest of a round (read_round) in its own short transaction; None if another process took them."""
    with models.db.atomic():
        _lock_compose()
        return _compose(recipient, kind, ids, now, render, draft)


def plan_tick(now: datetime, kinds: list[str], limits: Limits, render: Render) -> Tick:
    """Due digests, plus new digests composed from waiting items within each member's caps: a whole round in
    one transaction (the sender composes one digest per transaction instead: engine.Outbox._plan_round)."""
    with models.db.atomic():
        _lock_compose()
        work = read_round(now, kinds, limits)
        for recipient, kind, ids in work.groups:
            digest_id = _compose(recipient, kind, ids, now, render)
            if digest_id is not None:
                work.digests.setdefault(recipient, []).append(digest_id)
    return work.tick()


def item_dicts(rows) -> list[dict]:
    """Item rows as the dicts templates and re-checks get: the payload plus id and client_id."""
    return [{**(row.payload or {}), "id": row.id, "client_id": row.client_id} for row in rows]


def order_items(items: list[dict]) -> list[dict]:
    """A digest's order: the item's own `order` (e.g. days left), then client, then age."""
    return sorted(items, key=lambda item: (item.get("order", 0), item.get("client", ""), item["id"]))


def _compose(recipient: str, kind: str, ids: list[int], now: datetime, render: Render,
             draft: tuple[list[dict], dict] | None = None) -> int | None:
    token = uuid.uuid4().hex
    marker = CLAIM + token
    claimed = (Row.update(wecom_msgid=marker)
               .where(Row.id.in_(ids) & (Row.state == "pending") & Row.wecom_msgid.is_null())
               .execute())  # conditional: two processes composing at once cannot both take an item
    if not claimed:
        return None  # another process took them first
    if draft is not None and claimed == len(draft[0]) == len(ids):  # the draft is of exactly these items
        items, message = draft
    else:
        rows = Row.select(Row.id, Row.client, Row.payload).where(Row.id.in_(ids) & (Row.wecom_msgid == marker))
        items = order_items(item_dicts(rows))
        message = render(kind, items)
    payload = {"kind": kind, "items": [i["id"] for i in items], "message": message}
    return Row.insert(dedupe_key=f"{DIGEST}|{token}", kind=DIGEST, recipient_userid=recipient, payload=payload,
                      state="pending", created_at=now, next_attempt_at=now).execute()


# ---- looking ahead -----------------------------------------------------------------------------------------

def next_wake(now: datetime, kinds: list[str]) -> datetime | None:
    """The earliest future time a pending digest or waiting item becomes due."""
    digest = (Row.select(fn.MIN(Row.next_attempt_at))
              .where((Row.kind == DIGEST) & (Row.state == "pending") & (Row.next_attempt_at > now)).scalar())
    item = (Row.select(fn.MIN(Row.next_attempt_at))
            .where((Row.state == "pending") & Row.kind.in_(kinds) & Row.wecom_msgid.is_null()
                   & (Row.next_attempt_at > now)).scalar())
    return earliest(*(models.AwareDateTimeField().python_value(t) for t in (digest, item)))


def pending_count(kinds: list[str]) -> int:
    """Items still waiting to be delivered (claimed or not), and digests not yet finished."""
    return Row.select().where((Row.state == "pending") & (Row.kind.in_(kinds) | (Row.kind == DIGEST))).count()
