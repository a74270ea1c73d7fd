"""A staff member typing commands to the app: dispatch with a real database, fonts and an injectable clock."""
from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone

import pytest

import handlers
import models
from bot.config.settings import RenderConfig
from bot.context import Context
from bot.edge.messages import TextMessage
from bot.router import Dispatcher, Reply
from bot.texts import text_environment
from tests.conftest import make_config

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)  # 10:00 on 26 November in Shanghai


@functools.lru_cache(maxsize=1)
def fonts():
    """Found once per test session (fontconfig is slow-ish)."""
    from bot.render.fonts import load_fonts
    return load_fonts(RenderConfig())


class InlineDb:
    """Runs database functions inline on the test's connection; atomic() opens a real transaction."""

    async def run(self, fn, *args, **kwargs):
        return fn(*args, **kwargs)

    async def atomic(self, fn, *args, **kwargs):
        with models.db.atomic():
            return fn(*args, **kwargs)


class Bot:
    """Types messages as a member and returns the Reply (``send``: its text)."""

    def __init__(self, db_url: str, now: datetime = NOW, **agency):
        self.config = make_config(db_url)
        if agency:
            self.config = self.config.replace(agency=agency)
        self.dispatcher = Dispatcher(handlers.ROUTERS)
        self.now = now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)

    async def reply(self, userid: str, text: str) -> Reply:
        staff = models.Staff.get_or_none((models.Staff.wecom_userid == userid) & models.Staff.active)
        ctx = Context(config=self.config, db=InlineDb(), wecom=None, texts=text_environment(),
                      clock=lambda: self.now, userid=userid, staff=staff, fonts=fonts(), dispatcher=self.dispatcher)
        msg = TextMessage(to_user="wwc", from_user=userid, create_time=0, msg_type="text", agent_id=1, raw={},
                          content=text, msg_id="1")
        return await self.dispatcher.dispatch(msg, ctx)

    async def send(self, userid: str, text: str) -> str:
        reply = await self.reply(userid, text)
        assert reply.kind == "text", f"expected text, got {reply.kind} {reply.filename}"
        return reply.text


def counts() -> dict[str, int]:
    """Rows that a payment writes, to prove nothing was written."""
    return {m.__name__: m.select().count() for m in
            (models.Payment, models.PaymentAllocation, models.AuditLog, models.ReceiptCounter)} | {
        "paid": sum(r.paid_fen for r in models.Receivable.select())}


@pytest.fixture
def agency(database):
    """The small test agency with one record of every kind (tests/cmd_data.py)."""
    from tests.cmd_data import rich_agency
    return rich_agency()


@pytest.fixture
def bot(agency, db_url):
    """A member typing to the app, over that agency."""
    return Bot(db_url)
