"""Re-addressing a member's waiting reminders to someone else (a member leaves: handlers/staff/leaving.py).

Only what cannot have reached WeCom moves: items no digest has claimed, and the items of digests never
attempted (maybe_sent_at NULL), whose digest is dropped first. A digest that may have been sent keeps its
recipient, since only the identical message may follow it. The admins' summaries are addressed to an admin as
such, so they are dropped rather than moved; replies answer the member's own question and stay.
"""
from __future__ import annotations

from datetime import datetime

from bot.outbox.store import CLAIM, DIGEST, MESSAGES, _lock_compose
from models import ReminderOutbox as Row

SUMMARY = ".summary"
LEFT = "收件人已停用，提醒已转给接替人"


def _staff_item(kind: str) -> bool:
    return kind not in MESSAGES and "." not in kind  # a job's own reminders, not summaries or client pushes


def _unsent_digests(userid: str):
    return Row.select().where((Row.kind == DIGEST) & (Row.recipient_userid == userid) & (Row.state == "pending")
                              & Row.maybe_sent_at.is_null())


def movable_count(userid: str) -> int:
    """How many of ``userid``'s reminders are still waiting and could go to someone else."""
    loose = (Row.select().where((Row.recipient_userid == userid) & (Row.state == "pending")
                                & Row.wecom_msgid.is_null() & Row.kind.not_in(MESSAGES)))
    claimed = sum(len((d.payload or {}).get("items", [])) for d in _unsent_digests(userid)
                  if "." not in (d.payload or {}).get("kind", ""))
    return sum(1 for row in loose if _staff_item(row.kind)) + claimed


def readdress(userid: str, to_userid: str, to_name: str, now: datetime) -> dict:
    """Move ``userid``'s waiting reminders to ``to_userid`` (inside a write transaction): counts of what moved,
    what the replacement already had (dropped as duplicates) and the summaries dropped."""
    _lock_compose()  # no digest is composed for this member while their items move
    released = 0
    for digest in _unsent_digests(userid):
        taken = (Row.update(state="dropped", last_error=LEFT, next_attempt_at=None)
                 .where((Row.id == digest.id) & (Row.state == "pending") & Row.maybe_sent_at.is_null()).execute())
        if taken:  # its items wait again, unclaimed
            marker = CLAIM + digest.dedupe_key.split("|", 1)[1]
            released += Row.update(wecom_msgid=None).where(Row.wecom_msgid == marker).execute()
    counts = {"moved": 0, "duplicates": 0, "summaries": 0, "released_from_digests": released}
    waiting = (Row.select().where((Row.recipient_userid == userid) & (Row.state == "pending")
                                  & Row.wecom_msgid.is_null() & Row.kind.not_in(MESSAGES)).order_by(Row.id))
    for item in waiting:
        if item.kind.endswith(SUMMARY):
            _drop(item, LEFT)
            counts["summaries"] += 1
        elif _staff_item(item.kind):
            counts[_move(item, userid, to_userid, to_name)] += 1
    return counts


def _drop(item, why: str) -> None:
    Row.update(state="dropped", last_error=why, next_attempt_at=None).where(Row.id == item.id).execute()


def _move(item, userid: str, to_userid: str, to_name: str) -> str:
    # dedupe_key ends with the recipient (bot/outbox/engine.Item): the new key is what a run for the
    # replacement would write, so the same reminder is not queued for them twice.
    suffix = "|" + userid
    key = item.dedupe_key[:-len(suffix)] + "|" + to_userid if item.dedupe_key.endswith(suffix) else None
    if key is None or Row.select().where(Row.dedupe_key == key).exists():
        _drop(item, "接替人已有同一提醒")
        return "duplicates"
    payload = dict(item.payload or {})
    if "recipient_name" in payload:
        payload["recipient_name"] = to_name
    Row.update(recipient_userid=to_userid, dedupe_key=key, payload=payload).where(Row.id == item.id).execute()
    return "moved"
