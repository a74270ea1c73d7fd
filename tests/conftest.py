"""Shared fixtures: a fresh, migrated database per test (a SQLite file, or a PostgreSQL schema when DATABASE_URL
says so; a copy of one migrated once per session, tests/dbtemplate.py), the fake WeCom, the server wired to it,
and a check that no secret reaches any log line."""
from __future__ import annotations

import functools
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import aiohttp
import pytest
import time_machine
from aiohttp.test_utils import TestServer

import models
from bot import keys
from bot.app import create_app
from bot.config.settings import Config, DatabaseConfig, load_config, validate
from bot.db import open_database
from bot.logs import RedactFilter
from bot.sandbox.driver import CallbackDriver
from bot.sandbox.fake.app import create_fake_wecom_app
from bot.sandbox.fake.records import FakeConfig
from bot.sandbox.fake.state import FakeWeCom
from tests.dbtemplate import PostgresTemplate, SqliteTemplate

PG_URL = os.environ.get("DATABASE_URL", "")
# ZF_TEST_CLOCK=2026-11-26T15:59:00Z runs every test with the clock set to that instant when it starts (then
# ticking), so the suite can be proved at the hours where UTC and the agency's day disagree: CI runs it at
# 15:59 and 16:01 UTC (23:59 and 00:01 in Shanghai). Tests that start child processes keep the real clock.
TEST_CLOCK = os.environ.get("ZF_TEST_CLOCK", "")
USE_PG = PG_URL.startswith(("postgresql://", "postgres://"))

CORP_ID = "wwtestcorp0000001"
AGENT_ID = 1000002
SECRET = "test-app-secret-5f1c9e0a7d3b"
TOKEN = "Tok9f8e7d6c5b4a"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SESSION_SECRET = "test-session-secret-7c1d0e9b4a5f6e3d2c1b"  # 32+ bytes, as `serve` requires
# What `python -m bot serve` needs in the environment besides the WeCom keys and the database.
SERVE_ENV = {"PUBLIC_URL": "http://127.0.0.1", "SESSION_SECRET": SESSION_SECRET}

_issued_fakes: list[FakeWeCom] = []


# ---- databases --------------------------------------------------------------------------------------

def _pg_admin():
    import psycopg2
    try:
        conn = psycopg2.connect(PG_URL, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"DATABASE_URL names PostgreSQL but it is not reachable ({str(exc).strip()[:80]})")
    conn.autocommit = True
    return conn


def _pg_url(schema: str) -> str:
    """DATABASE_URL with its search_path set to ``schema``."""
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def pg_admin():
    """One autocommit connection per test session (per worker) for creating and dropping test schemas."""
    conn = _pg_admin()
    yield conn
    conn.close()


@pytest.fixture
def empty_db_url(tmp_path, request):
    """A database URL nobody else uses, without any table: a SQLite file, or a PostgreSQL schema dropped
    afterwards. For tests of the migrations and of what starts on a brand-new database."""
    if not USE_PG:
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    admin = request.getfixturevalue("pg_admin")
    schema = f"zf_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {schema}")
    request.addfinalizer(lambda: _drop_schema(admin, schema))
    return _pg_url(schema)


def _drop_schema(admin, schema: str) -> None:
    with admin.cursor() as cur:
        cur.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """The migrations run for real once per session; each db_url is a copy (tests/dbtemplate.py)."""
    if not USE_PG:
        yield SqliteTemplate(tmp_path_factory.mktemp("migrated-template"))
        return
    template = PostgresTemplate(_pg_admin, _pg_url)
    yield template
    template.close()


@pytest.fixture
def db_url(tmp_path, request, migrated_template):
    """A database URL nobody else uses, already migrated (exactly as `migrate.upgrade` leaves an empty
    database): a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if not USE_PG:
        path = tmp_path / "test.sqlite3"
        migrated_template.clone(path, models.utcnow())
        return f"sqlite:///{path}"
    schema = migrated_template.take(models.utcnow())
    request.addfinalizer(lambda: migrated_template.drop_later(schema))
    return _pg_url(schema)


@pytest.fixture
def database(db_url):
    """A migrated database bound to models.db, for synchronous tests and data set-up."""
    db = open_database(DatabaseConfig(url=db_url))
    models.db.initialize(db)
    db.connect()
    yield db
    if not db.is_closed():
        db.close()


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test`) the tests marked slow go first, so that no worker is left running one
    of them alone at the end. Every worker sorts the same way, as xdist requires."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# ---- configuration ----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _loaded_config() -> Config:
    """config.yaml with the test keys, read once: parsing the YAML was a third of starting a test server."""
    env = {"WECOM_CORP_ID": CORP_ID, "WECOM_AGENT_ID": str(AGENT_ID), "WECOM_SECRET": SECRET,
           "WECOM_TOKEN": TOKEN, "WECOM_AES_KEY": AES_KEY}
    return load_config(env=env)


def make_config(db_url: str, api_base: str = "http://127.0.0.1:9/cgi-bin/", **wecom: Any) -> Config:
    """What load_config gives with the test keys, WECOM_API_BASE=api_base and DATABASE_URL=db_url."""
    config = _loaded_config().replace(wecom={"api_base": api_base}, database={"url": db_url})
    validate(config)
    return config.replace(wecom={"backoff_base": 0.01, **wecom}, server={"public_url": "http://testserver"},
                          jobs={"enabled": False})  # tests that want the scheduler turn it on themselves


# ---- the fake WeCom and the server ------------------------------------------------------------------

SMALL_DIRECTORY = {
    "corp_name": "测试代账",
    "members": [
        {"userid": "admin", "name": "张总", "mobile": "13800000000", "department": [1], "position": "总经理"},
        {"userid": "lixiaomei", "name": "李小梅", "mobile": "13800000001", "department": [1], "position": "客户经理"},
        {"userid": "wanggang", "name": "王刚", "mobile": "13800000002", "department": [1], "position": "会计"},
        {"userid": "newbie", "name": "新同事", "mobile": "13800000003", "department": [1], "position": "助理"},
    ],
    "contacts": [
        {"external_userid": "wmHuaxiaBoss", "name": "陈总", "type": 1, "corp_name": "华夏科技", "gender": 1,
         "unionid": "u1", "avatar": "",
         "follow_users": [{"userid": "lixiaomei", "remark": "华夏陈总", "description": "", "createtime": 1700000000,
                           "tags": [], "state": "", "add_way": 1}]},
        {"external_userid": "wmJinchengCashier", "name": "刘出纳", "type": 1, "corp_name": "锦程贸易", "gender": 2,
         "unionid": "u2", "avatar": "",
         "follow_users": [{"userid": "wanggang", "remark": "", "description": "", "createtime": 1700000000,
                           "tags": [], "state": "", "add_way": 1}]},
    ],
    "groups": [
        {"chat_id": "wrHuaxiaGroup", "name": "华夏科技服务群", "owner": "lixiaomei", "create_time": 1700000000,
         "notice": "", "member_list": [
             {"userid": "lixiaomei", "type": 1, "join_time": 1700000000, "join_scene": 1,
              "invitor": {"userid": "lixiaomei"}, "group_nickname": "", "name": "李小梅"},
             {"userid": "wmHuaxiaBoss", "type": 2, "join_time": 1700000000, "join_scene": 1,
              "invitor": {"userid": "lixiaomei"}, "group_nickname": "", "name": "陈总"}],
         "admin_list": []},
    ],
}


def make_fake(**overrides: Any) -> FakeWeCom:
    fake = FakeWeCom(FakeConfig(corp_id=CORP_ID, agent_id=AGENT_ID, secret=SECRET, **overrides),
                     directory=SMALL_DIRECTORY)
    _issued_fakes.append(fake)
    return fake


@pytest.fixture
async def fake_server():
    """The fake WeCom on a real local port: (fake, base URL of its /cgi-bin/)."""
    fake = make_fake(token_ttl=7200)
    server = TestServer(create_fake_wecom_app(fake))
    await server.start_server()
    yield fake, str(server.make_url("/cgi-bin/"))
    await server.close()


@dataclass
class Stack:
    """The server under test, wired to the fake WeCom, with a callback driver and an HTTP client."""

    app: Any
    server: TestServer
    fake: FakeWeCom
    http: aiohttp.ClientSession
    driver: CallbackDriver

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


async def start_stack(db_url: str, fake_server, clock=None, routers=None, **wecom: Any) -> Stack:
    fake, api_base = fake_server
    config = make_config(db_url, api_base, **wecom)
    app = create_app(config, routers=routers, **({"clock": clock} if clock else {}))
    server = TestServer(app)
    await server.start_server()
    http = aiohttp.ClientSession()
    driver = CallbackDriver(str(server.make_url(config.wecom.callback_path)), TOKEN, AES_KEY, CORP_ID, AGENT_ID, http)
    return Stack(app, server, fake, http, driver)


@pytest.fixture
async def stack(db_url, fake_server):
    s = await start_stack(db_url, fake_server)
    yield s
    await stop_stack(s)


def run_sync(stack: Stack, fn, *args):
    """Run a database function the way the server does (for test set-up inside async tests)."""
    return stack.app[keys.DB].run(fn, *args)


# ---- no secret in any log line -------------------------------------------------------------------------

async def stop_stack(stack: Stack) -> None:
    await stack.http.close()
    await stack.server.close()


def _known_secrets() -> list[str]:
    found = [SECRET, AES_KEY, TOKEN, SESSION_SECRET]
    for fake in _issued_fakes:
        found += list(fake._tokens)
        found += [ticket for ticket, _ in fake._tickets.values()]
    return [s for s in found if s and len(s) >= 6]


def leaked_secrets(records, known: list[str]) -> list[str]:
    """Log lines (as production would write them) that contain a known secret, token or ticket."""
    redact = RedactFilter(known).redact
    found = []
    for record in records:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        # Only the access log carries raw query strings; production redacts it on the handler. Every other
        # logger must not write a secret at all, redaction or not.
        shown = redact(text) if record.name == "aiohttp.access" else text
        found += [f"{record.name}: {s[:4]}…" for s in known if s in shown]
    return found


@pytest.fixture(autouse=True)
def travelled_clock(request):
    """With ZF_TEST_CLOCK set, the test starts at that instant (see above); otherwise the real clock."""
    if not TEST_CLOCK or request.node.get_closest_marker("real_clock"):
        yield None
        return
    start = datetime.fromisoformat(TEST_CLOCK.replace("Z", "+00:00"))
    with time_machine.travel(start, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def no_secrets_in_logs(caplog):
    """Every test, all loggers at DEBUG: no secret, access token or JS ticket appears in any log line."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="peewee")  # as bot.logs.setup_logging does: SQL params stay out
    yield
    leaks = leaked_secrets(caplog.records, _known_secrets())
    _issued_fakes.clear()
    assert not leaks, f"secrets in log lines: {leaks}"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
