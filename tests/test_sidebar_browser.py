"""The sidebar in headless Chromium at WeCom-mobile width, driven as a person would."""

from tests.browser import demo, needs_browser, page, seeded  # noqa: F401 (fixtures)

pytestmark = needs_browser




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
