"""Entering records in the console as a person would, in headless Chromium on the demo: a new client from the
clients list, a contract and its bookkeeping term, the receivables of its billing plan, then 续费; a form with
mistakes keeps what was typed and says what to fix; deleting a client in use is refused with the reason."""
from tests.browser import csp_checked_page, demo, desktop, needs_browser, seeded  # noqa: F401 (fixtures)
from tests.test_admin_browser import follow, open_menu, sign_in

pytestmark = needs_browser


async def enter_client(page) -> None:
    await open_menu(page, "已关联客户")
    await follow(page, "a.button:text-is('新增客户')")
    await page.fill("#f-name", "杭州新星网络有限公司")
    await page.fill("#f-short_name", "新星网络")
    await page.fill("#f-tax_id", "123")  # a mistake first
    await page.select_option("#f-taxpayer_type", label="一般纳税人")
    await page.select_option("#f-manager", label="李晓梅")
    await page.fill("#f-tags", "重点客户、电子发票")
    await follow(page, "button:text-is('保存')")
    await page.wait_for_selector(".field.invalid p.error:has-text('不是税号')")
    assert await page.input_value("#f-name") == "杭州新星网络有限公司"  # what was typed is kept
    await page.fill("#f-tax_id", "91330106MA2K00002X")
    await follow(page, "button:text-is('保存')")
    await page.wait_for_selector("p.flash:has-text('已新增客户「杭州新星网络有限公司」')")


async def test_enter_a_client_a_contract_and_its_receivables(desktop, demo):
    page = desktop
    await sign_in(page, demo)
    await enter_client(page)
    assert await page.locator("#profile td:text-is('91330106MA2K00002X')").count() == 1
    await follow(page, "a.button:text-is('新增合同')")
    await page.fill("#f-number", "HT2027-NEW")
    await page.fill("#f-title", "代理记账服务合同")
    await page.fill("#f-start_date", "2027-01-01")
    await page.fill("#f-end_date", "2027-12-31")
    await page.fill("#f-amount_fen", "3,600")
    await follow(page, "button:text-is('保存合同')")
    await page.wait_for_selector("p.flash:has-text('已保存合同 HT2027-NEW')")
    await follow(page, "a.button:text-is('新增服务')")
    await page.fill("#f-name", "代理记账")
    await page.fill("#f-start_date", "2027-01-01")
    await page.fill("#f-end_date", "2027-12-31")
    await page.fill("#f-fee_fen", "900")
    await page.select_option("#f-billing_cycle", label="按季")
    await page.select_option("#f-contract", label="HT2027-NEW 代理记账服务合同")
    await follow(page, "button:text-is('保存服务')")
    await page.wait_for_selector("p.flash:has-text('已保存服务「代理记账」')")
    assert await page.locator("td:text-is('2027-10 至 2027-12')").count() == 1  # the plan, before it is billed
    await follow(page, "button:text-is('生成应收')")
    await page.wait_for_selector("p.flash:has-text('已生成 4 笔应收')")
    receivables = page.locator("#receivables tbody tr")
    assert await receivables.count() == 4
    assert "900.00" in await receivables.first.inner_text()
    await page.goto(page.url.split("#")[0])
    await follow(page, "#services a:text-is('管理')")
    await follow(page, "button:text-is('续费')")
    await page.wait_for_selector("p.flash:has-text('新一期 2028-01-01 至 2028-12-31')")


async def test_deleting_a_client_in_use_is_refused_with_the_reason(desktop, demo):
    page = desktop
    await sign_in(page, demo)
    await open_menu(page, "已关联客户")
    first = page.locator("table.clients tbody tr td a").first
    name = await first.inner_text()
    await follow(page, f"table.clients a:text-is('{name}')")
    await follow(page, "button:text-is('删除客户')")  # data-confirm is accepted by the page fixture
    await page.wait_for_selector("p.warn:has-text('不能删除')")
    assert await page.locator(f"h1:has-text('{name}')").count() == 1
