"""Regenerate docs/screenshots/admin/filings-*.png: the 报税看板 (X4) and one return's form, from the demo agency.

    .venv/bin/python docs/screenshots_filings.py

Starts the demo (seeded SQLite + fake WeCom) on free local ports in a temporary directory, signs in as the
accountant 孙伟 through the demo's 企业微信扫码登录, and drives the system Chromium as
tests/test_admin_filings_browser.py does: one return's filing is undone (with a reason) and marked again from
the board, so the pictures show a flash, the per-accountant counts and the return's audit trail.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screenshots" / "admin"


async def capture(demo) -> list[Path]:
    from tests.browser import launch_browser
    from tests.test_admin_filings_browser import mark_on_board, sign_in, undo_first_filed
    OUT.mkdir(parents=True, exist_ok=True)
    manager, _, browser = await launch_browser()
    try:
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = await context.new_page()
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))  # the board's confirm prompts
        await sign_in(page, demo, "孙伟", "/admin/filings")
        client = await undo_first_filed(page)
        row = page.locator("table.board tbody tr", has=page.locator("input.amount")).first
        await mark_on_board(page, row, "已申报", "1,234.56")
        board = OUT / "filings-board.png"
        await page.screenshot(path=str(board), full_page=True)
        await page.fill("input[name=q]", client)
        await page.click("button:has-text('筛选')")
        await page.locator("table.board tbody tr", has_text="1,234.56").locator("a").click()
        await page.wait_for_selector("text=操作记录")
        one = OUT / "filings-return.png"
        await page.screenshot(path=str(one), full_page=True)
        return [board, one]
    finally:
        await browser.close()
        await manager.__aexit__()


async def main() -> None:
    from docs.screenshots import run_on_demo
    await run_on_demo(lambda demo, tmp: capture(demo))


if __name__ == "__main__":
    asyncio.run(main())
