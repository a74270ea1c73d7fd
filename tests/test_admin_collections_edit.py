"""收票 records entered in the console through the sidebar's rule (handlers/intake/rules.save_collection): each
kind's count and 已收到, field errors that write nothing, one record per period, 标记完成 resolving the period's
缺票 flags, collection.add / collection.edit audit rows, no delete, and 403 / 404 for members who may not."""
import models
from handlers.intake.rules import collection_summary
from tests.conftest import run_sync
from tests.console_fixture import actions, console, only  # noqa: F401 - the fixture

FORM = {"period": "2026-10", "received_purchase_invoice": "是", "count_purchase_invoice": "12",
        "note_purchase_invoice": "", "count_bank_slip": "3", "note": "10月资料"}


async def test_a_collection_is_entered_edited_and_completed(console):
    stack, ids, open_as = console
    li = await open_as("lixiaomei")
    huaxia = ids["huaxia"]
    status, page, _ = await li.get(f"/admin/clients/{huaxia.id}/collections/new")
    assert status == 200 and "进项发票" in page and "银行回单" in page
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/collections/new", {**FORM, "count_bank_slip": "三"})
    assert status == 400 and "应为整数" in page and "这次没有保存任何内容" in page
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/collections/new",
                                    {**FORM, "note_payroll": "长" * 101, "count_sales_invoice": "10000"})
    assert status == 400 and "「工资表」的备注最多 100 个字" in page and "「销项发票」的张数应为 0 到 9999 的整数" in page
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/collections/new", {**FORM, "period": "十月"})
    assert status == 400 and "所属期" in page
    assert await run_sync(stack, models.InvoiceCollection.select().count) == 0
    status, _, headers = await li.post(f"/admin/clients/{huaxia.id}/collections/new", FORM)
    assert status == 302 and headers["Location"].endswith("#collections")
    summary = await run_sync(stack, collection_summary, huaxia.id, "2026-10")
    assert summary["received"] == 1 and not summary["complete"]
    assert summary["lines"][0] == ("进项发票", 12, True, "")
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/collections/new", FORM)
    assert status == 400 and "2026-10 已有收票记录" in page
    collection = await run_sync(stack, models.InvoiceCollection.get, models.InvoiceCollection.client == huaxia.id)
    status, page, _ = await li.get(f"/admin/collections/{collection.id}")
    assert status == 200 and 'value="12"' in page and "10月资料" in page
    # 标记完成 resolves the period's 缺票 flag, by the same rule as the sidebar
    await li.post(f"/admin/clients/{huaxia.id}/missing-flags", {"period": "2026-10", "note": "缺进项"})
    status, _, _ = await li.post(f"/admin/collections/{collection.id}",
                                 {**FORM, "received_bank_slip": "是", "complete": "是"})
    assert status == 302
    summary = await run_sync(stack, collection_summary, huaxia.id, "2026-10")
    assert summary["complete"] and summary["received"] == 2
    flag = await run_sync(stack, models.MissingInvoiceFlag.get, models.MissingInvoiceFlag.client == huaxia.id)
    assert flag.resolved_at is not None
    status, page, _ = await li.get(f"/admin/clients/{huaxia.id}")
    assert 'id="collections"' in page and "已完成" in page and "2/5 项" in page
    assert await run_sync(stack, actions) == ["collection.add", "missing_flag.create", "missing_flag.resolve",
                                              "collection.edit"]
    edit = await run_sync(stack, models.AuditLog.get, models.AuditLog.action == "collection.edit")
    assert edit.before["status"] == "open" and edit.after["status"] == "complete"
    # a 收票 record is corrected, not deleted: there is no delete route
    assert (await li.post(f"/admin/collections/{collection.id}/delete"))[0] in (404, 405)


async def test_who_may_enter_collections(console):
    stack, ids, open_as = console
    collection = await run_sync(stack, lambda: models.InvoiceCollection.create(client=ids["jincheng"],
                                                                               period="2026-10"))
    li = await open_as("lixiaomei")
    assert (await li.get(f"/admin/collections/{collection.id}"))[0] == 404
    assert (await li.post(f"/admin/collections/{collection.id}", FORM))[0] == 404
    assert (await li.post(f"/admin/clients/{ids['jincheng'].id}/collections/new", FORM))[0] == 404
    await run_sync(stack, only("wanggang", ["wecom.report"]))
    wang = await open_as("wanggang")
    assert (await wang.get(f"/admin/collections/{collection.id}"))[0] == 403
    assert (await wang.post(f"/admin/clients/{ids['jincheng'].id}/collections/new", FORM))[0] == 403
    status, page, _ = await wang.get(f"/admin/clients/{ids['jincheng'].id}")
    assert status == 200 and 'id="collections"' not in page and 'id="reports"' in page
    assert await run_sync(stack, models.CollectionItem.select().count) == 0
    assert await run_sync(stack, actions) == []
