"""The one way async code reaches the database: synchronous peewee run on a small thread pool.

Chosen after bench/db_access.py (numbers in bench/RESULTS.md): on this workload the thread pool is as
fast as peewee's greenlet bridge (playhouse.pwasyncio), works with the stock sqlite3 and psycopg2 drivers,
and keeps every query helper in models.py plain synchronous peewee that the CLI and tests reuse as is.
The event loop never touches a connection: handlers call ``await db.run(fn, ...)``.

Broken connections are replaced and safe runs repeated (bot/dbconn.py); health() tells down from busy.
Work that can wait (reminder sweeps, sends) uses ``db.background()``: the same calls, run in short trips
that give way to foreground runs, so a 10,000-client sweep does not hold a callback up (see SLICE below).
"""
from __future__ import annotations

import asyncio
import functools
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, NamedTuple, TypeVar
from urllib.parse import parse_qsl, unquote, urlparse

import peewee

import models
from bot.config.settings import DatabaseConfig
from bot.dbconn import Connections, DatabaseUnavailable, HealingPostgresqlDatabase, one_line
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
    # A server that vanished without a word (no RST: a failover, a dropped route) is noticed within seconds,
    # not after the kernel's two-hour keepalive or a minutes-long connect; the URL may say otherwise.
    for key, value in (("connect_timeout", "5"), ("keepalives", "1"), ("keepalives_idle", "30"),
                       ("keepalives_interval", "10"), ("keepalives_count", "3")):
        params.setdefault(key, value)
    return HealingPostgresqlDatabase(
        url.path.lstrip("/") or "postgres",
        user=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        host=url.hostname,
        port=url.port or 5432,
        **params,
    )


def is_postgres(database: peewee.Database) -> bool:
    return isinstance(database, peewee.PostgresqlDatabase)


class Health(NamedTuple):
    state: str       # up | busy (SQLite locked or its thread occupied: not down) | down
    reason: str = ""  # one line, Chinese / English


# Background work (reminder sweeps) goes to the database in trips of about SLICE seconds. A trip starts only
# when no foreground run (a callback's, a page's) is waiting or running and GRACE has passed since the last
# one finished (that callback still encrypts its reply on the event loop), but after MAX_YIELD at the latest,
# so a steady stream of callbacks slows a sweep without stopping it; and background work takes at most DUTY
# of the time (after a trip of d seconds the next waits d * (1 - DUTY) / DUTY), leaving CPU to the edge on a
# small machine. While a background trip runs, CPython hands the GIL over every HANDOVER seconds instead of
# every 5 ms, so the event loop never waits long for it behind a sweep's Python work (bench/sweep_latency.py).
SLICE, GRACE, MAX_YIELD, DUTY, HANDOVER = 0.005, 0.003, 0.05, 0.5, 0.0005


class Database:
    """Owns the peewee database and the worker threads that talk to it (connections: bot/dbconn.py)."""

    def __init__(self, cfg: DatabaseConfig):
        self.cfg = cfg
        self.peewee = open_database(cfg)
        models.db.initialize(self.peewee)
        # SQLite allows one writer: several threads in one process would only queue on its lock, and its busy
        # handler sleeps in steps of up to 100 ms. One thread (one connection) serialises them without sleeping.
        threads = cfg.threads if is_postgres(self.peewee) else 1
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="db")
        # Long read-only work (a sweep's plans) gets its own SQLite connection and thread: WAL lets it read
        # beside the writer, so it never sits in the queue ahead of a callback's claim.
        own_reader = not is_postgres(self.peewee) and self.peewee.database != ":memory:"
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-read") if own_reader \
            else self._executor
        self.connections = Connections(self.peewee)
        self._foreground = 0
        self._foreground_done = 0.0  # loop time the last foreground run finished
        self._quiet: asyncio.Event | None = None  # set while no foreground run is waiting or running
        self._lane: asyncio.Lock | None = None
        self._background_rests_until = 0.0  # loop time: DUTY

    @property
    def is_postgres(self) -> bool:
        return is_postgres(self.peewee)

    @property
    def lost_connections(self) -> int:
        return self.connections.lost

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` on a database thread and await its result."""
        return await self._foreground_run(fn, args, kwargs, False, self._executor)

    async def run_idempotent(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Like run(), for a ``fn`` that may safely run again after its writes might have committed."""
        return await self._foreground_run(fn, args, kwargs, True, self._executor)

    async def atomic(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Like run(), inside one write transaction (BEGIN IMMEDIATE on SQLite)."""
        return await self.run(_atomic, self.peewee, fn, args, kwargs)

    async def run_sliced(self, fn: Callable[..., T], pieces: list, *args: Any) -> list[T]:
        """``[fn(*args, piece) for piece in pieces]`` as several short runs (see SLICE)."""
        return await _sliced(self.run, fn, pieces, args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """run() for a ``fn`` that only reads: on SQLite it runs beside the writer thread, never queued
        behind a write (nor a write behind it)."""
        return await self._foreground_run(fn, args, {}, False, self._reader)

    async def read_sliced(self, fn: Callable[..., T], pieces: list, *args: Any) -> list[T]:
        """run_sliced() for a ``fn`` that only reads (see read())."""
        return await _sliced(self.read, fn, pieces, args)

    def background(self) -> "BackgroundDatabase":
        """This database for work that can wait: sweeps, sends (see SLICE)."""
        return BackgroundDatabase(self)

    async def health(self, timeout: float = 3.0) -> Health:
        """Whether a query gets through now; never raises."""
        try:
            await asyncio.wait_for(self.run(lambda: self.peewee.execute_sql("SELECT 1").fetchone()), timeout)
        except asyncio.TimeoutError:
            if not self.is_postgres:  # its one thread is occupied (a long write): slow, not down
                return Health("busy", f"数据库繁忙 / database busy: no answer within {timeout:g} s")
            return Health("down", f"数据库无响应 / database down: no answer within {timeout:g} s")
        except DatabaseUnavailable as exc:
            return Health("down", f"数据库无法连接 / database down: {exc}")
        except peewee.OperationalError as exc:
            if not self.is_postgres and any(w in str(exc) for w in ("locked", "busy")):
                return Health("busy", f"数据库繁忙 / database busy: {one_line(exc)}")
            return Health("down", f"数据库出错 / database down: {one_line(exc)}")
        return Health("up")

    def close(self) -> None:
        """Stop the worker threads and close every connection they opened."""
        self._executor.shutdown(wait=True)
        self._reader.shutdown(wait=True)
        self.connections.close_all()

    # ---- foreground and background -----------------------------------------------------------------------
    def _submit(self, fn: Callable[..., T], args: tuple, kwargs: dict, idempotent: bool,
                executor: ThreadPoolExecutor) -> asyncio.Future:
        call = functools.partial(self.connections.call, fn, args, kwargs, idempotent)
        return asyncio.get_running_loop().run_in_executor(executor, call)

    def _quiet_event(self) -> asyncio.Event:
        if self._quiet is None:
            self._quiet = asyncio.Event()
            self._quiet.set()
        return self._quiet

    async def _foreground_run(self, fn: Callable[..., T], args: tuple, kwargs: dict, idempotent: bool,
                              executor: ThreadPoolExecutor) -> T:
        self._foreground += 1
        self._quiet_event().clear()
        try:
            return await self._submit(fn, args, kwargs, idempotent, executor)
        finally:
            self._foreground -= 1
            self._foreground_done = asyncio.get_running_loop().time()
            if not self._foreground:
                self._quiet_event().set()

    async def _background_run(self, fn: Callable[..., T], args: tuple, kwargs: dict, idempotent: bool,
                              executor: ThreadPoolExecutor | None = None) -> T:
        if self._lane is None:
            self._lane = asyncio.Lock()
        async with self._lane:  # one background trip at a time, whoever asks (planner, sender)
            loop = asyncio.get_running_loop()
            if (rest := self._background_rests_until - loop.time()) > 0:
                await asyncio.sleep(rest)
            await self._yield_to_foreground(loop)
            began, previous = loop.time(), sys.getswitchinterval()
            sys.setswitchinterval(min(HANDOVER, previous))
            try:
                return await self._submit(fn, args, kwargs, idempotent, executor or self._executor)
            finally:
                sys.setswitchinterval(previous)
                ended = loop.time()
                self._background_rests_until = ended + (ended - began) * (1 - DUTY) / DUTY

    async def _yield_to_foreground(self, loop: asyncio.AbstractEventLoop) -> None:
        latest = loop.time() + MAX_YIELD
        while (wait := latest - loop.time()) > 0:
            if self._foreground:
                try:
                    await asyncio.wait_for(self._quiet_event().wait(), wait)
                except asyncio.TimeoutError:
                    return
            elif (gap := self._foreground_done + GRACE - loop.time()) > 0:
                await asyncio.sleep(min(gap, wait))
            else:
                return


class BackgroundDatabase:
    """A Database whose runs give way to foreground ones (see SLICE); everything else is the Database's."""

    def __init__(self, db: Database):
        self._db = db

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self._db._background_run(fn, args, kwargs, False)

    async def run_idempotent(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self._db._background_run(fn, args, kwargs, True)

    async def atomic(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self.run(_atomic, self._db.peewee, fn, args, kwargs)

    async def run_sliced(self, fn: Callable[..., T], pieces: list, *args: Any) -> list[T]:
        return await _sliced(self.run, fn, pieces, args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._db._background_run(fn, args, {}, False, self._db._reader)

    async def read_sliced(self, fn: Callable[..., T], pieces: list, *args: Any) -> list[T]:
        return await _sliced(self.read, fn, pieces, args)

    def background(self) -> "BackgroundDatabase":
        return self


def _atomic(database: peewee.Database, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
    with database.atomic():
        return fn(*args, **kwargs)


async def _sliced(run: Callable, fn: Callable[..., T], pieces: list, args: tuple) -> list[T]:
    """Run ``fn(*args, piece)`` for each piece, as many pieces per database trip as fit in SLICE seconds."""
    results: list[T] = []

    def some(start: int) -> list[T]:
        done, deadline = [], time.perf_counter() + SLICE
        for piece in pieces[start:]:
            done.append(fn(*args, piece))
            if time.perf_counter() >= deadline:
                break
        return done
    while len(results) < len(pieces):
        results += await run(some, len(results))
    return results


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
