"""收款 in the sidebar, in headless Chromium at 375 px against the live demo: a payment with its date, account and
note, then 作废 from 收款记录 with a reason typed in the row; the receipt keeps its number and the arrears return."""
import models
from bot import keys
from tests.browser import demo, needs_browser, page, seeded  # noqa: F401 (fixtures)
from tests.test_sidebar_browser_tabs import open_group, open_tab

pytestmark = needs_browser


def _payment(receipt_no: str) -> models.Payment:
    return models.Payment.get(models.Payment.receipt_no == receipt_no)


def _owed(client_name: str) -> int:
    client = models.Client.get(models.Client.name == client_name)
    return sum(r.outstanding_fen for r in models.Receivable.select().where(models.Receivable.client == client))


async def test_record_with_a_note_then_void_it_in_the_sidebar(page, demo):
    db = demo.app[keys.DB]
    owed_before = await db.run(_owed, "杭州华夏科技有限公司")
    await open_group(page, demo, contact=True)
    await open_tab(page, "收款", "text=欠费情况")
    await page.click("button.orange:text-is('收款')")
    await page.fill("input[aria-label='收款金额（元）']", "100")
    await page.fill("input[aria-label='收款账户']", "基本户")
    await page.fill("input[aria-label='备注']", "陈总转账")
    await page.click("text=下一步")
    await page.wait_for_selector("text=确认收款")
    confirm = await page.locator(".card.confirm").inner_text()
    assert "基本户" in confirm and "陈总转账" in confirm
    await page.click("text=确定收款")
    await page.wait_for_selector(".card.done")
    receipt_no = (await page.locator(".card.done").inner_text()).split("收据号 ")[1].split()[0]
    paid = await db.run(_payment, receipt_no)
    assert (paid.note, paid.account, paid.amount_fen) == ("陈总转账", "基本户", 10000)
    assert await db.run(_owed, "杭州华夏科技有限公司") == owed_before - 10000

    await page.click("button:text-is('收款记录')")
    await page.click(f"button[aria-label='作废收据 {receipt_no}']")
    await page.click("button:text-is('确认作废')")  # no reason yet: refused on the page, nothing sent
    await page.wait_for_selector(".toast >> text=请填写作废原因")
    await page.fill("input[aria-label='作废原因']", "金额录错")
    await page.click("button:text-is('确认作废')")
    await page.wait_for_selector("text=作废原因：金额录错")
    row = page.locator(".card:has(h3:text-is('收款记录')) .item", has_text=receipt_no)
    assert "已作废" in await row.inner_text()
    assert await row.locator("button:text-is('发送收据')").is_disabled()
    voided = await db.run(_payment, receipt_no)
    assert voided.voided_at is not None and voided.void_reason == "金额录错" and voided.receipt_no == receipt_no
    assert await db.run(_owed, "杭州华夏科技有限公司") == owed_before
