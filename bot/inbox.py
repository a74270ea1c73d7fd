"""The callback inbox: dedupe keys claimed in the database (so they hold across processes), and the
finished state written in small batches off the request path."""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

import peewee

import models
from bot.db import Database

log = logging.getLogger(__name__)


# The two statements every callback runs are written out once: composing them with peewee's query builder
# costs several times what SQLite needs to run them (bench/callback.py).
def _claim_sql() -> str:
    p = models.db.param
    return (f'INSERT INTO "{models.CallbackInbox._meta.table_name}" '
            f'("dedupe_key", "kind", "state", "received_at") VALUES ({p}, {p}, {p}, {p})')


def _staff_sql() -> str:
    p = models.db.param
    return f'SELECT * FROM "{models.Staff._meta.table_name}" WHERE "wecom_userid" = {p} AND "active" = {p}'


def claim(key: str, kind: str) -> bool:
    """Record a delivery; False when this key was seen before (a WeCom retry)."""
    received_at = models.CallbackInbox.received_at.db_value(models.utcnow())
    try:  # one statement in autocommit mode: atomic by itself, and a duplicate poisons no transaction
        models.db.execute_sql(_claim_sql(), (key, kind[:64], "received", received_at))
    except peewee.IntegrityError:
        return False
    return True


def find_staff(userid: str):
    """The active staff account bound to a WeCom member, or None."""
    if not userid or userid == "sys":
        return None
    rows = list(models.Staff.raw(_staff_sql(), userid, True))
    return rows[0] if rows else None


def admit(key: str, kind: str, userid: str) -> tuple[bool, object]:
    """One database trip before dispatch: claim the key and, if new, look up the sender's staff account."""
    if not claim(key, kind):
        return False, None
    return True, find_staff(userid)


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
