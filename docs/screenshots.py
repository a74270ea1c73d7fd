"""Regenerate docs/screenshots/*.png: every sidebar tab at 375 px wide (WeCom mobile), from the demo agency.

    .venv/bin/python docs/screenshots.py

Starts the demo (seeded SQLite + fake WeCom) on free local ports in a temporary directory and drives the
system Chromium (apt-get install chromium) through Playwright, as tests/test_sidebar_browser_tabs.py does.
"""
from __future__ import annotations

import asyncio
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCALE = 2  # device pixels per CSS pixel: sharp on the README, still 375 px of layout
# tab id (static/tabs/<id>.js, also the file name), its button, and what shows once its data arrived
TABS = {"profile": ("基础资料", ".card h3"), "services": ("服务", "text=服务情况"), "billing": ("收款", "text=欠费情况"),
        "intake": ("收票", "text=收票记录"), "followups": ("跟进", "text=新增跟进"),
        "filings": ("报税", "text=报税完成通知"), "reports": ("报表", "text=发送报表到聊天"),
        "invoices": ("发票", "text=预估增值税"), "knowledge": ("知识库", "text=常用条目")}


async def capture(demo, out_dir: Path, userid: str = "lixiaomei") -> list[Path]:
    """Open the sidebar in 华夏科技服务群 as ``userid`` and save one full-page PNG per tab into ``out_dir``."""
    from playwright.async_api import async_playwright
    from tests.browser import CHROMIUM, CHROMIUM_ARGS
    out_dir.mkdir(parents=True, exist_ok=True)
    chat_id = next(g["chat_id"] for g in demo.fake.directory["groups"] if g["name"] == "华夏科技服务群")
    manager = async_playwright()
    playwright = await manager.start()
    # Chinese browser UI, as in WeCom: native controls (file and month pickers) speak Chinese too.
    browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--lang=zh-CN"])
    files = []
    try:
        context = await browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=SCALE,
                                            locale="zh-CN")
        page = await context.new_page()
        await page.goto(demo.url(f"/sandbox/open-sidebar?userid={userid}&chat_id={chat_id}"))
        await page.wait_for_selector("#tabs button")
        # The group serves two clients; 华夏科技 is the one with something in every tab.
        await page.select_option("select[aria-label='切换客户']", label="杭州华夏科技有限公司")
        await page.wait_for_selector(".card h3:text-is('杭州华夏科技有限公司')")
        for tab, (title, ready) in TABS.items():
            await page.click(f"#tabs button:text-is('{title}')")
            await page.wait_for_selector(ready)
            await page.wait_for_load_state("networkidle")
            path = out_dir / f"{tab}.png"
            await page.screenshot(path=str(path), full_page=True)
            files.append(path)
    finally:
        await browser.close()
        await manager.__aexit__()
    return files


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def run_on_demo(capture) -> None:
    """Start the demo on free ports with a fresh database, run ``capture(demo, tmp)`` (it returns the files it wrote)
    and print them; every docs/screenshots*.py script ends here."""
    from tests.browser import CHROMIUM, LiveDemo
    if CHROMIUM is None:
        sys.exit("没有找到 Chromium（apt-get install chromium）/ Chromium not found")
    with tempfile.TemporaryDirectory() as tmp:
        demo = await LiveDemo(Path(tmp) / "demo.sqlite3", _free_port(), _free_port()).start()
        try:
            files = await capture(demo, Path(tmp))
        finally:
            await demo.stop()
    for path in files:
        print(path.relative_to(ROOT))


async def main() -> None:
    await run_on_demo(lambda demo, _tmp: capture(demo, ROOT / "docs" / "screenshots"))


if __name__ == "__main__":
    asyncio.run(main())
