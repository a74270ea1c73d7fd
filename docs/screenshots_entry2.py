"""Regenerate docs/screenshots/admin/{invoices,invoice-form,report-form,collection-form,client-records}.png:
entering invoices, report snapshots and 收票 records in the console (issue 12 item 1), from the demo agency.

    .venv/bin/python docs/screenshots_entry2.py

Starts the demo (seeded SQLite + fake WeCom) on free local ports in a temporary directory, signs in as 张明远 and
drives the system Chromium as docs/screenshots_entry.py does: an invoice (first with a mistake), the client's
invoice list filtered, a balance sheet pasted as lines, and a 收票 record entered twice for one period.
"""
from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screenshots" / "admin"
LINES = "1 | 货币资金 | 86,500.00 | 资产\n2 | 应收账款 | 32,000.00 | 资产\n | 资产合计 | 118,500.00 | 资产 | 是"


async def shoot(page, name: str, files: list, selector: str | None = None) -> None:
    path = OUT / f"{name}.png"
    if selector:
        await page.locator(selector).screenshot(path=str(path))
    else:
        await page.screenshot(path=str(path), full_page=True)
    files.append(path)


async def capture(demo) -> list[Path]:
    from tests.browser import launch_browser
    from tests.test_admin_browser import follow, open_menu, sign_in
    OUT.mkdir(parents=True, exist_ok=True)
    manager, _, browser = await launch_browser()
    files: list[Path] = []
    try:
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = await context.new_page()
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await sign_in(page, demo)
        await open_menu(page, "已关联客户")
        href = next(h for h in await page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
                    if h and re.fullmatch(r"/admin/clients/\d+", h))
        client_url = demo.url(href)
        await page.goto(client_url)
        await follow(page, "a.button:text-is('新增发票')")
        for field, value in (("period", "2026-10"), ("number", "2633200000000001"), ("issue_date", "2026-10-18"),
                             ("counterparty", "杭州明达办公用品有限公司"), ("amount_fen", "4,200"),
                             ("tax_fen", "546"), ("rate_bp", "13%")):
            await page.fill(f"#f-{field}", value)
        await page.select_option("#f-kind", label="专票")
        await follow(page, "button:text-is('保存')")
        await shoot(page, "invoice-form", files)
        await page.fill("#f-number", "26332000000000009001")
        await follow(page, "button:text-is('保存')")
        await page.goto(client_url)
        await follow(page, "a.button:has-text('全部发票')")
        await page.select_option("select[name=period]", "2026-10")
        await page.select_option("select[name=direction]", label="进项")
        await follow(page, "button:text-is('筛选')")
        await shoot(page, "invoices", files)
        await page.goto(client_url)
        await follow(page, "a.button:text-is('新增报表')")
        await page.fill("#f-period", "2026-09")
        await page.fill("#f-lines", LINES)
        await follow(page, "button:text-is('保存')")
        await page.goto(client_url)
        for attempt in range(2):  # the second time the period already has its record: a field error
            await follow(page, "a.button:text-is('新增收票记录')")
            await page.fill("#f-period", "2026-11")
            await page.check("input[name=received_purchase_invoice]")
            await page.fill("input[name=count_purchase_invoice]", "8")
            await page.fill("input[name=count_bank_slip]", "2")
            await page.fill("#f-note", "银行回单下周补")
            await follow(page, "button:text-is('保存')")
            if attempt:
                await shoot(page, "collection-form", files)
            await page.goto(client_url)
        await page.goto(client_url)
        report = await page.get_attribute("#reports a[href^='/admin/reports/']", "href")
        await shoot(page, "client-records", files, "#invoices")
        await page.goto(demo.url(report))
        await shoot(page, "report-form", files)
        return files
    finally:
        await browser.close()
        await manager.__aexit__()


async def main() -> None:
    from docs.screenshots import run_on_demo
    await run_on_demo(lambda demo, tmp: capture(demo))


if __name__ == "__main__":
    asyncio.run(main())
