"""/healthz on both databases: up is 200, a busy SQLite file is not "down" (issue 10, item 1).
The PostgreSQL outage and recovery: tests/test_db_healing.py."""
from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from bot.config.settings import DatabaseConfig
from bot.db import Database
from tests.conftest import USE_PG


async def test_healthz_names_the_database_and_says_ok(stack):
    async with stack.http.get(stack.url("/healthz")) as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok", "database": "postgresql" if USE_PG else "sqlite"}


@pytest.mark.skipif(USE_PG, reason="SQLite's own locking")
async def test_a_locked_sqlite_file_is_not_down(stack, db_url):
    other = sqlite3.connect(db_url[len("sqlite:///"):], isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process writing
    try:
        async with stack.http.get(stack.url("/healthz")) as resp:
            assert resp.status == 200
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_a_database_thread_held_by_a_long_run(db_url, database):
    """SQLite has one database thread: held by a long write it is busy, not down. PostgreSQL with every
    thread held does not answer, which is what "down" means to a caller."""
    db = Database(DatabaseConfig(url=db_url, threads=1))
    release = threading.Event()
    long_run = asyncio.ensure_future(db.run(release.wait, 10))
    try:
        health = await db.health(timeout=0.2)
        assert health.state == ("down" if USE_PG else "busy")
        assert "no answer within 0.2 s" in health.reason
    finally:
        release.set()
        await long_run
    assert (await db.health()).state == "up"
    db.close()
