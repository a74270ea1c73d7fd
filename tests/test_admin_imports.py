"""导入导出 in the console (X10): an admin uploads a file with errors and reads every problem on the page and in the
downloadable report (nothing written); a dry run counts, then 确认导入 writes; a file larger than the app's 2 MB
body limit is accepted on this route; a 职员 is refused; the runs list exports with its filters."""
import asyncio
import io

import aiohttp
import pytest
from openpyxl import load_workbook

import models
from handlers.records.kinds import spec_for
from handlers.records.reader import csv_bytes
from tests.conftest import run_sync, start_stack, stop_stack
from tests.console_client import open_console
from tests.factories import small_agency
from tests.records_data import as_rows

HUAXIA = "杭州华夏科技有限公司"


@pytest.fixture
async def console(db_url, fake_server):
    stack = await start_stack(db_url, fake_server)
    ids = await run_sync(stack, small_agency)
    yield stack, ids
    await stop_stack(stack)


def _contacts_csv(records: list[dict], encoding="gbk") -> bytes:
    return csv_bytes(*as_rows(spec_for("contacts"), records), encoding=encoding)


async def _upload(client, kind: str, filename: str, body: bytes, mode: str):
    form = aiohttp.FormData()
    form.add_field("_csrf", client.csrf)
    form.add_field("kind", kind)
    form.add_field("mode", mode)
    form.add_field("file", io.BytesIO(body), filename=filename, content_type="text/csv")
    async with client.session.post(client.stack.url("/admin/imports"), data=form, allow_redirects=False) as r:
        return r.status, await r.text(), r.headers


async def _finished(stack, run_id: int) -> models.ImportRun:
    for _ in range(600):  # the import runs in a background thread; wait for it, never for a set time
        run = await run_sync(stack, models.ImportRun.get_by_id, run_id)
        if run.state != "running":
            return run
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish")


async def test_file_with_errors_shows_every_problem_and_writes_nothing(console):
    stack, _ = console
    client = await open_console(stack, "admin")
    try:
        records = [{"客户": "不存在的公司", "姓名": "甲"}, {"客户": HUAXIA, "姓名": ""},
                   {"客户": HUAXIA, "姓名": "乙", "主要联系人": "=1+1"}, {"客户": HUAXIA, "姓名": "丙"}]
        status, _, headers = await _upload(client, "contacts", "联系人.csv", _contacts_csv(records), "import")
        assert status == 302
        run_id = int(headers["Location"].rsplit("/", 1)[1])
        run = await _finished(stack, run_id)
        assert run.state == "failed" and run.failed == 3
        status, page, _ = await client.get(f"/admin/imports/{run_id}")
        assert status == 200 and "发现 3 个问题，未写入任何数据" in page
        assert "找不到客户「不存在的公司」" in page and "必填，不能为空" in page and "应填「是」或「否」" in page
        status, body, headers = await client.get(f"/admin/imports/{run_id}/report.xlsx")
        sheet = load_workbook(io.BytesIO(body)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == ("行", "列", "问题")
        assert [(r[0], r[1]) for r in rows[1:]] == [(2, "客户"), (3, "姓名"), (4, "主要联系人")]
        assert sheet["C4"].quotePrefix or not sheet["C4"].value.startswith("=")
        assert await run_sync(stack, models.ClientContact.select().count) == 0
        status, page, _ = await client.get("/admin/imports", state="failed")
        assert "联系人.csv" in page and "有错误" in page
    finally:
        await client.close()


async def test_dry_run_then_confirm_imports_and_audits(console):
    stack, ids = console
    client = await open_console(stack, "admin")
    try:
        records = [{"客户": HUAXIA, "姓名": "王建国", "职务": "老板"}, {"客户": "杭州华信建材有限公司", "姓名": "陈会计"}]
        status, _, headers = await _upload(client, "contacts", "contacts.csv", _contacts_csv(records, "utf-8"),
                                           "dry_run")
        run = await _finished(stack, int(headers["Location"].rsplit("/", 1)[1]))
        assert run.state == "done" and run.dry_run and run.counts["created"] == 2
        status, page, _ = await client.get(f"/admin/imports/{run.id}")
        assert "校验通过，尚未写入" in page and "确认导入" in page
        assert await run_sync(stack, models.ClientContact.select().count) == 0
        status, _, headers = await client.post(f"/admin/imports/{run.id}/confirm")
        assert status == 302
        real = await _finished(stack, int(headers["Location"].rsplit("/", 1)[1]))
        assert real.state == "done" and not real.dry_run and real.counts["created"] == 2
        names = await run_sync(stack, lambda: sorted(c.name for c in models.ClientContact.select()))
        assert names == ["王建国", "陈会计"]
        entry = await run_sync(stack, models.AuditLog.get, models.AuditLog.action == "records.import")
        assert entry.actor_id == ids["admin"].id and entry.after["filename"] == "contacts.csv"
        status, page, _ = await client.get(f"/admin/imports/{real.id}")
        assert "导入成功" in page
        status, _, headers = await client.post(f"/admin/imports/{run.id}/confirm")  # the file is used up
        assert status == 302 and headers["Location"] == f"/admin/imports/{run.id}"
    finally:
        await client.close()


async def test_a_file_over_two_megabytes_is_accepted(console):
    stack, _ = console
    client = await open_console(stack, "admin")
    try:
        records = [{"客户": HUAXIA, "姓名": f"联系人{n:06d}", "职务": "财务" * 10, "手机": f"139{n:08d}"}
                   for n in range(30_000)]
        body = _contacts_csv(records, "utf-8")
        assert len(body) > 2 * 1024 * 1024
        status, _, headers = await _upload(client, "contacts", "big.csv", body, "dry_run")
        assert status == 302, status
        run = await _finished(stack, int(headers["Location"].rsplit("/", 1)[1]))
        assert run.state == "done" and run.counts["created"] == 30_000
    finally:
        await client.close()


async def test_staff_are_refused_and_templates_and_exports_download(console):
    stack, _ = console
    staff = await open_console(stack, "lixiaomei")
    admin = await open_console(stack, "admin")
    try:
        status, body, _ = await _upload(staff, "contacts", "x.csv", _contacts_csv([]), "import")
        assert status == 403 and "没有权限" in body
        status, _, _ = await staff.get("/admin/imports")
        assert status == 403
        assert await run_sync(stack, models.ImportRun.select().count) == 0
        status, body, headers = await admin.get("/admin/imports/template/clients")
        assert status == 200 and "xlsx" in headers["Content-Disposition"] or "%E5" in headers["Content-Disposition"]
        assert load_workbook(io.BytesIO(body)).sheetnames == ["客户", "说明"]
        _, _, headers = await _upload(admin, "contacts", "=cmd.csv", _contacts_csv([{"客户": "无", "姓名": "x"}]),
                                      "import")
        await _finished(stack, int(headers["Location"].rsplit("/", 1)[1]))
        status, body, _ = await admin.get("/admin/imports/export.xlsx", state="failed")
        sheet = load_workbook(io.BytesIO(body)).active
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert len(rows) == 1 and rows[0][2] == "=cmd.csv" and sheet["C2"].quotePrefix
        status, body, _ = await admin.get("/admin/imports/export.xlsx", state="done")
        assert len(list(load_workbook(io.BytesIO(body)).active.iter_rows(min_row=2))) == 0
    finally:
        await staff.close()
        await admin.close()
