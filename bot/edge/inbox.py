"""The callback inbox: dedupe keys claimed in the database (so they hold across processes), the finished
state written in small batches off the request path, and pruning once a row can no longer catch a repeat."""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

import models
from bot.db import Database

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


def claim(key: str, kind: str) -> bool:
    """Record a delivery; False when this key was seen before (a WeCom retry)."""
    received_at = models.CallbackInbox.received_at.db_value(models.utcnow())
    cursor = models.db.execute_sql(_claim_sql(), (key, kind[:64], "received", received_at))
    return cursor.rowcount == 1


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


def admit_many(items: list[tuple[str, str, str]]) -> list[tuple[bool, object]]:
    """admit() for a batch in one transaction: one commit (one fsync) however many callbacks arrived."""
    staff_by_userid: dict[str, object] = {}
    results = []
    with models.db.atomic():
        for key, kind, userid in items:
            if not claim(key, kind):
                results.append((False, None))
                continue
            if userid not in staff_by_userid:
                staff_by_userid[userid] = find_staff(userid)
            results.append((True, staff_by_userid[userid]))
    return results


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
    goes out at once."""

    def __init__(self, db: Database):
        self.db = db
        self._waiting: list[tuple[tuple[str, str, str], asyncio.Future]] = []
        self._writing = False

    async def admit(self, key: str, kind: str, userid: str) -> tuple[bool, object]:
        future = asyncio.get_running_loop().create_future()
        self._waiting.append(((key, kind, userid), future))
        if not self._writing:
            self._writing = True
            asyncio.get_running_loop().call_soon(self._start_batch)
        return await future

    def _start_batch(self) -> None:
        asyncio.ensure_future(self._write_batches())

    async def _write_batches(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    results = await self.db.run(admit_many, [item for item, _ in batch])
                except Exception as exc:  # every caller of this batch gets the error
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results):
                    if not future.done():
                        future.set_result(result)
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
            await self.db.run(_finish_many, batch)
        except Exception:
            self._pending = {**batch, **self._pending}
            raise

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()
