"""The one way async code reaches the database: synchronous peewee run on a small thread pool.

Chosen after bench/db_access.py (numbers in bench/RESULTS.md): on this workload the thread pool is as
fast as peewee's greenlet bridge (playhouse.pwasyncio), works with the stock sqlite3 and psycopg2 drivers,
and keeps every query helper in models.py plain synchronous peewee that the CLI and tests reuse as is.
The event loop never touches a connection: handlers call ``await db.run(fn, ...)``.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import re
import select
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, NamedTuple, TypeVar
from urllib.parse import parse_qsl, unquote, urlparse

import peewee

import models
from bot.config.settings import DatabaseConfig
from bot.wecom import CachedValue, TokenStore

T = TypeVar("T")
log = logging.getLogger(__name__)


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


class DatabaseUnavailable(peewee.OperationalError):
    """The database cannot be reached, or the connection broke mid-run; str() is one line, no secrets."""


class Health(NamedTuple):
    state: str       # up | busy (SQLite locked or its thread occupied: not down) | down
    reason: str = ""  # one line, Chinese / English


# Statements that change nothing: a run that sent only these before its connection broke is run again.
_READ_SQL = re.compile(r"\s*(SELECT|SHOW|EXPLAIN|VALUES)\b", re.IGNORECASE)


class HealingPostgresqlDatabase(peewee.PostgresqlDatabase):
    """PostgreSQL that notes, per thread, whether anything but a read went out in the current run: after a
    lost connection a write's fate is unknown (it may have committed), so only read-only runs are repeated."""

    def execute_sql(self, sql, params=None):
        if not _READ_SQL.match(sql):
            self._state.wrote = True
        return super().execute_sql(sql, params)


def one_line(exc: BaseException) -> str:
    """The first line of an error, shortened (drivers add hints on further lines)."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _broken(conn: Any) -> bool:
    """The driver already knows the connection is gone (psycopg2 `closed`, psycopg 3 `broken`)."""
    return bool(getattr(conn, "closed", False) or getattr(conn, "broken", False))


def _readable(conn: Any) -> bool:
    """Data waiting on an idle connection: the server said goodbye (restart, idle_session_timeout,
    terminate) or the socket reached EOF. A zero-timeout poll, no round trip."""
    try:
        return bool(select.select([conn], [], [], 0)[0])
    except (OSError, ValueError, TypeError):
        return True


def _ping(conn: Any) -> bool:
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except Exception:  # noqa: BLE001 - any failure means "do not use this connection"
        return False


class Database:
    """Owns the peewee database and the worker threads that talk to it.

    Connections heal (PostgreSQL): before a run a thread checks its connection without a round trip (the
    driver's closed flag, data waiting on the idle socket) and pings it when another thread has just lost
    one; a dead connection is replaced. A run that fails because its connection broke is repeated once on a
    new connection when it had sent only reads, or when its caller says it is idempotent (run_idempotent);
    otherwise it raises DatabaseUnavailable. Nothing is cached as "down": every run tries to connect again,
    so service resumes by itself the moment the database is back.
    """

    def __init__(self, cfg: DatabaseConfig):
        self.cfg = cfg
        self.peewee = open_database(cfg)
        models.db.initialize(self.peewee)
        # SQLite allows one writer: several threads in one process would only queue on its lock, and its busy
        # handler sleeps in steps of up to 100 ms. One thread (one connection) serialises them without sleeping.
        threads = cfg.threads if is_postgres(self.peewee) else 1
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="db")
        self._lock = threading.Lock()
        self._connections: dict[int, Any] = {}  # thread id -> its open connection
        self._epoch = 0  # bumped when a thread finds its connection lost: the others ping theirs once
        self._local = threading.local()
        self.lost_connections = 0

    @property
    def is_postgres(self) -> bool:
        return is_postgres(self.peewee)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` on a database thread and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self._call, fn, args, kwargs, False))

    async def run_idempotent(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Like run(), for a ``fn`` that may safely run again after its writes might have committed."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self._call, fn, args, kwargs, True))

    async def atomic(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Like run(), inside one write transaction (BEGIN IMMEDIATE on SQLite)."""
        def wrapped() -> T:
            with self.peewee.atomic():
                return fn(*args, **kwargs)
        return await self.run(wrapped)

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

    # ---- on a database thread -----------------------------------------------------------------------------
    def _call(self, fn: Callable[..., T], args: tuple, kwargs: dict, idempotent: bool) -> T:
        if not self.is_postgres:
            if self.peewee.is_closed():
                self._connect()
            return fn(*args, **kwargs)
        for attempt in (1, 2):
            self._checkout()
            self.peewee._state.wrote = False
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if not self._lost(exc):
                    raise
                wrote = self.peewee._state.wrote
                self._discard()
                if attempt == 2 or (wrote and not idempotent):
                    raise DatabaseUnavailable(f"connection lost: {one_line(exc)}") from exc
                log.warning("database connection lost (%s); running %s again on a new connection",
                            one_line(exc), getattr(fn, "__name__", "a query"))
        raise AssertionError("unreachable")

    def _checkout(self) -> None:
        """Make sure this thread holds a live connection (connecting or replacing it if need be)."""
        db = self.peewee
        if not db.is_closed():
            conn = db._state.conn
            if not _broken(conn):
                if getattr(self._local, "epoch", None) == self._epoch and not _readable(conn):
                    return
                if _ping(conn):
                    self._local.epoch = self._epoch
                    return
            self._discard()
        self._connect()

    def _connect(self) -> None:
        try:
            self.peewee.connect()
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            raise DatabaseUnavailable(one_line(exc)) from exc
        with self._lock:
            self._connections[threading.get_ident()] = self.peewee._state.conn
            self._local.epoch = self._epoch

    def _lost(self, exc: Exception) -> bool:
        """After ``exc``: is this thread's connection gone (rather than the query simply failing)?"""
        db = self.peewee
        if db.is_closed():
            return False
        if _broken(db._state.conn):
            return True
        return isinstance(exc, (peewee.OperationalError, peewee.InterfaceError)) and not _ping(db._state.conn)

    def _discard(self) -> None:
        """Drop this thread's connection (already dead, or no longer trusted); the next run reconnects."""
        db = self.peewee
        try:
            db._state.conn.close()
        except Exception:  # noqa: BLE001 - closing a dead connection is not an error
            pass
        db._state.reset()
        with self._lock:
            self._connections.pop(threading.get_ident(), None)
            self._epoch += 1
            self.lost_connections += 1

    def close(self) -> None:
        """Stop the worker threads and close every connection they opened."""
        self._executor.shutdown(wait=True)
        with self._lock:
            for conn in self._connections.values():
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
