"""知识库 in headless Chromium against the live demo: a maintainer (刘洋, who also audits) adds an entry, audits
it and imports a file (a broken one first: nothing written, the row and column named); then a member finds the
new entry in the sidebar's 知识库 tab and sends it into the chat."""
import io

from openpyxl import Workbook

from tests.browser import csp_checked_page, demo, desktop, needs_browser, page, seeded  # noqa: F401 (fixtures)
from tests.test_admin_browser import follow, open_menu, sign_in
from tests.test_sidebar_browser_tabs import open_group, open_tab, sent

pytestmark = needs_browser
TITLE = "火星分公司怎么报税？"
ANSWER = "火星分公司按季度向总公司汇总申报，征期同地球。"


def workbook(rows) -> bytes:
    wb = Workbook()
    wb.active.append(["一级分类*", "二级分类", "标题*", "简要描述", "答案*", "关键词"])
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


async def add_and_audit(page, demo) -> None:
    """As 刘洋: 新增知识, save, then 审核 on its page."""
    await sign_in(page, demo, "刘洋")
    await open_menu(page, "知识库")
    await follow(page, "a.button:text-is('新增知识')")
    await page.select_option("select[name=category]", index=1)
    await page.fill("input[name=title]", TITLE)
    await page.fill("textarea[name=brief]", "按季汇总申报")
    await page.fill("textarea[name=answer]", ANSWER)
    await page.fill("input[name=keywords]", "火星 分公司")
    await follow(page, "button:text-is('保存')")
    await page.wait_for_selector(f"h1:text-is('{TITLE}')")
    assert "未审核" in await page.locator(".kb-entry").inner_text()
    await follow(page, "button:text-is('审核')")
    assert "已审核 1 条知识" in await page.locator(".flash").inner_text()
    assert "刘洋" in await page.locator(".kb-entry").inner_text()


async def import_files(page, tmp_path) -> None:
    await follow(page, "nav.menu a:text-is('知识库')")
    await follow(page, "nav.tabs a:text-is('导入导出')")
    bad = tmp_path / "坏的.xlsx"
    bad.write_bytes(workbook([["工商", "", "分公司怎么注销？", "", "先清税。", ""], ["工商", "", "", "", "没有标题", ""]]))
    await page.set_input_files("input[type=file]", str(bad))
    await follow(page, "button:text-is('上传')")
    assert "未写入任何数据" in await page.locator(".import-result").inner_text()
    assert await page.locator("table.import-errors tbody tr").first.inner_text() == "3\t标题\t必填，不能为空"
    await follow(page, "a:text-is('← 知识库导入导出')")
    good = tmp_path / "好的.xlsx"
    good.write_bytes(workbook([["工商", "注销", "分公司怎么注销？", "", "先清税，再注销营业执照。", "注销 分公司"]]))
    await page.set_input_files("input[type=file]", str(good))
    await follow(page, "button:text-is('上传')")
    assert "导入成功" in await page.locator(".import-result").inner_text()
    await follow(page, "a:text-is('审核')")
    assert "分公司怎么注销？" in await page.locator("table.kb-list").inner_text()


async def test_a_maintainer_adds_audits_and_imports_then_staff_send_it_from_the_sidebar(desktop, page, demo, tmp_path):
    await add_and_audit(desktop, demo)
    await import_files(desktop, tmp_path)
    await open_group(page, demo)
    await open_tab(page, "知识库", "text=常用条目")
    await page.fill("input[aria-label='搜索知识库']", "火星 分公司")
    await page.click("form.bar2 button:text-is('搜索')")
    await page.wait_for_selector(f"button:text-is('{TITLE}')")
    assert await page.locator("button:text-is('分公司怎么注销？')").count() == 0  # imported, not audited
    await page.click(f"button[aria-label='发送 {TITLE}']")
    [message] = await sent(page, 1)
    assert message["msgtype"] == "text" and ANSWER in message["text"]["content"]
