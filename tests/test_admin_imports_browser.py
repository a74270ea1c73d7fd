"""导入导出 in a real browser (Playwright, system Chromium): an admin downloads nothing, uploads a GBK CSV with
errors, watches the progress line and reads the report (the pages are saved under the test's tmp_path: a test never
writes into the repository)."""

import models
from bot import keys
from handlers.admin.sessions import COOKIE, open_session
from handlers.records.kinds import spec_for
from handlers.records.reader import csv_bytes
from tests.browser import demo, needs_browser, page, seeded  # noqa: F401  (fixtures)
from tests.records_data import as_rows

pytestmark = needs_browser


async def _sign_in(demo, page) -> None:
    def session() -> str:
        admin = models.Staff.get(models.Staff.wecom_userid == "admin")
        return open_session(admin, "admin", "qr", "127.0.0.1", models.utcnow())
    token = await demo.app[keys.DB].run(session)
    await page.context.add_cookies([{"name": COOKIE, "value": token, "url": demo.url("/admin")}])


async def test_upload_a_file_with_errors_and_read_the_report(demo, page, tmp_path):  # noqa: F811
    await _sign_in(demo, page)
    await page.set_viewport_size({"width": 1280, "height": 860})
    client = demo.fake.directory["corp_name"]  # not a client of the agency: every row's 客户 is unknown
    records = [{"客户": "杭州华夏科技有限公司", "姓名": "王建国", "职务": "老板", "手机": "13900000000"},
               {"客户": client, "姓名": "李会计", "职务": "财务"},
               {"客户": "杭州华夏科技有限公司", "姓名": "", "职务": "出纳"},
               {"客户": "杭州华夏科技有限公司", "姓名": "陈出纳", "主要联系人": "不确定"}]
    path = tmp_path / "客户联系人.csv"
    path.write_bytes(csv_bytes(*as_rows(spec_for("contacts"), records), encoding="gbk"))
    await page.goto(demo.url("/admin/imports"))
    assert "导入导出" in await page.title() or await page.get_by_role("heading", name="导入导出").count()
    await page.select_option("select[name=kind]", "contacts")
    await page.set_input_files("input[name=file]", str(path))
    await page.click("button[value=import]")
    await page.wait_for_selector("text=未写入任何数据", timeout=30_000)
    body = await page.inner_text("main")
    assert "发现 3 个问题" in body
    assert "找不到客户" in body and "必填，不能为空" in body and "应填「是」或「否」" in body
    rows = await page.locator("table.import-errors tbody tr").all_inner_texts()
    assert [r.split("\t")[:2] for r in rows] == [["3", "客户"], ["4", "姓名"], ["5", "主要联系人"]]
    shot = tmp_path / "import-report.png"
    await page.screenshot(path=str(shot), full_page=True)
    async with page.expect_download() as download:
        await page.click("text=下载错误报告")
    assert (await download.value).suggested_filename.endswith(".xlsx")
    await page.goto(demo.url("/admin/imports"))
    assert "客户联系人.csv" in await page.inner_text("main")
    await page.screenshot(path=str(shot.with_name("imports.png")), full_page=True)
