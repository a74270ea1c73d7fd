"""Regenerate docs/screenshots/admin/knowledge-*.png: the 知识库 console (K1–K4, X8) from the demo agency.

    .venv/bin/python docs/screenshots_knowledge.py

Starts the demo (seeded SQLite + fake WeCom) on free local ports in a temporary directory, has two members
search for something the knowledge base lacks (so there is a gap), signs in as 刘洋 (知识库维护 and 审核) and
drives the system Chromium as tests/test_admin_knowledge_browser.py does: the list, an entry, the form, the
categories, a failed import's report, the gaps and the synonyms.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screenshots" / "admin"


def _gaps() -> None:
    import models
    from handlers.knowledge.rules import record_gap
    today = models.utcnow().date()
    people = list(models.Staff.select().where(models.Staff.wecom_userid.is_null(False)).limit(3))
    with models.db.atomic():
        for query, askers in (("火星分公司怎么报税", people), ("个体户能开专票吗", people[:2]), ("社保断缴怎么补", people[:1])):
            for staff in askers:
                record_gap(query, staff.wecom_userid, staff, today, 20)


async def capture(demo, tmp: Path) -> list[Path]:
    from bot import keys
    from tests.browser import launch_browser
    from tests.test_admin_browser import follow, open_menu, sign_in
    from tests.test_admin_knowledge_browser import workbook
    OUT.mkdir(parents=True, exist_ok=True)
    await demo.app[keys.DB].atomic(_gaps)
    manager, _, browser = await launch_browser()
    shots = []

    async def shot(name: str) -> None:
        path = OUT / f"knowledge-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        shots.append(path)
    try:
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = await context.new_page()
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await sign_in(page, demo, "刘洋")
        await open_menu(page, "知识库")
        await shot("list")
        await follow(page, "table.kb-list tbody tr td a >> nth=0")
        await shot("entry")
        await open_menu(page, "知识库")
        await follow(page, "nav.tabs a:text-is('知识库缺口')")
        await shot("gaps")
        await follow(page, "button:text-is('写成知识') >> nth=0")
        await shot("form")
        await open_menu(page, "知识库")
        await follow(page, "nav.tabs a:text-is('分类设置')")
        await shot("categories")
        await follow(page, "nav.tabs a:text-is('导入导出')")
        bad = tmp / "知识库.xlsx"
        bad.write_bytes(workbook([["工商", "", "分公司怎么注销？", "", "先清税。", ""], ["工商", "", "", "", "没有标题", ""],
                                  ["税务", "增值税", "专票能作废吗？", "", "", ""]]))
        await page.set_input_files("input[type=file]", str(bad))
        await follow(page, "button:text-is('上传')")
        await shot("import-errors")
        await follow(page, "a:text-is('← 知识库导入导出')")
        await shot("imports")
        await follow(page, "nav.tabs a:text-is('同义词')")
        await shot("synonyms")
        return shots
    finally:
        await browser.close()
        await manager.__aexit__()


async def main() -> None:
    from docs.screenshots import run_on_demo
    await run_on_demo(lambda demo, tmp: capture(demo, tmp))


if __name__ == "__main__":
    asyncio.run(main())
