"""The callback inbox: dedupe keys claimed in the database (so they hold across processes), the finished
state written in small batches off the request path, and pruning once a row can no longer catch a repeat."""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

import models
from bot.db import Database, DatabaseUnavailable

log = logging.getLogger(__name__)


# The two statements every callback runs are written out once: composing them with peewee's query builder
# costs several times what SQLite needs to run them (bench/callback.py).
def _claim_sql() -> str:
    p = models.db.param
    return (f'INSERT INTO "{models.CallbackInbox._meta.table_name}" '
            f'("dedupe_key", "kind", "state", "received_at") VALUES ({p}, {p}, {p}, {p}) '
            f'ON CONFLICT ("dedupe_key") DO NOTHING')


def _staff_sql() -> str:
    p = models.db.param
    return f'SELECT * FROM "{models.Staff._meta.table_name}" WHERE "wecom_userid" = {p} AND "active" = {p}'


def _mine_sql() -> str:
    p = models.db.param
    return (f'SELECT "received_at" FROM "{models.CallbackInbox._meta.table_name}" '
            f'WHERE "dedupe_key" = {p} AND "state" = {p}')


def claim(key: str, kind: str, received_at=None) -> bool:
    """Record a delivery; False when this key was seen before (a WeCom retry).

    ``received_at`` doubles as the claim's token: when a connection broke after the commit but before its
    answer, the claim is run again and finds its own row (same key, same instant, not yet handled) rather
    than a duplicate, so the message is not dropped."""
    field = models.CallbackInbox.received_at
    received_at = received_at or models.utcnow()
    cursor = models.db.execute_sql(_claim_sql(), (key, kind[:64], "received", field.db_value(received_at)))
    if cursor.rowcount == 1:
        return True
    row = models.db.execute_sql(_mine_sql(), (key, "received")).fetchone()
    return row is not None and field.python_value(row[0]) == received_at


def find_staff(userid: str):
    """The active staff account bound to a WeCom member, or None."""
    if not userid or userid == "sys":
        return None
    rows = list(models.Staff.raw(_staff_sql(), userid, True))
    return rows[0] if rows else None


def admit(key: str, kind: str, userid: str) -> tuple[bool, object]:
    """Claim the key and, if new, look up the sender's staff account."""
    if not claim(key, kind):
        return False, None
    return True, find_staff(userid)


def admit_many(items: list[tuple]) -> list[tuple[bool, object]]:
    """admit() for a batch of (key, kind, userid[, received_at]) in one transaction: one commit (one fsync)
    however many callbacks arrived. Safe to run again (see claim)."""
    staff_by_userid: dict[str, object] = {}
    claimed: set[str] = set()
    results = []
    with models.db.atomic():
        for key, kind, userid, *received_at in items:
            if key in claimed or not claim(key, kind, *received_at):
                results.append((False, None))
                continue
            claimed.add(key)
            if userid not in staff_by_userid:
                staff_by_userid[userid] = find_staff(userid)
            results.append((True, staff_by_userid[userid]))
    return results


@dataclass
class _Waiting:
    item: tuple
    future: asyncio.Future
    arrived: float  # loop time


def prune(before, limit: int) -> int:
    """Delete at most ``limit`` rows received before ``before``, oldest first; returns how many went.

    A row only has to outlive WeCom's retries (seconds) and the replay window (wecom.callback_max_skew: an older
    timestamp is refused before the inbox is asked); the limit keeps each delete, and its write lock, short."""
    inbox = models.CallbackInbox
    oldest = (inbox.select(inbox.id).where(inbox.received_at < before)
              .order_by(inbox.received_at).limit(limit))
    with models.db.atomic():
        return inbox.delete().where(inbox.id.in_(oldest)).execute()


class Admission:
    """Group commit for callback claims: callbacks that arrive while a batch is being written wait for the
    next batch, so under load one database trip and one commit serve many requests, and a lone request
    goes out at once.

    While the database is unreachable a callback waits up to ``patience`` seconds for it (claims are
    retried; a reply within WeCom's 5 s is still possible), then is refused with 503 "database down" -
    answered only ``hold`` seconds after it arrived, past WeCom's 5-second limit, so WeCom re-sends it
    whichever way it reads our status (older docs: any non-200 is retried; newer: only timeouts are).
    Nothing was claimed, so the re-sent callback is handled as new."""

    patience = 2.0
    hold = 5.5

    def __init__(self, db: Database):
        self.db = db
        self._waiting: list[_Waiting] = []
        self._writing = False
        self._last_stamp = None

    def _stamp(self):
        """A claim token unique within this process (two calls can read the same microsecond)."""
        now = models.utcnow()
        if self._last_stamp is not None and now <= self._last_stamp:
            now = self._last_stamp + timedelta(microseconds=1)
        self._last_stamp = now
        return now

    async def admit(self, key: str, kind: str, userid: str) -> tuple[bool, object]:
        loop = asyncio.get_running_loop()
        waiting = _Waiting((key, kind, userid, self._stamp()), loop.create_future(), loop.time())
        self._waiting.append(waiting)
        if not self._writing:
            self._writing = True
            loop.call_soon(self._start_batch)
        try:
            return await waiting.future
        except DatabaseUnavailable as exc:
            log.warning("callback %s refused, database down (%s); WeCom will send it again", kind, exc)
            await asyncio.sleep(max(waiting.arrived + self.hold - loop.time(), 0))
            raise web.HTTPServiceUnavailable(text="database down / 数据库暂不可用") from None

    def _start_batch(self) -> None:
        asyncio.ensure_future(self._write_batches())

    async def _write_batches(self) -> None:
        loop, pause = asyncio.get_running_loop(), 0.05
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    results = await self.db.run_idempotent(admit_many, [w.item for w in batch])
                except DatabaseUnavailable as exc:  # wait for the database, up to each caller's patience
                    now = loop.time()
                    for w in batch:
                        if now - w.arrived >= self.patience and not w.future.done():
                            w.future.set_exception(exc)
                    self._waiting = [w for w in batch if not w.future.done()] + self._waiting
                    if self._waiting:
                        await asyncio.sleep(pause)
                        pause = min(pause * 2, 0.4)
                    continue
                except Exception as exc:  # every caller of this batch gets the error
                    for w in batch:
                        if not w.future.done():
                            w.future.set_exception(exc)
                    continue
                pause = 0.05
                for w, result in zip(batch, results):
                    if not w.future.done():
                        w.future.set_result(result)
        finally:
            self._writing = False


def _finish_many(states: dict[str, str]) -> None:
    by_state: dict[str, list[str]] = defaultdict(list)
    for key, state in states.items():
        by_state[state].append(key)
    now = models.utcnow()
    with models.db.atomic():
        for state, keys in by_state.items():
            for start in range(0, len(keys), 500):
                (models.CallbackInbox.update(state=state, finished_at=now)
                 .where(models.CallbackInbox.dedupe_key.in_(keys[start:start + 500])).execute())


class InboxLedger:
    """Collects finished deliveries and writes them in one transaction every ``interval`` seconds."""

    def __init__(self, db: Database, interval: float = 0.25):
        self.db = db
        self.interval = interval
        self._pending: dict[str, str] = {}
        self._task: asyncio.Task | None = None

    def finish(self, key: str, state: str) -> None:
        self._pending[key] = state

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-ledger")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except Exception:  # a failed flush is retried with the next batch
                log.exception("could not record finished callbacks; will retry")

    async def flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, {}
        try:
            await self.db.run_idempotent(_finish_many, batch)
        except Exception:
            self._pending = {**batch, **self._pending}
            raise

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()
