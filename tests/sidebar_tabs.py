"""Fixtures for the sidebar tab API tests: the rich test agency (tests/cmd_data.py, today 2026-11-26), a server
whose clock says so and whose uploads go to a temporary directory, and signed-in sidebars for its members."""
from __future__ import annotations

from datetime import datetime, timezone

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

import models
from bot.app import create_app
from bot.sandbox.driver import CallbackDriver
from tests.cmd_data import rich_agency
from tests.conftest import AES_KEY, AGENT_ID, CORP_ID, TOKEN, Stack, make_config, run_sync, stop_stack
from tests.sidebar_client import open_sidebar

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


async def start_tabs_stack(db_url: str, fake_server, upload_dir, **sidebar) -> Stack:
    fake, api_base = fake_server
    config = make_config(db_url, api_base).replace(sidebar={"upload_dir": str(upload_dir), "upload_max_mb": 1,
                                                            **sidebar})
    app = create_app(config, clock=lambda: NOW)
    server = TestServer(app)
    await server.start_server()
    http = aiohttp.ClientSession()
    driver = CallbackDriver(str(server.make_url(config.wecom.callback_path)), TOKEN, AES_KEY, CORP_ID, AGENT_ID, http)
    return Stack(app, server, fake, http, driver)


@pytest.fixture
async def tabs(db_url, fake_server, tmp_path):
    """(stack, ids of the rich agency's records)."""
    stack = await start_tabs_stack(db_url, fake_server, tmp_path / "uploads")
    agency = await run_sync(stack, rich_agency)
    ids = {k: v.id for k, v in agency.items() if isinstance(v, models.BaseModel)}
    yield stack, ids
    await stop_stack(stack)


@pytest.fixture
async def li(tabs):
    """李小梅's sidebar in her chat with 陈总 of 华夏科技."""
    client = await open_sidebar(tabs[0], "lixiaomei", external_userid="wmHuaxiaBoss")
    yield client
    await client.close()


@pytest.fixture
async def wang(tabs):
    """王刚's sidebar in his chat with 刘出纳 of 锦程贸易."""
    client = await open_sidebar(tabs[0], "wanggang", external_userid="wmJinchengCashier")
    yield client
    await client.close()


async def count(stack, model) -> int:
    return await run_sync(stack, lambda: model.select().count())


async def audits(stack) -> list[str]:
    return await run_sync(stack, lambda: [a.action for a in models.AuditLog.select().order_by(models.AuditLog.id)])
