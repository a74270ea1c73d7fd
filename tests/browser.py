"""Browser-test support: a live demo server (seeded SQLite + fake WeCom) and headless Chromium via Playwright.

Tests using these skip with a stated reason where no Chromium is installed (CI installs Debian's chromium).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.config.settings import load_config
from bot.sandbox.demo import demo_config, prepare_database
from bot.sandbox.fake.app import create_fake_wecom_app
from bot.sandbox.fake.records import FakeConfig
from bot.sandbox.fake.state import FakeWeCom
from bot.sandbox.page import SANDBOX_FAKE
from seed.world import demo_directory

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium)")


class LiveDemo:
    """The demo stack on real local ports, as `make demo` runs it."""

    def __init__(self, database: Path, port: int, fake_port: int, uploads: Path | None = None):
        base = load_config(require_wecom=False)
        base = base.replace(demo={"database": str(database), "sandbox_port": fake_port})
        if uploads is not None:  # else the configured var/uploads, as `make demo` keeps them
            base = base.replace(sidebar={"upload_dir": str(uploads)})
        self.config = demo_config(base, port)
        self.fake = FakeWeCom(FakeConfig(corp_id=self.config.wecom.corp_id, agent_id=self.config.wecom.agent_id,
                                         secret=self.config.wecom.secret), directory=demo_directory())
        self.servers: list[TestServer] = []
        self.app = None

    async def start(self) -> "LiveDemo":
        prepare_database(self.config, keep=True)
        fake_server = TestServer(create_fake_wecom_app(self.fake), port=self.config.demo.sandbox_port)
        await fake_server.start_server()
        self.app = create_app(self.config)
        self.app[SANDBOX_FAKE] = self.fake
        server = TestServer(self.app, port=self.config.server.port)
        await server.start_server()
        self.servers = [server, fake_server]
        return self

    def url(self, path: str) -> str:
        return self.config.base_url + path

    def contact_of(self, userid: str) -> dict:
        """A contact this member follows that is linked to at least one client in the demo."""
        return next(c for c in self.fake.directory["contacts"]
                    if any(f["userid"] == userid for f in c["follow_users"]))

    async def stop(self) -> None:
        for server in self.servers:
            await server.close()


async def launch_browser():
    from playwright.async_api import async_playwright
    manager = async_playwright()
    playwright = await manager.start()
    browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    return manager, playwright, browser


# Fixtures for browser tests (import them into the test module): a demo database seeded once per module,
# a live demo on fresh ports per test, and a 375 px wide (sidebar) or 1280 px wide (console) page in headless Chromium.
@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "demo.sqlite3"
    prepare_database(demo_config(load_config(require_wecom=False).replace(demo={"database": str(path)})), keep=False)
    return path


@pytest.fixture
async def demo(seeded, tmp_path, unused_tcp_port_factory):
    copy = tmp_path / "demo.sqlite3"
    copy.write_bytes(seeded.read_bytes())
    live = await LiveDemo(copy, unused_tcp_port_factory(), unused_tcp_port_factory(), tmp_path / "uploads").start()
    yield live
    await live.stop()


async def csp_checked_page(viewport: dict, **options):
    """A page that also fails the test if the Content-Security-Policy blocked anything the pages do. Confirm
    prompts (the console's data-confirm) are accepted, as a person clicking 确定 would; their texts are kept
    in ``page.dialogs``. ``options`` go to the browser context (e.g. ``user_agent``)."""
    manager, playwright, browser = await launch_browser()
    context = await browser.new_context(viewport=viewport, locale="zh-CN", **options)
    page = await context.new_page()
    blocked: list[str] = []
    page.dialogs = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)

    async def accept(dialog):
        page.dialogs.append(dialog.message)
        await dialog.accept()
    page.on("dialog", accept)
    yield page
    await browser.close()
    await manager.__aexit__()
    assert not blocked, f"the CSP blocked: {blocked[:3]}"


@pytest.fixture
async def page(demo):
    """375 px wide, as the sidebar in WeCom on a phone."""
    async for page in csp_checked_page({"width": 375, "height": 812}):
        yield page


@pytest.fixture
async def desktop(demo):
    """1280 x 800, the console (/admin) on a desktop."""
    async for page in csp_checked_page({"width": 1280, "height": 800}):
        yield page
