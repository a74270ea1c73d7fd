"""Typed keys for everything stored on the web.Application."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import aiohttp
import jinja2
from aiohttp import web

if TYPE_CHECKING:
    from datetime import datetime

CONFIG = web.AppKey("config", "Config")
DB = web.AppKey("db", "Database")
HTTP = web.AppKey("http", aiohttp.ClientSession)
WECOM = web.AppKey("wecom", "WeComClient")
CRYPTO = web.AppKey("crypto", "CallbackCrypto")
DISPATCHER = web.AppKey("dispatcher", "Dispatcher")
TASKS = web.AppKey("tasks", "BackgroundTasks")
INBOX = web.AppKey("inbox", "InboxLedger")
ADMISSION = web.AppKey("admission", "Admission")
EDGE_STATS = web.AppKey("edge_stats", "EdgeStats")  # bot.edge.stats: callbacks and refusals since start
TEXTS = web.AppKey("texts", jinja2.Environment)
CLOCK = web.AppKey("clock", Callable[[], "datetime"])
FONTS = web.AppKey("fonts", object)  # bot.render.fonts.Fonts, loaded once at start-up
