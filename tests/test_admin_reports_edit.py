"""Report snapshots entered in the console: period and kind through the import spec, lines typed or pasted from
Excel and parsed by the same columns, field errors that write nothing, one statement per period and kind, delete
(nothing refers to a snapshot), every write audited, and 403 / 404 for members who may not."""
import models
from handlers.reports.rules import report_lines
from tests.conftest import run_sync
from tests.console_fixture import actions, console, only  # noqa: F401 - the fixture

LINES = "1 | 货币资金 | 50,000.00 | 资产\n\t资产合计\t50000\t资产\t是"
FORM = {"period": "2026-10", "kind": "balance_sheet", "lines": LINES}


async def test_a_report_is_entered_edited_and_deleted(console):
    stack, ids, open_as = console
    li = await open_as("lixiaomei")
    huaxia = ids["huaxia"]
    status, page, _ = await li.get(f"/admin/clients/{huaxia.id}/reports/new")
    assert status == 200 and "报表行" in page
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/reports/new", {**FORM, "lines": "1 | 货币资金 | 五万"})
    assert status == 400 and "第 1 行「金额」" in page and "这次没有保存任何内容" in page
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/reports/new", {**FORM, "period": "2026-13"})
    assert status == 400 and "所属期" in page
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/reports/new", {**FORM, "lines": " "})
    assert status == 400 and "请至少填写一行" in page
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/reports/new",
                                    {**FORM, "lines": "1|营业收入|1\n2|营业收入|2"})
    assert status == 400 and "重复" in page
    assert await run_sync(stack, models.ReportSnapshot.select().count) == 0
    status, _, headers = await li.post(f"/admin/clients/{huaxia.id}/reports/new", FORM)
    assert status == 302 and headers["Location"].endswith("#reports")
    report = await run_sync(stack, models.ReportSnapshot.get, models.ReportSnapshot.client == huaxia.id)
    assert report.lines == [
        {"code": "1", "name": "货币资金", "amount_fen": 5000000, "section": "asset", "total": False},
        {"code": "", "name": "资产合计", "amount_fen": 5000000, "section": "asset", "total": True}]
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/reports/new", FORM)
    assert status == 400 and "2026-10 已有资产负债表" in page
    status, page, _ = await li.get(f"/admin/reports/{report.id}")
    assert status == 200 and "1 | 货币资金 | 50000.00 | 资产" in page
    income = {"period": "2026-10", "kind": "income_statement", "lines": "1|营业收入|125000|利润\n2|净利润|3000|利润|是"}
    assert (await li.post(f"/admin/clients/{huaxia.id}/reports/new", income))[0] == 302
    # the 报表 command and the sidebar read what the console wrote
    found = await run_sync(stack, report_lines, huaxia.id, "2026-10", False)
    assert found and found[0] == "2026-10" and found[2][0]["amount_fen"] == 12500000
    status, _, _ = await li.post(f"/admin/reports/{report.id}", {**FORM, "lines": LINES + "\n2|应收账款|1.5|资产"})
    assert status == 302
    report = await run_sync(stack, models.ReportSnapshot.get_by_id, report.id)
    assert len(report.lines) == 3 and report.lines[2]["amount_fen"] == 150
    status, page, _ = await li.get(f"/admin/clients/{huaxia.id}")
    assert 'id="reports"' in page and "资产负债表" in page and "利润表" in page
    assert (await li.post(f"/admin/reports/{report.id}/delete"))[0] == 302
    assert await run_sync(stack, models.ReportSnapshot.select().count) == 1
    assert await run_sync(stack, actions) == ["report.create", "report.create", "report.update", "report.delete"]
    deleted = await run_sync(stack, models.AuditLog.get, models.AuditLog.action == "report.delete")
    assert deleted.before["kind"] == "balance_sheet" and len(deleted.before["lines"]) == 3


async def test_who_may_enter_reports(console):
    stack, ids, open_as = console
    report = await run_sync(stack, lambda: models.ReportSnapshot.create(client=ids["jincheng"], period="2026-10",
                                                                        kind="balance_sheet", lines=[]))
    li = await open_as("lixiaomei")
    assert (await li.get(f"/admin/reports/{report.id}"))[0] == 404
    assert (await li.post(f"/admin/reports/{report.id}", FORM))[0] == 404
    assert (await li.post(f"/admin/reports/{report.id}/delete"))[0] == 404
    assert (await li.post(f"/admin/clients/{ids['jincheng'].id}/reports/new", FORM))[0] == 404
    await run_sync(stack, only("wanggang", ["wecom.invoice"]))
    wang = await open_as("wanggang")
    assert (await wang.get(f"/admin/reports/{report.id}"))[0] == 403
    assert (await wang.post(f"/admin/reports/{report.id}/delete"))[0] == 403
    status, page, _ = await wang.get(f"/admin/clients/{ids['jincheng'].id}")
    assert status == 200 and 'id="reports"' not in page and 'id="invoices"' in page
    assert await run_sync(stack, models.ReportSnapshot.select().count) == 1
    assert await run_sync(stack, actions) == []
