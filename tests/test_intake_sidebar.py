"""收票 tab API: records by period, detail, add, save / save and mark complete, 分享 as an image."""
import pytest

import models
from tests.conftest import run_sync
from tests.sidebar_tabs import NOW, audits, count, li, tabs  # noqa: F401 - fixtures


@pytest.fixture
def base(tabs):
    return f"/sidebar/api/clients/{tabs[1]['huaxia']}/collections"


ITEMS = [{"kind": "purchase_invoice", "count": 5, "received": True, "note": "快递寄出"},
         {"kind": "bank_slip", "count": 0, "received": False, "note": ""}]


async def test_records_list_with_how_much_arrived(li, base):
    status, body = await li.get(base)
    assert status == 200 and body["default_period"] == "2026-10"
    assert [(r["period"], r["received"], r["expected"], r["complete"]) for r in body["records"]] == [
        ("2026-10", 3, 5, False)]
    assert body["kinds"]["bank_slip"] == "银行回单"


async def test_detail_shows_every_kind_and_when_it_last_changed(li, base):
    status, body = await li.get(base + "/2026-10")
    assert status == 200 and body["status_label"] == "收票中（已收 3/5 项）"
    assert [(i["label"], i["count"], i["received"]) for i in body["items"]] == [
        ("进项发票", 12, True), ("销项发票", 8, True), ("费用票", 0, False), ("银行回单", 3, True), ("工资表", 0, False)]
    assert body["updated"] == "2026-11-05 11:00"
    status, body = await li.get(base + "/2026-09")
    assert status == 404 and "还没有收票记录" in body["error"]


async def test_add_a_record_for_a_new_period(li, tabs, base):
    stack, _ = tabs
    status, body = await li.request("PUT", base + "/2026-11", json={"items": ITEMS, "note": "月底前补银行回单"})
    assert status == 201 and body == {"created": True, "complete": False, "resolved_flags": 0}
    _, detail = await li.get(base + "/2026-11")
    assert detail["note"] == "月底前补银行回单" and detail["items"][0]["note"] == "快递寄出"
    assert detail["status_label"] == "收票中（已收 1/5 项）"
    _, listing = await li.get(base)
    assert [r["period"] for r in listing["records"]] == ["2026-11", "2026-10"]
    assert (await audits(stack))[-1] == "collection.add"


async def test_save_and_mark_complete(li, tabs, base):
    stack, ids = tabs
    items = [{"kind": "expense_receipt", "count": 6, "received": True},
             {"kind": "payroll", "count": 1, "received": True}]
    status, body = await li.request("PUT", base + "/2026-10", json={"items": items, "complete": True})
    # 华夏 had October flagged 缺票 by its accountant: completing October resolves the flag, and says so.
    assert status == 200 and body == {"created": False, "complete": True, "resolved_flags": 1}
    _, services = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/services")
    assert services["missing"] == []  # no 缺票提醒 offered any more
    _, detail = await li.get(base + "/2026-10")
    assert detail["status_label"] == "已完成" and all(i["received"] for i in detail["items"])

    def stored():
        c = models.InvoiceCollection.get(client=ids["huaxia"], period="2026-10")
        return c.completed_at, c.completed_by.name, models.CollectionItem.get(collection=c, kind="payroll").received_at
    assert await run_sync(stack, stored) == (NOW, "李小梅", NOW)
    log = await run_sync(stack, lambda: models.AuditLog.select().order_by(models.AuditLog.id.desc()).first())
    assert log.action == "collection.edit" and log.before["status"] == "open" and log.after["status"] == "complete"


@pytest.mark.parametrize("body, reason", [
    ({"items": [{"kind": "receipts", "count": 1}]}, "类别"),
    ({"items": [{"kind": "payroll", "count": -1}]}, "张数"),
    ({"items": [{"kind": "payroll", "count": "3"}]}, "张数"),
    ({"items": [{"kind": "payroll", "count": 1, "note": "很" * 101}]}, "备注"),
    ({"items": ITEMS * 2}, "类别"),
    ({"items": []}, "请填写"),
    ({"items": ITEMS, "note": "长" * 101}, "备注"),
])
async def test_bad_input_is_400_with_a_reason_and_writes_nothing(li, tabs, base, body, reason):
    stack, _ = tabs
    before = [await count(stack, m) for m in (models.InvoiceCollection, models.CollectionItem, models.AuditLog)]
    status, answer = await li.request("PUT", base + "/2026-11", json=body)
    assert status == 400 and reason in answer["error"]
    assert [await count(stack, m) for m in (models.InvoiceCollection, models.CollectionItem, models.AuditLog)] == before


async def test_a_bad_period_is_refused(li, base):
    status, body = await li.request("PUT", base + "/2026-13", json={"items": ITEMS})
    assert status == 400 and "期间" in body["error"]


async def test_share_uploads_the_detail_image(li, tabs, base):
    stack, _ = tabs
    status, body = await li.post(base + "/2026-10/image")
    assert status == 200 and body["filename"] == "收票-华夏科技-2026-10.png"
    media = stack.fake.media[body["media_id"]]
    assert media.type == "image" and media.data.startswith(b"\x89PNG")
    status, _ = await li.post(base + "/2026-08/image")
    assert status == 404
