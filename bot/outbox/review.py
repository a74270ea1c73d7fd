"""A digest's re-check against the records (X2) just before it is sent, split so the slow part stays out of
the write transaction: review() reads the digest's items and asks the kind's re-check (tens of queries and
a render, ~10-30 ms for a digest of 50 items), beside the writer; the transaction that marks the send in
flight (sends._begin) applies the outcome in a few ms, if the digest row is still exactly as reviewed, and
reviews again inside otherwise. On SQLite this is what keeps a sweep's sends from holding the single writer
(and so every callback's claim) for tens of ms each (bench/sweep_latency.py). Runs on a database thread.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.outbox.store import CLAIM, DIGEST, Recheck, Render, Row, item_dicts, order_items


@dataclass
class Review:
    """What the re-check found: item ids the records show done, fresh payloads of changed items, and the
    digest's payload with its remaining items (and message, re-rendered when nothing may be in doubt)."""
    payload: dict
    done: list[int] = field(default_factory=list)
    fresh: dict[int, dict] = field(default_factory=dict)
    remaining: int = 0


@dataclass(frozen=True)
class Reviewed:
    """review() of a digest as read outside the transaction, with what the row looked like then."""
    seen: tuple
    review: Review

    def still(self, row) -> bool:
        """Whether `row` (read again inside the transaction) is unchanged since, so the review holds."""
        return _version(row) == self.seen


def _version(row) -> tuple:
    return row.state, row.attempts, row.next_attempt_at, row.maybe_sent_at, row.payload


def review(digest, rechecks: dict[str, Recheck | None], render: Render | None) -> Review:
    """The re-check of `digest` (a digest row), reading only."""
    payload = dict(digest.payload)
    marker = CLAIM + digest.dedupe_key.split("|", 1)[1]
    items = item_dicts(Row.select().where(Row.id.in_(payload["items"]) & (Row.wecom_msgid == marker)
                                          & (Row.state == "pending")))
    check = rechecks.get(payload["kind"])
    verdicts = check(items) if check and items else {}
    found = Review(payload, done=[i["id"] for i in items if i["id"] in verdicts and verdicts[i["id"]] is None])
    in_doubt = digest.maybe_sent_at is not None  # WeCom may hold it: only the identical bytes may follow
    remaining = []
    for item in items:
        if verdicts.get(item["id"], {}) is None:
            continue
        fresh = {k: v for k, v in (verdicts.get(item["id"]) or {}).items() if item.get(k) != v}
        if fresh and not in_doubt:  # e.g. a partly paid receivable: show what is owed now
            item = {**item, **fresh}
            found.fresh[item["id"]] = {k: v for k, v in item.items() if k not in ("id", "client_id")}
        remaining.append(item)
    if remaining and (found.done or found.fresh) and not in_doubt:
        payload["message"] = render(payload["kind"], order_items(remaining))
    payload["items"] = [i["id"] for i in remaining]
    found.remaining = len(remaining)
    return found


def apply(found: Review, now: datetime) -> None:
    """Write what review() found about the items (inside the send's transaction)."""
    if found.done:
        Row.update(state="dropped", resolved_at=now, wecom_msgid=None).where(Row.id.in_(found.done)).execute()
    for item_id, payload in found.fresh.items():
        Row.update(payload=payload).where(Row.id == item_id).execute()


def review_ahead(digest_id: int, now: datetime, rechecks: dict[str, Recheck | None],
                 render: Render | None) -> Reviewed | None:
    """review() of a pending, due digest, read outside any transaction (None: nothing to review)."""
    row = Row.get_or_none(Row.id == digest_id)
    if row is None or row.kind != DIGEST or row.state != "pending" or (row.next_attempt_at or now) > now:
        return None
    return Reviewed(_version(row), review(row, rechecks, render))
