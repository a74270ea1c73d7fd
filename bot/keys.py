"""Typed keys for everything stored on the web.Application."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import aiohttp
import jinja2
from aiohttp import web

if TYPE_CHECKING:
    from bot.config import Config
    from bot.crypto import CallbackCrypto
    from bot.db import Database
    from bot.inbox import Admission, InboxLedger
    from bot.router import Dispatcher
    from bot.tasks import BackgroundTasks
    from bot.wecom import WeComClient
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
TEXTS = web.AppKey("texts", jinja2.Environment)
CLOCK = web.AppKey("clock", Callable[[], "datetime"])
FONTS = web.AppKey("fonts", object)  # bot.render.Fonts, loaded once at start-up
