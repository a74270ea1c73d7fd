"""Shared by the reminder, outbox and scheduler tests: a fake clock, an in-process runtime, subprocess configs."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bot import migrate
from bot.context import Context
from bot.db import Database
from bot.outbox.engine import Outbox
from bot.scheduler import kinds_of
from bot.texts import text_environment
from bot.wecom import MemoryTokenStore, WeComClient
from tests.conftest import AES_KEY, AGENT_ID, CORP_ID, SECRET, SESSION_SECRET, TOKEN, make_config

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = timezone(timedelta(hours=8))

# Thursday 2026-11-12, 09:30 in Shanghai: past the 10th (收票 step), four days before the
# filing deadline (the 15th is a Sunday, so it rolls to Monday the 16th).
THURSDAY = datetime(2026, 11, 12, 9, 30, tzinfo=SHANGHAI)


class Clock:
    """An injectable clock; its sleep moves time forward instead of waiting."""

    def __init__(self, start: datetime):
        self.now = start.astimezone(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def epoch(self) -> float:
        return self.now.timestamp()

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=max(seconds, 0.0))

    def set(self, moment: datetime) -> None:
        self.now = moment.astimezone(timezone.utc)


@dataclass
class Runtime:
    """What a job run needs, wired to the fake WeCom, with the clock shared by both."""
    ctx: Context
    outbox: Outbox
    clock: Clock
    fake: Any
    session: aiohttp.ClientSession

    async def close(self) -> None:
        await self.session.close()
        self.ctx.db.close()

    async def db(self, fn, *args):
        return await self.ctx.db.run(fn, *args)


async def start_runtime(db_url: str, fake_server, clock: Clock, jobs: list | None = None,
                        wecom: dict | None = None, **jobs_settings: Any) -> Runtime:
    """A migrated database, a WeCom client on the fake and an outbox for `jobs` (default: the product's);
    `wecom` overrides settings of the wecom section (e.g. request_timeout)."""
    from handlers import JOBS
    fake, api_base = fake_server
    fake.clock = clock.epoch
    config = make_config(db_url, api_base, **(wecom or {}))
    config = config.replace(jobs={"quiet_hours": "", "avoid_minutes": (), **jobs_settings})
    db = Database(config.database)
    await db.run(migrate.upgrade, db.peewee)
    session = aiohttp.ClientSession()
    wecom = WeComClient(config.wecom, session, MemoryTokenStore(), clock=clock.epoch, sleep=clock.sleep)
    ctx = Context(config=config, db=db, wecom=wecom, texts=text_environment(), clock=clock)
    outbox = Outbox(config, db, wecom, ctx.texts, kinds_of(jobs if jobs is not None else JOBS), clock,
                    sleep=clock.sleep)
    return Runtime(ctx, outbox, clock, fake, session)


def pushed(fake, userid: str) -> list[str]:
    """What a member received (markdown text, or a textcard's title and description)."""
    out = []
    for message in fake.messages_for(userid):
        content = message.content
        out.append(content.get("content") or f"{content.get('title')}\n{content.get('description')}")
    return out


# ---- subprocesses -----------------------------------------------------------------------------------

def write_config(path: Path, db_url: str, api_base: str, wecom: dict | None = None, **jobs: Any) -> Path:
    """A config file for `python -m bot --config PATH …` in a child process."""
    settings = {"quiet_hours": "", "avoid_minutes": [], **jobs}
    data = {"server": {"public_url": "http://testserver"},
            "wecom": {"backoff_base": 0.01, "request_timeout": 5, **(wecom or {})},
            "database": {"url": db_url}, "jobs": settings}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def child_env(db_url: str, api_base: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECOM_", "DATABASE_URL"))}
    env.update({"WECOM_CORP_ID": CORP_ID, "WECOM_AGENT_ID": str(AGENT_ID), "WECOM_SECRET": SECRET,
                "WECOM_TOKEN": TOKEN, "WECOM_AES_KEY": AES_KEY, "WECOM_API_BASE": api_base,
                "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT), "SESSION_SECRET": SESSION_SECRET})
    return env


def bot_command(config_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "bot", "--config", str(config_path), *args]
