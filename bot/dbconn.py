"""Connections that heal: each database thread's connection is checked before use and replaced when broken.

PostgreSQL connections die under a running server: a restart or failover, `idle_session_timeout`, a proxy or
NAT dropping the route. peewee keeps such a connection as "open" and every later query on that thread fails,
so here, before a run, the thread looks at its connection without a round trip (the driver's closed flag,
data waiting on the idle socket: the server's goodbye or EOF) and pings it once after another thread lost
its own; a dead one is replaced. A run that fails because its connection broke is repeated once on a new
connection when it had sent only reads, or when its caller says it is idempotent; otherwise it raises
DatabaseUnavailable: a write's commit may have happened, and only the caller knows whether repeating it is
safe. Nothing is remembered as "down": every run tries to connect again, so service resumes by itself.
"""
from __future__ import annotations

import logging
import re
import select
import threading
from typing import Any, Callable, TypeVar

import peewee

T = TypeVar("T")
log = logging.getLogger(__name__)

# Statements that change nothing: a run that sent only these before its connection broke is run again.
_READ_SQL = re.compile(r"\s*(SELECT|SHOW|EXPLAIN|VALUES)\b", re.IGNORECASE)


class DatabaseUnavailable(peewee.OperationalError):
    """The database cannot be reached, or the connection broke mid-run; str() is one line, no secrets."""


class HealingPostgresqlDatabase(peewee.PostgresqlDatabase):
    """PostgreSQL that notes, per thread, whether anything but a read went out in the current run."""

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


class Connections:
    """The connections the database threads hold, one per thread (peewee keeps them thread-local)."""

    def __init__(self, database: peewee.Database):
        self.peewee = database
        self.heal = isinstance(database, peewee.PostgresqlDatabase)  # a SQLite file does not disconnect
        self._lock = threading.Lock()
        self._open: dict[int, Any] = {}  # thread id -> its connection
        self._epoch = 0  # bumped when a thread finds its connection lost: the others ping theirs once
        self._local = threading.local()
        self.lost = 0

    def call(self, fn: Callable[..., T], args: tuple, kwargs: dict, idempotent: bool) -> T:
        """``fn(*args, **kwargs)`` on this thread's connection (on a database thread)."""
        if not self.heal:
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
            self._open[threading.get_ident()] = self.peewee._state.conn
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
        """Drop this thread's connection (dead, or no longer trusted); the next run reconnects."""
        db = self.peewee
        try:
            db._state.conn.close()
        except Exception:  # noqa: BLE001 - closing a dead connection is not an error
            pass
        db._state.reset()
        with self._lock:
            self._open.pop(threading.get_ident(), None)
            self._epoch += 1
            self.lost += 1

    def close_all(self) -> None:
        """Close every connection (after the threads have stopped)."""
        with self._lock:
            for conn in self._open.values():
                try:
                    conn.close()
                except Exception:  # noqa: BLE001 - closing a dead connection is not an error
                    pass
            self._open.clear()
