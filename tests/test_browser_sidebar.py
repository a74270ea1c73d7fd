"""The sidebar in headless Chromium at WeCom-mobile width, driven as a person would."""
import pytest

from bot.sandbox.demo import demo_config, prepare_database
from bot.config import load_config
from tests.browser import LiveDemo, launch_browser, needs_browser

pytestmark = needs_browser


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "demo.sqlite3"
    prepare_database(demo_config(load_config(require_wecom=False).replace(demo={"database": str(path)})), keep=False)
    return path


@pytest.fixture
async def demo(seeded, tmp_path, unused_tcp_port_factory):
    copy = tmp_path / "demo.sqlite3"
    copy.write_bytes(seeded.read_bytes())
    live = await LiveDemo(copy, unused_tcp_port_factory(), unused_tcp_port_factory()).start()
    yield live
    await live.stop()


@pytest.fixture
async def page(demo):
    manager, playwright, browser = await launch_browser()
    context = await browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = await context.new_page()
    yield page
    await browser.close()
    await manager.__aexit__()


async def open_sidebar(page, demo, userid="lixiaomei", **chat):
    chat = chat or {"external_userid": demo.contact_of(userid)["external_userid"]}
    query = "&".join(f"{k}={v}" for k, v in {"userid": userid, **chat}.items())
    await page.goto(demo.url(f"/sandbox/open-sidebar?{query}"))
    await page.wait_for_selector("#tabs button")


async def test_sidebar_opens_for_a_followed_contact_and_shows_the_client(page, demo):
    await open_sidebar(page, demo)
    assert await page.locator(".tabs button.on").inner_text() == "基础资料"
    await page.wait_for_selector(".card h3")
    title = await page.locator(".card h3").first.inner_text()
    assert "有限公司" in title
    assert await page.locator(".kv").count() >= 5


async def test_tags_are_saved_from_the_profile_tab(page, demo):
    await open_sidebar(page, demo)
    await page.wait_for_selector("input[aria-label='标签，用逗号分隔']")
    await page.fill("input[aria-label='标签，用逗号分隔']", "重点，年报")
    await page.click("text=保存标签")
    await page.wait_for_selector(".toast.show")
    assert "已保存" in await page.locator(".toast").inner_text()
    await page.reload()
    await page.wait_for_selector("input[aria-label='标签，用逗号分隔']")
    assert await page.input_value("input[aria-label='标签，用逗号分隔']") == "重点，年报"
