"""The one way async code reaches the database: synchronous peewee run on a small thread pool.

Chosen after bench/db_access.py (numbers in bench/RESULTS.md): on this workload the thread pool is as
fast as peewee's greenlet bridge (playhouse.pwasyncio), works with the stock sqlite3 and psycopg2 drivers,
and keeps every query helper in models.py plain synchronous peewee that the CLI and tests reuse as is.
The event loop never touches a connection: handlers call ``await db.run(fn, ...)``.
"""
from __future__ import annotations

import asyncio
import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, TypeVar
from urllib.parse import parse_qsl, unquote, urlparse

import peewee

import models
from bot.config.settings import DatabaseConfig
from bot.wecom import CachedValue, TokenStore

T = TypeVar("T")


def open_database(cfg: DatabaseConfig) -> peewee.Database:
    """Build (not connect) the peewee database named by the URL, with our SQLite pragmas."""
    url = urlparse(cfg.url)
    if url.scheme == "sqlite":
        path = Path(unquote(cfg.url[len("sqlite:///"):]))
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        return peewee.SqliteDatabase(
            str(path),
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": cfg.busy_timeout_ms,
                "synchronous": cfg.sqlite_synchronous.upper(),
            },
            timeout=cfg.busy_timeout_ms / 1000,
            lock_type="IMMEDIATE",
            check_same_thread=False,
        )
    params = dict(parse_qsl(url.query))
    return peewee.PostgresqlDatabase(
        url.path.lstrip("/") or "postgres",
        user=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        host=url.hostname,
        port=url.port or 5432,
        **params,
    )


def is_postgres(database: peewee.Database) -> bool:
    return isinstance(database, peewee.PostgresqlDatabase)


class Database:
    """Owns the peewee database and the worker threads that talk to it."""

    def __init__(self, cfg: DatabaseConfig):
        self.cfg = cfg
        self.peewee = open_database(cfg)
        models.db.initialize(self.peewee)
        # SQLite allows one writer: several threads in one process would only queue on its lock, and its busy
        # handler sleeps in steps of up to 100 ms. One thread (one connection) serialises them without sleeping.
        threads = cfg.threads if is_postgres(self.peewee) else 1
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="db")
        self._lock = threading.Lock()
        self._connections: list[Any] = []

    @property
    def is_postgres(self) -> bool:
        return is_postgres(self.peewee)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` on a database thread and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self._call, fn, args, kwargs))

    async def atomic(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Like run(), inside one write transaction (BEGIN IMMEDIATE on SQLite)."""
        def wrapped() -> T:
            with self.peewee.atomic():
                return fn(*args, **kwargs)
        return await self.run(wrapped)

    def _call(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        if self.peewee.is_closed():
            self.peewee.connect()
            with self._lock:
                self._connections.append(self.peewee.connection())
        return fn(*args, **kwargs)

    def close(self) -> None:
        """Stop the worker threads and close every connection they opened."""
        self._executor.shutdown(wait=True)
        with self._lock:
            for conn in self._connections:
                try:
                    conn.close()
                except Exception:  # noqa: BLE001 - closing a dead connection is not an error
                    pass
            self._connections.clear()


class DbTokenStore(TokenStore):
    """WeCom tokens and tickets kept in the database, so every server process shares one."""

    def __init__(self, db: Database):
        self.db = db

    async def load(self, key: str) -> CachedValue | None:
        def read():
            row = models.TokenCache.get_or_none(models.TokenCache.key == key)
            return CachedValue(row.value, row.expires_at.timestamp()) if row else None
        return await self.db.run(read)

    async def save(self, key: str, item: CachedValue) -> None:
        def write():
            expires = datetime.fromtimestamp(item.expires_at, timezone.utc)
            (models.TokenCache
             .insert(key=key, value=item.value, expires_at=expires, updated_at=models.utcnow())
             .on_conflict(conflict_target=[models.TokenCache.key],
                          update={models.TokenCache.value: item.value, models.TokenCache.expires_at: expires,
                                  models.TokenCache.updated_at: models.utcnow()})
             .execute())
        await self.db.run(write)
