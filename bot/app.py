"""create_app(config) -> web.Application. Nothing happens at import time.

Resources are cleanup_ctx generators, started in order and closed in reverse: database, then the HTTP
session and WeCom client, then background tasks (drained first on shutdown, before the database closes).
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import AsyncIterator, Callable

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web

import handlers
import models
from bot import keys, migrate
from bot.config.settings import Config
from bot.db import Database, DbTokenStore
from bot.edge.callback import setup_routes as setup_callback
from bot.edge.crypto import CallbackCrypto
from bot.edge.guard import path_ids, security_headers
from bot.edge.inbox import Admission, InboxLedger
from bot.edge.stats import EdgeStats
from bot.render.fonts import load_fonts
from bot.router import Dispatcher
from bot.scheduler import scheduler_context
from bot.tasks import BackgroundTasks
from bot.texts import text_environment
from bot.wecom import WeComClient

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def create_app(config: Config, clock: Callable[[], datetime] = utc_now,
               routers: list | None = None) -> web.Application:
    """The server: callback endpoint, sidebar pages, health check (and /sandbox in demo mode only).

    ``routers`` replaces the feature routers (tests use it to plug in probes)."""
    # keepalive_timeout also bounds how long a connection may take to send its headers: aiohttp closes any
    # connection still waiting for a complete request when it runs out (header read timeout and idle limit).
    app = web.Application(client_max_size=2 * 1024 * 1024, middlewares=[path_ids],
                          handler_args={"keepalive_timeout": config.server.idle_timeout})
    app.on_response_prepare.append(security_headers(config))
    app[keys.CONFIG] = config
    app[keys.CLOCK] = clock
    app[keys.EDGE_STATS] = EdgeStats()
    app[keys.CRYPTO] = CallbackCrypto(config.wecom.token, config.wecom.aes_key, config.wecom.corp_id)
    app[keys.DISPATCHER] = Dispatcher(handlers.ROUTERS if routers is None else routers)
    app[keys.TEXTS] = text_environment()
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(ROOT / "templates"),
                         autoescape=jinja2.select_autoescape(["html"]))
    app.cleanup_ctx.extend([_database, _fonts, _pinyin, _wecom, _background])
    # Last in, first out: the scheduler stops (and lets a push in flight finish) before the database closes.
    app.cleanup_ctx.append(scheduler_context(handlers.JOBS))
    setup_callback(app, config.wecom.callback_path)
    app.router.add_get("/healthz", healthz)
    app.router.add_static("/static", ROOT / "static", name="static")
    handlers.setup_web(app)
    if config.demo_mode:
        from bot.sandbox.page import setup_sandbox_page
        setup_sandbox_page(app)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    db = Database(app[keys.CONFIG].database)
    applied = await db.run(migrate.upgrade, db.peewee)
    if applied:
        log.info("database migrated: %s", ", ".join(applied))
    app[keys.DB] = db
    yield
    db.close()


async def _fonts(app: web.Application) -> AsyncIterator[None]:
    """Find the font receipts are drawn with, once; without one that draws Chinese, start-up stops here
    (FontError is a ConfigError: the CLI prints it as one line)."""
    app[keys.FONTS] = await asyncio.to_thread(load_fonts, app[keys.CONFIG].render)
    yield


async def _pinyin(app: web.Application) -> AsyncIterator[None]:
    """pypinyin's dictionaries (about half a second, once per process) load beside start-up, not on the first
    client search, new client or import."""
    loading = asyncio.ensure_future(asyncio.to_thread(models.pinyin_initials, "账房"))
    yield
    await loading


async def _wecom(app: web.Application) -> AsyncIterator[None]:
    session = aiohttp.ClientSession()
    app[keys.HTTP] = session
    app[keys.WECOM] = WeComClient(app[keys.CONFIG].wecom, session, DbTokenStore(app[keys.DB]))
    yield
    await session.close()


async def _background(app: web.Application) -> AsyncIterator[None]:
    app[keys.TASKS] = BackgroundTasks()
    app[keys.ADMISSION] = Admission(app[keys.DB])
    app[keys.INBOX] = InboxLedger(app[keys.DB])
    app[keys.INBOX].start()
    yield
    await app[keys.TASKS].drain(app[keys.CONFIG].server.shutdown_timeout)
    await app[keys.INBOX].close()  # late replies above record their state; then it is written


async def healthz(request: web.Request) -> web.Response:
    """Liveness and database reachability; never calls WeCom. 503 while the database is down, 200 again by
    itself once it is back (bot/db.py replaces broken connections); a busy SQLite file is not down."""
    db = request.app[keys.DB]
    health = await db.health()
    body = {"status": {"up": "ok"}.get(health.state, health.state),
            "database": "postgresql" if db.is_postgres else "sqlite"}
    if health.reason:
        body["reason"] = health.reason
    return web.json_response(body, status=503 if health.state == "down" else 200)
