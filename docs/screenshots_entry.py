"""Regenerate docs/screenshots/admin/{client-form,client,contract-form,service,receivable-form,client-delete}.png:
entering records in the console (issue 12 item 1), from the demo agency.

    .venv/bin/python docs/screenshots_entry.py

Starts the demo (seeded SQLite + fake WeCom) on free local ports in a temporary directory, signs in as 张明远 and
drives the system Chromium as tests/test_admin_entry_browser.py does: a new client (first with a mistake), its
contract, a quarterly bookkeeping term and the receivables of its billing plan.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screenshots" / "admin"


async def shoot(page, name: str, files: list) -> None:
    path = OUT / f"{name}.png"
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
        await follow(page, "a.button:text-is('新增客户')")
        await page.fill("#f-name", "杭州新星网络有限公司")
        await page.fill("#f-short_name", "新星网络")
        await page.fill("#f-tax_id", "9133010")
        await page.select_option("#f-taxpayer_type", label="一般纳税人")
        await page.select_option("#f-manager", label="李晓梅")
        await page.select_option("#f-accountant", label="孙伟")
        await page.fill("#f-tags", "重点客户、电子发票")
        await follow(page, "button:text-is('保存')")
        await shoot(page, "client-form", files)
        await page.fill("#f-tax_id", "91330106MA2K00002X")
        await follow(page, "button:text-is('保存')")
        client_url = page.url
        await follow(page, "a.button:text-is('新增合同')")
        for field, value in (("number", "HT2027-NEW"), ("title", "代理记账服务合同"), ("start_date", "2027-01-01"),
                             ("end_date", "2027-12-31"), ("amount_fen", "3,600"), ("signed_on", "2026-12-20")):
            await page.fill(f"#f-{field}", value)
        await follow(page, "button:text-is('保存合同')")
        await shoot(page, "contract-form", files)
        await follow(page, "a.button:text-is('新增服务')")
        for field, value in (("name", "代理记账"), ("start_date", "2027-01-01"), ("end_date", "2027-12-31"),
                             ("fee_fen", "900")):
            await page.fill(f"#f-{field}", value)
        await page.select_option("#f-billing_cycle", label="按季")
        await page.select_option("#f-contract", label="HT2027-NEW 代理记账服务合同")
        await follow(page, "button:text-is('保存服务')")
        await shoot(page, "service", files)
        await follow(page, "button:text-is('生成应收')")
        await page.goto(client_url)
        await follow(page, "a.button:text-is('添加联系人')")
        await page.fill("#f-name", "周新")
        await page.fill("#f-title", "老板")
        await page.fill("#f-mobile", "13800000009")
        await page.check("#f-is_primary")
        await follow(page, "button:text-is('保存')")
        await page.goto(client_url)
        await shoot(page, "client", files)
        await follow(page, "a.button:text-is('新增应收')")
        await page.fill("#f-item", "工商年报代办费")
        await page.fill("#f-period_start", "2027-05")
        await page.fill("#f-period_end", "2027-04")
        await page.fill("#f-amount_fen", "300")
        await page.fill("#f-due_date", "2027-05-31")
        await follow(page, "button:text-is('保存')")
        await shoot(page, "receivable-form", files)
        await page.goto(client_url)
        await follow(page, "button:text-is('删除客户')")
        await page.set_viewport_size({"width": 1280, "height": 420})
        await page.screenshot(path=str(OUT / "client-delete.png"))
        files.append(OUT / "client-delete.png")
        return files
    finally:
        await browser.close()
        await manager.__aexit__()


async def main() -> None:
    from docs.screenshots import run_on_demo
    await run_on_demo(lambda demo, tmp: capture(demo))


if __name__ == "__main__":
    asyncio.run(main())
