"""Late command replies through the outbox: written before anything is sent, delivered once, in order.

A command reply that misses the passive-reply deadline (bot/edge/callback.py) becomes one row per message
(kind 'reply', dedupe key reply|<callback key>|<n>), so neither WeCom's resends of the callback nor a second
write of the same reply can double it. The process that wrote it sends it at once; a 502, a timeout, -1 or
45009 is retried with backoff (jobs.reply_retry_base) by the state machine in sends.py, inside WeCom's
duplicate check. Every server process runs ReplySender.run, so a restart picks pending replies up. The parts
of one reply keep their order: a part waits until the one before it is finished.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from aiohttp import web

import models
from bot.outbox import sends
from bot.outbox.calls import classify, deliver
from bot.outbox.store import REPLY, Row, earliest, limits_of
from bot.tasks import nap
from bot.wecom import WeComClient, WeComError

log = logging.getLogger(__name__)

MAX_ROUNDS = 50  # parts of one reply go one per round; a reply has a handful


@dataclass(frozen=True)
class Part:
    """One message of a reply: ready to send, or an image or file to upload first."""
    message: dict | None = None  # {"msgtype": ..., "<msgtype>": {...}}
    media: dict | None = None    # {"type": "image" | "file", "filename", "content_type"}
    data: bytes | None = None


def reply_rows(key: str, touser: str, parts: list[Part], now: datetime) -> list[dict]:
    """The outbox rows of one reply (to the callback with dedupe key `key`)."""
    return [{"dedupe_key": f"{REPLY}|{key[:200]}|{n}", "kind": REPLY, "recipient_userid": touser,
             "payload": {"message": part.message, "media": part.media}, "blob": part.data, "state": "pending",
             "created_at": now, "next_attempt_at": now} for n, part in enumerate(parts)]


def insert_reply(rows: list[dict]) -> None:
    """Write a reply's rows at once; a reply written before (the same callback) is left as it is."""
    with models.db.atomic():
        Row.insert_many(rows).on_conflict_ignore().execute()


def due(now: datetime) -> tuple[list[int], datetime | None]:
    """The reply parts to send now (the first unfinished part of each reply), and when the next is due."""
    firsts: dict[str, tuple[int, int, datetime | None]] = {}
    for row_id, key, at in (Row.select(Row.id, Row.dedupe_key, Row.next_attempt_at)
                            .where((Row.kind == REPLY) & (Row.state == "pending")).tuples()):
        reply, _, n = key.rpartition("|")
        if reply not in firsts or int(n) < firsts[reply][0]:
            firsts[reply] = (int(n), row_id, at)
    ready, wake = [], None
    for _, row_id, at in firsts.values():
        if at is None or at <= now:
            ready.append(row_id)
        else:
            wake = earliest(wake, at)
    return sorted(ready), wake


@dataclass
class ReplyReport:
    counts: sends.Counts = sends.Counts()
    next_wake: datetime | None = None


class ReplySender:
    """Writes late replies and sends them; one per server process, all sharing the database."""

    def __init__(self, config: Any, db: Any, wecom: WeComClient, clock: Callable[[], datetime]):
        self.db, self.wecom, self.clock = db, wecom, clock
        self.limits = limits_of(config)
        self.poll = config.jobs.poll_interval
        self._poke = asyncio.Event()

    async def submit(self, key: str, touser: str, parts: list[Part]) -> ReplyReport:
        """Write the reply to callback `key` (before anything is sent), then try to deliver it now."""
        if not parts:
            return ReplyReport()
        await self.db.run(insert_reply, reply_rows(key, touser, parts, self.clock()))
        try:
            return await self.send_due()
        finally:
            self._poke.set()  # the sender loop learns when a retry is due

    async def send_due(self) -> ReplyReport:
        """Send every reply part that is due, in order, until none is left to send now."""
        report = ReplyReport()
        for _ in range(MAX_ROUNDS):
            ready, report.next_wake = await self.db.run(due, self.clock())
            if not ready:
                break
            for counts in await asyncio.gather(*(self._one(row_id) for row_id in ready)):
                report.counts = report.counts + counts
        return report

    async def _one(self, row_id: int) -> sends.Counts:
        attempt = await self.db.run(sends.begin_attempt, row_id, self.clock(), self.limits, {}, None)
        if attempt.action == "upload":
            media = attempt.media
            try:
                media_id = await self.wecom.media_upload(media["type"], media["filename"], attempt.data,
                                                         media["content_type"])
            except WeComError as exc:
                result = classify(exc)  # an upload that may have gone through only leaves a spare media id
                outcome = "refused" if result.result == "unknown" else result.result
                return await self.db.run(sends.finish, row_id, outcome, self.clock(), self.limits, "", result.error)
            attempt = await self.db.run(sends.media_ready, row_id, media_id, self.clock(), self.limits)
        if attempt.action != "send":
            return sends.Counts(uncertain=attempt.uncertain)
        result = await deliver(self.wecom, attempt.recipient, attempt.message, attempt.dup_window,
                               attempt.resend_within)
        if result.result != "ok":
            log.warning("late reply to %s not delivered yet (%s): %s", attempt.recipient, result.result,
                        result.error[:120])
        return await self.db.run(sends.finish, row_id, result.result, self.clock(), self.limits, result.msgid,
                                 result.error)

    async def run(self, stop: asyncio.Event) -> None:
        """Every process: send pending replies (a restart's leftovers too) and their retries until `stop`."""
        while not stop.is_set():
            self._poke.clear()
            try:
                report = await self.send_due()
                wait = self.poll if report.next_wake is None else \
                    min(max((report.next_wake - self.clock()).total_seconds(), 0.05), self.poll)
            except Exception:  # noqa: BLE001 - e.g. the database briefly unreachable; try again
                log.exception("late reply round failed")
                wait = self.poll
            await nap(self._poke, stop, wait)


REPLIES = web.AppKey("reply_sender", ReplySender)
