"""Regenerate docs/screenshots/admin/*.png: every page of the console (/admin) at desktop width, from the demo agency.

    .venv/bin/python docs/screenshots_admin.py

Starts the demo (seeded SQLite + fake WeCom) on free local ports in a temporary directory and drives the
system Chromium (apt-get install chromium) through Playwright, as tests/test_admin_browser.py does: signs in
through the sandbox's QR stand-in as 张明远 and walks the console once, so every picture shows the same demo state
(the new staff account, the refreshed member list and the handover appear in the later pages).
members-matched.png (a member matching themself by mobile) is not made here.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screenshots" / "admin"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
MAX_HEIGHT = 1200  # long lists are cut here: a README picture, not an archive


async def capture(demo, out_dir: Path = OUT) -> list[Path]:
    from playwright.async_api import async_playwright
    from tests.browser import CHROMIUM, CHROMIUM_ARGS
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    manager = async_playwright()
    playwright = await manager.start()
    browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--lang=zh-CN"])

    async def shot(page, name: str, full: bool = True) -> None:
        await page.wait_for_load_state("networkidle")
        path = out_dir / f"{name}.png"
        if full:
            height = min(MAX_HEIGHT, await page.evaluate("document.documentElement.scrollHeight"))
            width = page.viewport_size["width"]
            await page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height})
        else:
            await page.screenshot(path=str(path))
        files.append(path)

    async def go(page, path: str) -> None:
        await page.goto(demo.url(path))

    async def click(page, selector: str) -> None:
        async with page.expect_navigation():
            await page.click(selector)

    try:
        context = await browser.new_context(viewport=DESKTOP, locale="zh-CN")
        page = await context.new_page()
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))  # data-confirm prompts

        # Sign in through the QR stand-in.
        await go(page, "/admin/login")
        await shot(page, "login")
        await click(page, "a.button:text-is('企业微信扫码登录')")
        await shot(page, "sso")
        await click(page, "a.member:text-is('张明远')")
        await page.wait_for_selector("h1:text-is('你好，张明远')")

        # 员工管理: add 郑佳 (no WeCom yet), then the list and the permission grid.
        await go(page, "/admin/staff/new")
        await page.fill("#f-name", "郑佳")
        await page.fill("#f-mobile", "13912345678")
        await page.fill("#f-position", "会计")
        await shot(page, "staff-new")
        await click(page, "form.staff-form button:text-is('保存')")
        await go(page, "/admin/staff")
        await shot(page, "staff")
        await go(page, "/admin/staff/permissions")
        await shot(page, "staff-permissions")

        # 企业微信成员: read the members from WeCom (the page reloads itself when done).
        await go(page, "/admin/members")
        await click(page, "button:text-is('刷新成员列表')")
        await page.wait_for_selector("td:text-is('newbie')", timeout=20_000)
        await shot(page, "members")
        await page.select_option("form[action='/admin/members/code'] select", label="郑佳 · 会计")
        await click(page, "form[action='/admin/members/code'] button")
        await shot(page, "members-code")  # the one-time binding code for 郑佳

        # 微信联系人 and 修改关联 with a search, 客户群, 已关联客户.
        await go(page, "/admin/contacts")
        await shot(page, "contacts")
        await click(page, "table a:text-is('修改关联')")
        await page.fill("input[name=q]", "科技")
        await click(page, "button:text-is('搜索客户')")
        await shot(page, "contact-links")
        await go(page, "/admin/groups")
        await shot(page, "groups")
        await go(page, "/admin/clients")
        await shot(page, "clients")

        # 交接: 王浩's clients to 李晓梅, previewed, then confirmed.
        await go(page, "/admin/handover")
        await page.select_option("select[name=staff]", label="王浩")
        await click(page, "button:text-is('查看')")
        await page.check("input[name=roles][value=manager]")
        await page.check("input[name=mode][value=one]")
        await page.select_option("select[name=taker]", label="李晓梅")
        await shot(page, "handover")
        await click(page, "button:text-is('预览交接')")
        await shot(page, "handover-preview")
        await click(page, "button:text-is('确认交接')")
        await page.wait_for_selector("h1:has-text('交接记录')")
        await shot(page, "handover-run")

        # 概览 last but one, so its figures include the new staff account; then 运行状况 and 操作日志.
        await go(page, "/admin")
        await shot(page, "home")
        await go(page, "/admin/health")
        await shot(page, "health")
        await go(page, "/admin/audit")
        await shot(page, "audit")

        # 吴欣然 (newbie) is a WeCom member with no staff account bound: signing in explains what to do.
        stranger = await (await browser.new_context(viewport=DESKTOP, locale="zh-CN")).new_page()
        await go(stranger, "/admin/login")
        await click(stranger, "a.button:text-is('企业微信扫码登录')")
        await click(stranger, "a.member:text-is('吴欣然')")
        await shot(stranger, "members-unbound")

        # A phone: the menu button opens the menu (a CSS-only checkbox toggle).
        await page.set_viewport_size(PHONE)
        await go(page, "/admin/clients")
        await page.click("label.menu-button")
        await page.wait_for_selector("nav.menu a:text-is('已关联客户')", state="visible")
        await shot(page, "phone-menu", full=False)
    finally:
        await browser.close()
        await manager.__aexit__()
    return files


async def main() -> None:
    from docs.screenshots import run_on_demo
    await run_on_demo(lambda demo, tmp: capture(demo))


if __name__ == "__main__":
    asyncio.run(main())
