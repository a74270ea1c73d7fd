"""One send of the outbox: re-check, cap check and the in-flight mark just before; the outcome after.

Runs on the database thread; one transaction per wave of sends (bot/outbox/engine.py). Rows: see bot/outbox/store.py.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import models
from bot.outbox.store import (
    CLAIM,
    Attempt,
    Limits,
    Outcome,
    Recheck,
    Render,
    Row,
    capacity_at,
    item_dicts,
    lock_recipient,
    order_items,
)


def _digest_for_update(digest_id: int):
    query = Row.select().where(Row.id == digest_id)
    return (query.for_update() if models.is_postgres() else query).first()


def _recheck(digest, payload: dict, now: datetime, rechecks: dict[str, Recheck | None],
             render: Render) -> tuple[list[dict], int]:
    """The digest's items still to send (fresh values merged), and how many the records show done."""
    marker = CLAIM + digest.dedupe_key.split("|", 1)[1]
    items = item_dicts(Row.select().where(Row.id.in_(payload["items"]) & (Row.wecom_msgid == marker)
                                           & (Row.state == "pending")))
    check = rechecks.get(payload["kind"])
    verdicts = check(items) if check and items else {}
    done = [i["id"] for i in items if i["id"] in verdicts and verdicts[i["id"]] is None]
    if done:
        Row.update(state="dropped", resolved_at=now, wecom_msgid=None).where(Row.id.in_(done)).execute()
    remaining, changed = [], bool(done)
    for item in items:
        if verdicts.get(item["id"], {}) is None:
            continue
        fresh = {k: v for k, v in (verdicts.get(item["id"]) or {}).items() if item.get(k) != v}
        if fresh and not payload["in_doubt"]:  # e.g. a partly paid receivable: show what is owed now
            item, changed = {**item, **fresh}, True
            Row.update(payload={k: v for k, v in item.items() if k not in ("id", "client_id")}) \
                .where(Row.id == item["id"]).execute()
        remaining.append(item)
    if remaining and changed and not payload["in_doubt"]:
        payload["message"] = render(payload["kind"], order_items(remaining))  # nothing of it reached WeCom yet
    payload["items"] = [i["id"] for i in remaining]
    return remaining, len(done)


def begin_attempts(digest_ids: list[int], now: datetime, limits: Limits, rechecks: dict[str, Recheck | None],
                   render: Render) -> dict[int, Attempt]:
    """Just before sending a wave (one digest per member): in one transaction, drop what is done, respect
    the caps and mark each attempt as in flight."""
    with models.db.atomic():
        digests = {d.id: d for d in Row.select(Row.id, Row.recipient_userid).where(Row.id.in_(digest_ids))}
        for recipient in sorted({d.recipient_userid for d in digests.values()}):  # one lock order everywhere
            lock_recipient(recipient)
        return {digest_id: _begin(digest_id, now, limits, rechecks, render) for digest_id in sorted(digest_ids)}


def begin_attempt(digest_id: int, now: datetime, limits: Limits, rechecks: dict[str, Recheck | None],
                  render: Render) -> Attempt:
    """begin_attempts for a single digest."""
    return begin_attempts([digest_id], now, limits, rechecks, render)[digest_id]


def _begin(digest_id: int, now: datetime, limits: Limits, rechecks: dict[str, Recheck | None],
           render: Render) -> Attempt:
    digest = _digest_for_update(digest_id)
    if digest is None or digest.state != "pending" or (digest.next_attempt_at or now) > now:
        return Attempt("gone")  # sent, dropped, or in flight in another process
    payload = dict(digest.payload)
    remaining, dropped = _recheck(digest, payload, now, rechecks, render)
    if not remaining:
        Row.update(state="dropped", resolved_at=now, payload=payload).where(Row.id == digest_id).execute()
        return Attempt("gone", dropped=dropped)
    until = capacity_at(digest.recipient_userid, now, limits)
    if until is not None:
        Row.update(next_attempt_at=until, payload=payload).where(Row.id == digest_id).execute()
        return Attempt("defer", until=until, dropped=dropped)
    payload["prior_doubt"], payload["in_doubt"] = payload["in_doubt"], True
    (Row.update(attempts=Row.attempts + 1, sent_at=now, payload=payload,
                next_attempt_at=now + timedelta(seconds=limits.in_flight))
     .where(Row.id == digest_id).execute())
    return Attempt("send", message=payload["message"], dropped=dropped, recipient=digest.recipient_userid)


def _backoff(limits: Limits, attempts: int) -> timedelta:
    return timedelta(seconds=min(limits.retry_base * 2 ** max(min(attempts, 12) - 1, 0), 3600))


def finish_many(outcomes: list[Outcome], now: datetime, limits: Limits) -> tuple[int, int]:
    """Record a wave's outcomes in one transaction; returns (items sent, items failed)."""
    sent = failed = 0
    with models.db.atomic():
        for outcome in sorted(outcomes, key=lambda o: o.digest_id):
            s, f = _finish(outcome, now, limits)
            sent, failed = sent + s, failed + f
    return sent, failed


def advance(outcomes: list[Outcome], digest_ids: list[int], now: datetime, limits: Limits,
            rechecks: dict[str, Recheck | None], render: Render) -> tuple[int, int, dict[int, Attempt]]:
    """One commit per wave: record the last wave's outcomes, then begin the next wave."""
    with models.db.atomic():
        sent, failed = finish_many(outcomes, now, limits) if outcomes else (0, 0)
        return sent, failed, begin_attempts(digest_ids, now, limits, rechecks, render) if digest_ids else {}


def finish(digest_id: int, outcome: str, now: datetime, limits: Limits, msgid: str = "",
           error: str = "") -> tuple[int, int]:
    """finish_many for a single digest."""
    return finish_many([Outcome(digest_id, outcome, msgid, error)], now, limits)


def _finish(outcome: Outcome, now: datetime, limits: Limits) -> tuple[int, int]:
    digest = Row.get_or_none(Row.id == outcome.digest_id)
    if digest is None or digest.state != "pending":
        return 0, 0
    result, error, this = outcome.result, outcome.error[:500], Row.id == outcome.digest_id
    payload = dict(digest.payload)
    mine = Row.id.in_(payload["items"]) & (Row.wecom_msgid == CLAIM + digest.dedupe_key.split("|", 1)[1])
    if result == "ok":
        payload["in_doubt"], msgid = False, outcome.msgid or None
        Row.update(state="sent", sent_at=now, wecom_msgid=msgid, last_error=None, payload=payload,
                   next_attempt_at=None).where(this).execute()
        return Row.update(state="sent", sent_at=now, wecom_msgid=msgid).where(mine).execute(), 0
    if result == "refused" and payload.get("prior_doubt"):
        result = "unknown"  # an earlier attempt may have arrived: only an identical repeat is safe
    if result == "unknown" and digest.attempts < limits.max_attempts:
        Row.update(last_error=error, next_attempt_at=now + _backoff(limits, digest.attempts)).where(this).execute()
        return 0, 0
    payload["in_doubt"] = result == "unknown"
    Row.update(state="failed", last_error=error, payload=payload, next_attempt_at=None).where(this).execute()
    if result == "refused":  # WeCom refused before delivering: the items wait and ride again later
        return 0, _release(mine, now, limits, error)
    return 0, Row.update(state="failed", last_error=error, wecom_msgid=None).where(mine).execute()


def _release(items, now: datetime, limits: Limits, error: str) -> int:
    failed = 0
    for row in Row.select(Row.id, Row.attempts).where(items):
        attempts = row.attempts + 1
        if attempts >= limits.max_attempts:
            failed += Row.update(state="failed", attempts=attempts, last_error=error[:500], wecom_msgid=None) \
                .where(Row.id == row.id).execute()
        else:
            Row.update(attempts=attempts, last_error=error[:500], wecom_msgid=None,
                       next_attempt_at=now + _backoff(limits, attempts)).where(Row.id == row.id).execute()
    return failed


