"""Database connections that heal (issue 10, item 1), on PostgreSQL: a TCP proxy in front of the server cuts
every connection and refuses new ones, then comes back; the server is never restarted.

A broken connection is noticed and replaced; a read that hit it is run again; a write is not (its commit may
have happened) and says so; /healthz answers 503 "database down" while it is down and 200 once it is back;
a callback waits briefly for the database, else is refused so that WeCom re-sends it, and the re-sent
callback is handled as new.
"""
from __future__ import annotations

import asyncio
import threading
from urllib.parse import urlsplit, urlunsplit

import pytest

import models
from bot import keys
from bot.db import Database, DatabaseUnavailable
from bot.config.settings import DatabaseConfig
from bot.sandbox.driver import next_msg_id, text_xml
from tests.conftest import AGENT_ID, CORP_ID, PG_URL, USE_PG, start_stack, stop_stack

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not USE_PG, reason="needs PostgreSQL (DATABASE_URL=postgresql://…): "
                                                    "a SQLite file has no connection to break")]


class PgProxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL. stop() cuts every proxied connection and stops accepting;
    start() again listens on the same port."""

    def __init__(self, target: str):
        split = urlsplit(target)
        self.target = (split.hostname or "127.0.0.1", split.port or 5432)
        self.port = 0
        self.upstream_ports: set[int] = set()  # our side of each connection to PostgreSQL
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def url(self, db_url: str) -> str:
        split = urlsplit(db_url)
        netloc = split.netloc.rsplit("@", 1)[0] + f"@127.0.0.1:{self.port}"
        return urlunsplit(split._replace(netloc=netloc))

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.upstream_ports.add(up_writer.get_extra_info("sockname")[1])
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True)
        self._writers -= {writer, up_writer}

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.transport.abort()


@pytest.fixture
async def proxy():
    p = PgProxy(PG_URL)
    await p.start()
    yield p
    if p._server is not None and p._server.is_serving():
        await p.stop()


async def healthz(stack) -> tuple[int, dict]:
    async with stack.http.get(stack.url("/healthz")) as resp:
        return resp.status, await resp.json()


def help_envelope(stack):
    return stack.driver.envelope(text_xml(CORP_ID, "newbie", "帮助", next_msg_id(), AGENT_ID))


def terminate_backends(ports: set[int]) -> int:
    """pg_terminate_backend for the server's own connections (found by their client port), as a PostgreSQL
    restart or idle_session_timeout ends them: the server says FATAL and closes."""
    import psycopg2
    conn = psycopg2.connect(PG_URL, connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE client_port = ANY(%s)",
                    (list(ports),))
        (count,) = cur.fetchone()
    conn.close()
    return count


async def test_callbacks_and_healthz_recover_after_the_connection_is_cut(db_url, fake_server, proxy):
    stack = await start_stack(proxy.url(db_url), fake_server)
    try:
        admission = stack.app[keys.ADMISSION]
        admission.patience, admission.hold = 0.3, 0.5  # the defaults (2 s, 5.5 s) only make this test slow
        assert (await healthz(stack))[0] == 200
        assert "帮助" in (await stack.driver.post_raw(*help_envelope(stack))).reply["Content"]

        await proxy.stop()
        status, body = await healthz(stack)
        assert status == 503 and body["status"] == "down"
        assert "database down" in body["reason"] and "数据库" in body["reason"] and "\n" not in body["reason"]
        envelope = help_envelope(stack)
        refused = await stack.driver.post_raw(*envelope)
        assert refused.status == 503 and refused.reply is None  # WeCom re-sends it

        await proxy.start()  # the same port; the server was not touched
        assert await healthz(stack) == (200, {"status": "ok", "database": "postgresql"})
        retried = await stack.driver.post_raw(*envelope)  # WeCom's re-send: handled as new, not a duplicate
        assert retried.status == 200 and "帮助" in retried.reply["Content"]
        assert "帮助" in (await stack.driver.post_raw(*help_envelope(stack))).reply["Content"]
        assert stack.app[keys.DB].lost_connections >= 1
    finally:
        await stop_stack(stack)


async def test_a_callback_waits_for_a_short_outage_and_is_answered(db_url, fake_server, proxy):
    stack = await start_stack(proxy.url(db_url), fake_server)
    try:
        stack.app[keys.ADMISSION].patience = 10.0
        await proxy.stop()
        delivery = asyncio.create_task(stack.driver.post_raw(*help_envelope(stack)))
        await asyncio.sleep(0.3)
        assert not delivery.done()  # waiting for the database, not refused
        await proxy.start()
        answered = await delivery
        assert answered.status == 200 and "帮助" in answered.reply["Content"]
    finally:
        await stop_stack(stack)


async def test_connections_the_server_ended_are_replaced_before_use(db_url, fake_server, proxy):
    """A PostgreSQL restart or idle_session_timeout: the server ends the idle connections itself."""
    stack = await start_stack(proxy.url(db_url), fake_server)
    try:
        await asyncio.gather(*(healthz(stack) for _ in range(8)))  # open a connection on every thread
        assert await asyncio.to_thread(terminate_backends, proxy.upstream_ports) >= 1
        await asyncio.sleep(0.2)  # the FATAL message reaches the idle sockets
        statuses = await asyncio.gather(*(healthz(stack) for _ in range(8)))
        assert {status for status, _ in statuses} == {200}  # no request saw the dead connections
        assert "帮助" in (await stack.driver.post_raw(*help_envelope(stack))).reply["Content"]
        assert stack.app[keys.DB].lost_connections >= 1
    finally:
        await stop_stack(stack)


async def test_idle_session_timeout_is_survived(db_url, fake_server, proxy):
    stack = await start_stack(proxy.url(db_url).replace("options=", "options=-cidle_session_timeout%3D300%20"),
                              fake_server)
    try:
        assert (await healthz(stack))[0] == 200
        await asyncio.sleep(0.6)  # PostgreSQL closes every connection idle for 300 ms
        assert (await healthz(stack))[0] == 200
        assert "帮助" in (await stack.driver.post_raw(*help_envelope(stack))).reply["Content"]
        assert stack.app[keys.DB].lost_connections >= 1
    finally:
        await stop_stack(stack)


# ---- a connection that breaks in the middle of a run -------------------------------------------------------

@pytest.fixture
async def proxied_db(db_url, database, proxy):
    """A Database through the proxy with one thread, and a way to cut its connection from inside a run."""
    db = Database(DatabaseConfig(url=proxy.url(db_url), threads=1))
    loop = asyncio.get_running_loop()

    def cut() -> None:  # called on the database thread: drop the connection under the running query
        done = threading.Event()

        async def drop():
            await proxy.stop()
            await proxy.start()
            done.set()
        asyncio.run_coroutine_threadsafe(drop(), loop)
        assert done.wait(5)

    await db.run(lambda: models.Staff.select().count())  # connected
    yield db, cut
    db.close()


async def test_a_read_that_hit_a_broken_connection_runs_again(proxied_db):
    db, cut = proxied_db
    calls = []

    def read():
        calls.append(1)
        count = models.Staff.select().count()
        if len(calls) == 1:
            cut()
        return count + models.Staff.select().count()

    assert await db.run(read) == 0
    assert len(calls) == 2 and db.lost_connections == 1


async def test_a_write_that_hit_a_broken_connection_is_not_repeated(proxied_db):
    db, cut = proxied_db
    calls = []

    def write():
        calls.append(1)
        models.Staff.create(name="王刚", role="staff", wecom_userid=f"w{len(calls)}")
        cut()
        return models.Staff.select().count()

    with pytest.raises(DatabaseUnavailable, match="connection lost"):
        await db.run(write)
    assert len(calls) == 1  # its insert may have committed: running it again could do it twice
    assert await db.run(lambda: models.Staff.select().count()) == 1  # and the next run reconnects


async def test_a_claim_whose_commit_answer_was_lost_is_still_ours(proxied_db):
    """The admission is idempotent: run again after its commit, it finds its own row, not a duplicate."""
    from bot.edge.inbox import admit_many
    db, cut = proxied_db
    stamp = models.utcnow()
    first = await db.run(admit_many, [("k1", "text", "newbie", stamp)])
    again = await db.run(admit_many, [("k1", "text", "newbie", stamp)])
    other = await db.run(admit_many, [("k1", "text", "newbie", models.utcnow())])
    assert [first[0][0], again[0][0], other[0][0]] == [True, True, False]
