"""报税看板 (X4) in headless Chromium on the demo agency, driven as an accountant would: sign in through the demo's
企业微信扫码登录, 撤销 one return's filing with a reason, then mark it and another 已申报 / 零申报 from the board."""
from tests.browser import demo, needs_browser, page, seeded  # noqa: F401 (fixtures)

pytestmark = needs_browser


async def sign_in(page, demo, name: str, next_path: str) -> None:
    """/admin/login → 企业微信扫码登录 → pick the member on the demo's /sandbox/sso → back at ``next_path``."""
    await page.goto(demo.url(f"/admin/login?next={next_path}"))
    await page.click("a.button.primary")
    await page.click(f"a.member:has-text('{name}')")
    await page.wait_for_selector("h1")


async def undo_first_filed(page) -> str:
    """撤销申报 on the first filed return of the board; returns the client it belongs to."""
    link = page.locator("table.board a:has-text('更正/撤销')").first
    client = await link.locator("xpath=ancestor::tr/td[2]").inner_text()
    await link.click()
    await page.fill("#f-reason", "税额填错，电子税务局已作废")
    await page.click("button:has-text('撤销申报')")
    await page.wait_for_selector(".flash")
    return client


async def mark_on_board(page, row, kind: str, amount: str = "") -> None:
    """Tick ``row``, type its tax (已申报) and submit the bulk form as ``kind`` (已申报 / 零申报)."""
    await row.locator("input[name=ids]").check()
    if amount:
        await row.locator("input.amount").fill(amount)
    await page.check(f"input[name=kind][value={'zero' if kind == '零申报' else 'filed'}]")
    await page.click("button:has-text('标记所选')")
    await page.wait_for_selector(".flash")


async def test_an_accountant_marks_returns_on_the_board(page, demo):
    await sign_in(page, demo, "孙伟", "/admin/filings")
    assert "报税看板" in await page.locator("h1").inner_text()
    assert await page.locator(".board-summary tbody tr").count() >= 1
    client = await undo_first_filed(page)
    assert "已撤销申报" in await page.locator(".flash").inner_text()

    await page.fill("input[name=q]", client)
    await page.click("button:has-text('筛选')")
    await page.wait_for_selector("table.board")
    row = page.locator("table.board tbody tr", has=page.locator("input.amount")).first  # the one just undone (or another of its returns still due)
    tax = await row.locator("td").nth(3).inner_text()
    await mark_on_board(page, row, "已申报", "1,234.56")
    assert "已将 1 条申报标记为已申报" in await page.locator(".flash").inner_text()
    marked = page.locator("table.board tbody tr", has_text="1,234.56")
    assert await marked.count() == 1 and tax in await marked.inner_text()
    assert "已申报" in await marked.locator(".tag").first.inner_text()

    await mark_on_board(page, marked, "零申报")  # a correction: the same return, nothing due after all
    assert "已将 1 条申报标记为零申报" in await page.locator(".flash").inner_text()
    assert await page.locator("table.board tbody tr", has_text="1,234.56").count() == 0
    assert await page.locator("table.board .tag.state-zero").count() >= 1
