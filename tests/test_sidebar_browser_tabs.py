"""The sidebar's tabs in headless Chromium at 375 px, against the live demo: switch tabs, send reminders, record a
payment and send its receipt; the stub `ww` records what went into the chat box (window.__wwSent)."""
import asyncio
import importlib.util
from pathlib import Path

from tests.browser import demo, needs_browser, page, seeded  # noqa: F401 (fixtures)

pytestmark = needs_browser
ROOT = Path(__file__).resolve().parent.parent
TAB_TITLES = ["基础资料", "服务", "收款", "收票", "跟进", "报税", "报表", "发票", "知识库"]




def huaxia_group(demo) -> str:
    return next(g["chat_id"] for g in demo.fake.directory["groups"] if g["name"] == "华夏科技服务群")


async def open_group(page, demo, userid="lixiaomei", contact=False):
    """The sidebar in 华夏科技服务群 (or, with ``contact``, the chat with 华夏's boss, who also owns 润泽医疗),
    switched to 华夏科技, the client with arrears."""
    chat = (f"external_userid={demo.contact_of(userid)['external_userid']}" if contact
            else f"chat_id={huaxia_group(demo)}")
    await page.goto(demo.url(f"/sandbox/open-sidebar?userid={userid}&{chat}"))
    await page.wait_for_selector("#tabs button")
    await page.select_option("select[aria-label='切换客户']", label="杭州华夏科技有限公司")
    await page.wait_for_selector(".card h3:text-is('杭州华夏科技有限公司')")


async def open_tab(page, title: str, ready: str):
    await page.click(f"#tabs button:text-is('{title}')")
    await page.wait_for_selector(ready)


async def sent(page, count: int) -> list[dict]:
    """The sendChatMessage calls once there are ``count`` of them (polled from here: the page's CSP forbids the
    string evaluation wait_for_function does inside the page)."""
    for _ in range(200):
        calls = [c["payload"] for c in await page.evaluate("window.__wwSent || []") if c["api"] == "sendChatMessage"]
        if len(calls) >= count:
            return calls
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} sendChatMessage calls: {calls}")


async def test_every_tab_opens_with_its_content(page, demo):
    await open_group(page, demo)
    assert await page.locator("#tabs button").all_inner_texts() == TAB_TITLES
    for title, ready in [("服务", "text=服务情况"), ("收款", "text=欠费情况"), ("收票", "text=收票记录"),
                         ("跟进", "text=新增跟进"), ("报税", "text=报税完成通知"), ("报表", "text=发送报表到聊天"),
                         ("发票", "text=预估增值税"), ("知识库", "text=常用条目"), ("基础资料", ".card h3")]:
        await open_tab(page, title, ready)
        assert await page.locator(".tabs button.on").inner_text() == title
        assert await page.locator("#panel .error").count() == 0, title


async def test_record_a_payment_and_send_its_receipt(page, demo):
    await open_group(page, demo, contact=True)
    await open_tab(page, "收款", "text=欠费情况")
    await page.click("button.orange:text-is('收款')")
    await page.click("text=下一步")
    await page.wait_for_selector("text=确认收款")
    assert "元" in await page.locator(".card.confirm").inner_text()
    await page.click("text=确定收款")
    await page.wait_for_selector(".card.done")
    receipt_no = (await page.locator(".card.done").inner_text()).split("收据号 ")[1].split()[0]
    await page.click(".card.done >> text=发送收据")
    [message] = await sent(page, 1)
    assert message["msgtype"] == "image" and message["enterChat"] is True
    media = demo.fake.media[message["image"]["mediaid"]]
    assert media.filename == f"收据-{receipt_no}.png" and media.data.startswith(b"\x89PNG")


async def test_payment_reminder_and_service_reminders_go_into_the_chat_box(page, demo):
    await open_group(page, demo, contact=True)
    await open_tab(page, "收款", "text=欠费情况")
    await page.click("text=催款提醒")
    [reminder] = await sent(page, 1)
    assert reminder["msgtype"] == "text" and reminder["text"]["content"].startswith("【付款提醒】杭州华夏科技有限公司")
    await open_tab(page, "服务", "text=服务情况")
    await page.click("button:text-is('到期提醒')")
    await page.click("button:text-is('缺票提醒')")
    texts = [m["text"]["content"] for m in await sent(page, 3)]
    assert texts[1].startswith("【服务到期提醒】杭州华夏科技有限公司") and texts[2].startswith("【缺票提醒】")


async def test_knowledge_answer_and_collection_image(page, demo):
    await open_group(page, demo)
    await open_tab(page, "知识库", "text=常用条目")
    await page.fill("input[aria-label='搜索知识库']", "小规模")
    await page.click("form >> text=搜索")
    await page.wait_for_selector("text=搜索结果")
    assert await page.locator(".snippet mark").first.text_content() == "小规模"  # highlighted, built as nodes
    await page.locator("button:has-text('✈ 发送')").first.click()
    await open_tab(page, "收票", "text=收票记录")
    await page.locator("text=查看详情").first.click()
    await page.click("button:text-is('分享')")
    text, image = await sent(page, 2)
    assert text["text"]["content"].startswith("【") and "小规模" in text["text"]["content"]
    assert image["msgtype"] == "image" and demo.fake.media[image["image"]["mediaid"]].type == "image"


async def test_follow_up_with_an_attachment(page, demo, tmp_path):
    await open_group(page, demo)
    await open_tab(page, "跟进", "text=新增跟进")
    await page.fill("textarea[aria-label='跟进内容']", "上门取回10月进项发票")
    photo = tmp_path / "发票.png"
    from PIL import Image
    Image.new("RGB", (16, 16), "blue").save(photo)
    await page.set_input_files("input[aria-label='附件']", str(photo))
    assert "发票.png" in await page.locator("text=已选 1 个").inner_text()
    await page.click("form >> text=保存")
    await page.wait_for_selector(".note >> text=上门取回10月进项发票")
    link = page.locator(".note a", has_text="发票.png")
    response = await page.request.get(demo.url(await link.get_attribute("href")))
    assert response.status == 200 and (await response.body()).startswith(b"\x89PNG")


async def test_screenshot_script_captures_every_tab(demo, tmp_path):
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "docs" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    files = await module.capture(demo, tmp_path)
    assert [f.name for f in files] == [f"{tab}.png" for tab in module.TABS]
    from PIL import Image
    with Image.open(files[0]) as shot:
        assert shot.width == 375 * module.SCALE
