"""One send of the outbox: a state machine over a message row (a digest, or one message of a late reply).

    pending --begin--> in flight --finish--> sent | pending (retry) | failed | uncertain

begin (one transaction, before anything leaves): re-check a digest's items (read just before, beside the writer,
if the row has not changed since: bot/outbox/review.py) and the caps, then mark the row in flight (attempts + 1,
sent_at, next_attempt_at = now + in_flight) and set maybe_sent_at (if not set yet): from here on WeCom may have
the message, whatever happens to this process. finish records what WeCom answered:
- ok: sent.
- refused (nothing delivered: 45009, a token error, no connection): if no earlier attempt is in doubt,
  maybe_sent_at is cleared and the message tried again later (a digest's items ride in a later digest);
- permanent (e.g. 81013, member gone): failed;
- unknown (-1, timeout, 5xx, connection lost after sending; and a crash, found as an in-flight row whose time
  ran out): repeated byte for byte, with backoff, only while WeCom's duplicate check still swallows a repeat:
  the check is asked for at its maximum and counted from maybe_sent_at, less a margin. After that the row
  is *uncertain*: never sent again by itself, counted and listed (bot/outbox/health.py).
A refusal or a permanent error after an earlier doubtful attempt proves nothing about that attempt, so it
counts as unknown (or, permanent, as uncertain). Runs on the database thread; rows: bot/outbox/store.py.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

import models
from bot.outbox.review import Reviewed, apply, review
from bot.outbox.store import (
    CLAIM,
    DIGEST,
    MESSAGES,
    Attempt,
    Limits,
    Outcome,
    Recheck,
    Render,
    Row,
    capacity_at,
    lock_recipient,
    message_hash,
)


class Counts(NamedTuple):
    sent: int = 0       # items (digests) or replies delivered
    failed: int = 0
    uncertain: int = 0

    def __add__(self, other):  # type: ignore[override]
        return Counts(*(a + b for a, b in zip(self, other)))


def _for_update(row_id: int):
    query = Row.select().where(Row.id == row_id)
    return (query.for_update() if models.is_postgres() else query).first()


def _items_of(row, payload: dict):
    return Row.id.in_(payload.get("items", [])) & (Row.wecom_msgid == CLAIM + row.dedupe_key.split("|", 1)[1])


def repeat_deadline(row, payload: dict, limits: Limits) -> datetime | None:
    """The last moment a repeat may start and still be swallowed by WeCom (None: no repeat is safe)."""
    window = payload.get("dup_window") or 0
    if row.maybe_sent_at is None or not window:
        return None
    return row.maybe_sent_at + timedelta(seconds=window - limits.margin)


def _dup_window(row, message: dict, digest: str, now: datetime, limits: Limits) -> int:
    """The duplicate check to ask for: the maximum, unless WeCom would take this message for a repeat of an
    identical one this member got within the window (then none, and no blind repeats either)."""
    if message.get("msgtype") == "template":  # add_msg_template has no duplicate check
        return 0
    since = now - timedelta(seconds=limits.dup_window)
    twin = (Row.select(Row.id).where((Row.recipient_userid == row.recipient_userid) & (Row.message_hash == digest)
                                     & (Row.id != row.id) & Row.kind.in_(MESSAGES) & (Row.sent_at > since)
                                     & Row.state.in_(("pending", "sent", "uncertain"))).exists())
    return 0 if twin else limits.dup_window


def _send(row, payload: dict, now: datetime, limits: Limits, dropped: int = 0, count: bool = True) -> Attempt:
    """Mark `row` in flight with its message and say how long a repeat stays safe."""
    message = payload["message"]
    digest = message_hash(message)
    if row.maybe_sent_at is None:
        payload["dup_window"] = _dup_window(row, message, digest, now, limits)
    payload["prior_doubt"] = row.maybe_sent_at is not None
    maybe_sent_at = row.maybe_sent_at or now
    (Row.update(attempts=Row.attempts + (1 if count else 0), sent_at=now, maybe_sent_at=maybe_sent_at,
                message_hash=digest, payload=payload, next_attempt_at=now + timedelta(seconds=limits.in_flight))
     .where(Row.id == row.id).execute())
    window = payload["dup_window"]
    left = (maybe_sent_at + timedelta(seconds=window - limits.margin) - now).total_seconds() if window else 0.0
    return Attempt("send", message=message, dropped=dropped, recipient=row.recipient_userid, dup_window=window,
                   resend_within=max(left, 0.0))


def begin_attempts(digest_ids: list[int], now: datetime, limits: Limits, rechecks: dict[str, Recheck | None],
                   render: Render | None, reviewed: dict[int, Reviewed | None] | None = None) -> dict[int, Attempt]:
    """Just before sending a wave (one message per member): in one transaction, drop what is done, respect
    the caps and mark each attempt as in flight. `reviewed`: digests' re-checks done beforehand, outside the
    transaction (review.review_ahead), used when the row is unchanged since."""
    with models.db.atomic():
        rows = {r.id: r for r in Row.select(Row.id, Row.recipient_userid).where(Row.id.in_(digest_ids))}
        for recipient in sorted({r.recipient_userid for r in rows.values()}):  # one lock order everywhere
            lock_recipient(recipient)
        return {row_id: _begin(row_id, now, limits, rechecks, render, (reviewed or {}).get(row_id))
                for row_id in sorted(digest_ids)}


def begin_attempt(digest_id: int, now: datetime, limits: Limits, rechecks: dict[str, Recheck | None],
                  render: Render | None) -> Attempt:
    """begin_attempts for a single row."""
    return begin_attempts([digest_id], now, limits, rechecks, render)[digest_id]


def _begin(row_id: int, now: datetime, limits: Limits, rechecks: dict[str, Recheck | None],
           render: Render | None, reviewed: Reviewed | None = None) -> Attempt:
    row = _for_update(row_id)
    if row is None or row.state != "pending" or (row.next_attempt_at or now) > now:
        return Attempt("gone")  # sent, dropped, or in flight in another process
    payload, dropped = dict(row.payload), 0
    if row.kind == DIGEST:
        found = reviewed.review if reviewed is not None and reviewed.still(row) else review(row, rechecks, render)
        apply(found, now)
        payload, remaining, dropped = dict(found.payload), found.remaining, len(found.done)
        if not remaining:
            Row.update(state="dropped", resolved_at=now, payload=payload).where(Row.id == row_id).execute()
            return Attempt("gone", dropped=dropped)
    if row.maybe_sent_at is not None:  # an earlier attempt may have arrived (or this is a crash's leftover)
        deadline = repeat_deadline(row, payload, limits)
        if deadline is None or now >= deadline:
            error = row.last_error or "发送中断（进程退出），且已超出企业微信的重复消息检查时间"
            return Attempt("gone", dropped=dropped, uncertain=_give_up(row, payload, now, error))
    elif row.kind == DIGEST:  # (a repeat skips the caps: it must go inside the window, and is likely swallowed)
        until = capacity_at(row.recipient_userid, now, limits)
        if until is not None:
            Row.update(next_attempt_at=until, payload=payload).where(Row.id == row_id).execute()
            return Attempt("defer", until=until, dropped=dropped)
    if payload.get("message") is None:  # a reply's image or file: upload first (nothing reaches a member)
        payload["prior_doubt"] = False
        (Row.update(attempts=Row.attempts + 1, sent_at=now, payload=payload,
                    next_attempt_at=now + timedelta(seconds=limits.in_flight)).where(Row.id == row_id).execute())
        return Attempt("upload", recipient=row.recipient_userid, media=payload["media"], data=bytes(row.blob or b""))
    return _send(row, payload, now, limits, dropped)


def media_ready(row_id: int, media_id: str, now: datetime, limits: Limits) -> Attempt:
    """A reply's media is uploaded: store the message that carries it (so a repeat is identical), then send."""
    with models.db.atomic():
        row = _for_update(row_id)
        if row is None or row.state != "pending":
            return Attempt("gone")
        lock_recipient(row.recipient_userid)
        payload = dict(row.payload)
        kind = payload["media"]["type"]
        payload["message"] = {"msgtype": kind, kind: {"media_id": media_id}}
        return _send(row, payload, now, limits, count=False)


def _give_up(row, payload: dict, now: datetime, error: str) -> int:
    """The row (and a digest's items) become uncertain; returns how many reminders or replies that is."""
    payload.pop("prior_doubt", None)
    Row.update(state="uncertain", last_error=error[:500], payload=payload, next_attempt_at=None, blob=None) \
        .where(Row.id == row.id).execute()
    if row.kind != DIGEST:
        return 1
    return Row.update(state="uncertain", sent_at=row.maybe_sent_at, last_error=error[:500], wecom_msgid=None) \
        .where(_items_of(row, payload)).execute()


def _backoff(base: float, attempts: int) -> timedelta:
    return timedelta(seconds=min(base * 2 ** max(min(attempts, 12) - 1, 0), 3600))


def finish_many(outcomes: list[Outcome], now: datetime, limits: Limits) -> Counts:
    """Record a wave's outcomes in one transaction."""
    total = Counts()
    with models.db.atomic():
        for outcome in sorted(outcomes, key=lambda o: o.digest_id):
            total = total + _finish(outcome, now, limits)
    return total


def finish(digest_id: int, outcome: str, now: datetime, limits: Limits, msgid: str = "",
           error: str = "") -> Counts:
    """finish_many for a single row."""
    return finish_many([Outcome(digest_id, outcome, msgid, error)], now, limits)


def _finish(outcome: Outcome, now: datetime, limits: Limits) -> Counts:
    row = Row.get_or_none(Row.id == outcome.digest_id)
    if row is None or row.state != "pending":
        return Counts()
    result, error, this = outcome.result, outcome.error[:500], Row.id == outcome.digest_id
    payload = dict(row.payload)
    prior_doubt = payload.pop("prior_doubt", False)
    is_digest = row.kind == DIGEST
    if result == "ok":
        msgid = outcome.msgid or None
        Row.update(state="sent", sent_at=now, wecom_msgid=msgid, last_error=None, payload=payload,
                   next_attempt_at=None, blob=None).where(this).execute()
        if not is_digest:
            return Counts(sent=1)
        return Counts(sent=Row.update(state="sent", sent_at=now, wecom_msgid=msgid)
                      .where(_items_of(row, payload)).execute())
    if prior_doubt and result != "unknown":  # this answer says nothing about the earlier attempt
        result = "unknown" if result == "refused" else "uncertain"
    if result == "unknown":
        deadline = repeat_deadline(row, payload, limits)
        base = limits.retry_base if is_digest else limits.reply_retry_base
        at = min(now + _backoff(base, row.attempts), deadline) if deadline is not None else None
        if at is not None and at > now and row.attempts < limits.max_attempts:
            Row.update(last_error=error, payload=payload, next_attempt_at=at).where(this).execute()
            return Counts()
        result = "uncertain"
    if result == "uncertain":
        return Counts(uncertain=_give_up(row, payload, now, error))
    return _refused(row, payload, result, error, now, limits)


def _refused(row, payload: dict, result: str, error: str, now: datetime, limits: Limits) -> Counts:
    """WeCom delivered nothing (by this or any earlier attempt): try again later, or fail."""
    this = Row.id == row.id
    if row.kind != DIGEST:
        if result == "refused" and row.attempts < limits.max_attempts:
            Row.update(last_error=error, payload=payload, maybe_sent_at=None,
                       next_attempt_at=now + _backoff(limits.reply_retry_base, row.attempts)).where(this).execute()
            return Counts()
        Row.update(state="failed", last_error=error, payload=payload, maybe_sent_at=None, next_attempt_at=None,
                   blob=None).where(this).execute()
        return Counts(failed=1)
    Row.update(state="failed", last_error=error, payload=payload, maybe_sent_at=None, next_attempt_at=None) \
        .where(this).execute()
    mine = _items_of(row, payload)
    if result == "refused":  # WeCom refused before delivering: the items wait and ride again later
        return Counts(failed=_release(mine, now, limits, error))
    return Counts(failed=Row.update(state="failed", last_error=error, wecom_msgid=None).where(mine).execute())


def _release(items, now: datetime, limits: Limits, error: str) -> int:
    failed = 0
    for row in Row.select(Row.id, Row.attempts).where(items):
        attempts = row.attempts + 1
        if attempts >= limits.max_attempts:
            failed += Row.update(state="failed", attempts=attempts, last_error=error[:500], wecom_msgid=None) \
                .where(Row.id == row.id).execute()
        else:
            Row.update(attempts=attempts, last_error=error[:500], wecom_msgid=None,
                       next_attempt_at=now + _backoff(limits.retry_base, attempts)).where(Row.id == row.id).execute()
    return failed
