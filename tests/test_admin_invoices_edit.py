"""Invoices entered in the console: the import's parsing and checks, field errors that write nothing, the unique
number, delete (nothing refers to an invoice), the client's invoice list with filters, paging and the XLSX
export with the same filters, every write audited, and 403 / 404 for members who may not."""
import io
from datetime import date

import openpyxl

import models
from tests.conftest import run_sync
from tests.console_fixture import actions, console, only  # noqa: F401 - the fixture

FORM = {"direction": "input", "period": "2026-10", "code": "", "number": "26332000000000000001",
        "issue_date": "2026-10-15", "counterparty": "浙江新世纪商贸有限公司", "amount_fen": "10,000.00",
        "tax_fen": "1300", "rate_bp": "13%", "kind": "special", "status": "normal"}


def _invoice(client, number: str, period="2026-10", direction="input", status="normal"):
    return lambda: models.Invoice.create(client=client, direction=direction, period=period, number=number,
                                         issue_date=date(2026, 10, 1), amount_fen=100, tax_fen=13, rate_bp=1300,
                                         status=status)


async def test_an_invoice_is_entered_edited_and_deleted(console):
    stack, ids, open_as = console
    li = await open_as("lixiaomei")
    huaxia = ids["huaxia"]
    status, page, _ = await li.get(f"/admin/clients/{huaxia.id}/invoices/new")
    assert status == 200 and "发票号码" in page and 'name="_csrf" value=""' not in page
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/invoices/new", {**FORM, "number": "123"})
    assert status == 400 and "全电发票号码应为 20 位数字" in page and "这次没有保存任何内容" in page
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/invoices/new", {**FORM, "amount_fen": "12.345"})
    assert status == 400 and "两位小数" in page
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/invoices/new", {**FORM, "code": "3300", "number": "1"})
    assert status == 400 and "发票代码应为 10 或 12 位数字" in page
    assert await run_sync(stack, models.Invoice.select().count) == 0
    status, _, headers = await li.post(f"/admin/clients/{huaxia.id}/invoices/new", FORM)
    assert status == 302 and headers["Location"].endswith("#invoices")
    invoice = await run_sync(stack, models.Invoice.get, models.Invoice.number == FORM["number"])
    assert (invoice.amount_fen, invoice.tax_fen, invoice.rate_bp, invoice.kind) == (1000000, 130000, 1300, "special")
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/invoices/new", FORM)
    assert status == 400 and "这个客户已有进项发票 26332000000000000001" in page
    # the edit form shows the stored values as they were typed (元, 13%), and saves only what changed
    status, page, _ = await li.get(f"/admin/invoices/{invoice.id}")
    assert status == 200 and 'value="10000.00"' in page and 'value="13%"' in page
    status, _, _ = await li.post(f"/admin/invoices/{invoice.id}", {**FORM, "status": "red", "amount_fen": "-10000"})
    assert status == 302
    invoice = await run_sync(stack, models.Invoice.get_by_id, invoice.id)
    assert (invoice.status, invoice.amount_fen) == ("red", -1000000)
    update = await run_sync(stack, models.AuditLog.get, models.AuditLog.action == "invoice.update")
    assert update.before == {"amount_fen": 1000000, "status": "normal"}
    assert update.after == {"amount_fen": -1000000, "status": "red"}
    status, page, _ = await li.get(f"/admin/clients/{huaxia.id}")
    assert status == 200 and 'id="invoices"' in page and FORM["number"] in page
    status, _, _ = await li.post(f"/admin/invoices/{invoice.id}/delete")
    assert status == 302
    assert await run_sync(stack, models.Invoice.select().count) == 0
    assert await run_sync(stack, actions) == ["invoice.create", "invoice.update", "invoice.delete"]
    deleted = await run_sync(stack, models.AuditLog.get, models.AuditLog.action == "invoice.delete")
    assert deleted.before["number"] == FORM["number"] and deleted.entity == "Invoice"


async def test_the_invoice_list_filters_pages_and_exports(console):
    stack, ids, open_as = console
    huaxia = ids["huaxia"]
    for n in range(60):
        await run_sync(stack, _invoice(huaxia, f"{n:020d}", period="2026-09" if n < 5 else "2026-10",
                                       direction="output" if n % 2 else "input", status="void" if n == 3 else "normal"))
    li = await open_as("lixiaomei")
    status, page, _ = await li.get(f"/admin/clients/{huaxia.id}/invoices")
    assert status == 200 and "共 60 条" in page and "下一页" in page
    status, page, _ = await li.get(f"/admin/clients/{huaxia.id}/invoices", period="2026-09", direction="output")
    assert "共 2 条" in page and "00000000000000000001" in page and "00000000000000000000" not in page
    status, body, headers = await li.get(f"/admin/clients/{huaxia.id}/invoices/export.xlsx", period="2026-09",
                                         direction="output", status="void")
    assert status == 200 and "spreadsheetml" in headers["Content-Type"]
    rows = list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    numbers = [row[3] for row in rows if row and row[3] and str(row[3]).isdigit()]
    assert numbers == ["00000000000000000003"]
    assert any(row and row[10] == "作废" for row in rows)


async def test_who_may_enter_invoices(console):
    stack, ids, open_as = console
    invoice = await run_sync(stack, _invoice(ids["jincheng"], "1" * 20))
    li = await open_as("lixiaomei")  # 华夏 and 华信 are hers; 锦程 is not
    assert (await li.get(f"/admin/invoices/{invoice.id}"))[0] == 404
    assert (await li.post(f"/admin/invoices/{invoice.id}", FORM))[0] == 404
    assert (await li.post(f"/admin/invoices/{invoice.id}/delete"))[0] == 404
    assert (await li.post(f"/admin/clients/{ids['jincheng'].id}/invoices/new", FORM))[0] == 404
    assert (await li.get(f"/admin/clients/{ids['jincheng'].id}/invoices/export.xlsx"))[0] == 404
    await run_sync(stack, only("wanggang", ["wecom.link"]))
    wang = await open_as("wanggang")
    assert (await wang.get(f"/admin/invoices/{invoice.id}"))[0] == 403
    assert (await wang.post(f"/admin/invoices/{invoice.id}/delete"))[0] == 403
    status, page, _ = await wang.get(f"/admin/clients/{ids['jincheng'].id}")
    assert status == 200 and 'id="invoices"' not in page
    assert await run_sync(stack, models.Invoice.select().count) == 1
    assert await run_sync(stack, actions) == []
