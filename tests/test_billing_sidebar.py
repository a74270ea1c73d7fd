"""收款 tab API: receivables, 催款提醒 for ticked (and adjusted) items, 收款 with a confirm step, 收款记录, 发送收据."""
import pytest

import models
from tests.conftest import run_sync
from tests.sidebar_tabs import audits, count, li, tabs, wang  # noqa: F401 - fixtures


@pytest.fixture
def base(tabs):
    return f"/sidebar/api/clients/{tabs[1]['huaxia']}"


async def _open_items(li, base):
    _, body = await li.get(base + "/billing")
    return body["receivables"]


async def test_receivables_oldest_due_first_with_what_is_due_now(li, base):
    status, body = await li.get(base + "/billing")
    assert status == 200
    assert [(r["periods"], r["outstanding_fen"], r["overdue"]) for r in body["receivables"]] == [
        ("2026-07至2026-09", 90000, True), ("2026-01至2026-06", 149950, True), ("2026-12", 60000, False)]
    assert (body["due_fen"], body["later_fen"]) == (239950, 60000)


async def test_reminder_lists_the_ticked_items_with_the_total(li, base):
    items = await _open_items(li, base)
    status, body = await li.post(base + "/billing/reminder", json={"items": [{"id": i["id"]} for i in items[:2]]})
    assert status == 200
    text = body["text"]
    assert text.startswith("【付款提醒】杭州华夏科技有限公司")
    assert "代理记账费（2026-01至2026-06）：应付 ¥1,800.00，已付 ¥300.50，未付 ¥1,499.50" in text
    assert "合计未付：¥2,399.50" in text and "2026-12" not in text


async def test_reminder_with_narrowed_periods_and_a_lower_amount(li, base):
    item = (await _open_items(li, base))[1]
    spec = {"id": item["id"], "period_start": "2026-05", "period_end": "2026-06", "amount": "600"}
    status, body = await li.post(base + "/billing/reminder", json={"items": [spec]})
    assert status == 200
    assert "代理记账费（2026-05至2026-06）：应付 ¥600.00，未付 ¥600.00" in body["text"]
    assert "合计未付：¥600.00" in body["text"]


@pytest.mark.parametrize("change, reason", [
    ({"amount": "2000"}, "不能超过"), ({"amount": "abc"}, "金额"), ({"period_start": "2026-13"}, "期间"),
    ({"period_start": "2026-06", "period_end": "2026-01"}, "晚于"),
])
async def test_bad_reminder_adjustments_are_refused_with_a_reason(li, base, change, reason):
    item = (await _open_items(li, base))[1]
    status, body = await li.post(base + "/billing/reminder", json={"items": [{"id": item["id"], **change}]})
    assert status == 400 and reason in body["error"]


async def test_reminder_for_another_clients_item_is_refused(li, wang, tabs, base):
    _, theirs = await wang.get(f"/sidebar/api/clients/{tabs[1]['jincheng']}/billing")
    status, body = await li.post(base + "/billing/reminder", json={"items": [{"id": theirs["receivables"][0]["id"]}]})
    assert status == 400 and "不属于" in body["error"]
    status, body = await li.post(base + "/billing/reminder", json={"items": []})
    assert status == 400


async def test_payment_preview_then_confirm_settles_the_ticked_items(li, tabs, base):
    stack, _ = tabs
    old, first, _later = await _open_items(li, base)
    order = {"amount": "1,000", "method": "wechat", "receivable_ids": [first["id"], old["id"]]}
    status, preview = await li.post(base + "/payments/preview", json=order)
    assert status == 200 and preview["upper"] == "壹仟元整" and preview["method_label"] == "微信"
    assert [(r["periods"], r["amount_fen"], r["left_fen"]) for r in preview["rows"]] == [
        ("2026-07至2026-09", 90000, 0), ("2026-01至2026-06", 10000, 139950)]
    status, done = await li.post(base + "/payments", json={**order, "plan": preview["plan"]})
    assert status == 201 and done["payment"]["receipt_no"] == "2026-000003"
    assert done["payment"]["amount_fen"] == 100000 and done["payment"]["paid_on"] == "2026-11-26"
    assert [r["outstanding_fen"] for r in await _open_items(li, base)] == [139950, 60000]
    assert "payment.record" in await audits(stack)
    _, history = await li.get(base + "/payments")
    assert [p["receipt_no"] for p in history] == ["2026-000003", "2026-000002"]


async def _pay(li, base, fen, receivable_id):
    order = {"amount": str(fen // 100), "method": "bank", "receivable_ids": [receivable_id],
             "plan": [[receivable_id, fen]]}
    status, _ = await li.post(base + "/payments", json=order)
    assert status == 201


async def test_a_plan_that_changed_meanwhile_writes_nothing(li, tabs, base):
    stack, _ = tabs
    old, first, _later = await _open_items(li, base)
    order = {"amount": "500", "method": "bank", "receivable_ids": [old["id"], first["id"]]}
    _, preview = await li.post(base + "/payments/preview", json=order)
    assert preview["plan"] == [[old["id"], 50000]]
    await _pay(li, base, 60000, old["id"])  # someone else records a payment first: 500 would now spill over
    before = (await count(stack, models.Payment), await count(stack, models.PaymentAllocation))
    status, body = await li.post(base + "/payments", json={**order, "plan": preview["plan"]})
    assert status == 409 and "刚刚有变化" in body["error"]
    await _pay(li, base, 30000, old["id"])  # and now the ticked item is settled altogether
    status, body = await li.post(base + "/payments", json={**order, "receivable_ids": [old["id"]],
                                                           "plan": preview["plan"]})
    assert status == 409 and "刷新" in body["error"]
    assert (await count(stack, models.Payment), await count(stack, models.PaymentAllocation)) == \
        (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize("change, reason", [
    ({"amount": "abc"}, "收款金额"), ({"amount": "0"}, "大于 0"), ({"paid_on": "2099-01-01"}, "晚于今天"),
    ({"paid_on": "2020-01-01"}, "不能早于"), ({"paid_on": "11/20"}, "年-月-日"), ({"note": "备" * 61}, "备注最多"),
    ({"account": "户" * 33}, "收款账户"),
    ({"method": "bitcoin"}, "收款方式"), ({"receivable_ids": []}, "勾选"), ({"receivable_ids": ["1"]}, "不正确"),
])
async def test_bad_payment_input_is_400_and_writes_nothing(li, tabs, base, change, reason):
    stack, _ = tabs
    old = (await _open_items(li, base))[0]
    order = {"amount": "900", "method": "bank", "receivable_ids": [old["id"]], "plan": [[old["id"], 90000]], **change}
    before = (await count(stack, models.Payment), await count(stack, models.AuditLog))
    for path in ("/payments/preview", "/payments"):
        status, body = await li.post(base + path, json=order)
        assert status == 400 and reason in body["error"], (path, body)
    assert (await count(stack, models.Payment), await count(stack, models.AuditLog)) == before


async def test_send_receipt_uploads_the_receipt_image(li, tabs, base):
    stack, ids = tabs
    status, body = await li.post(base + f"/payments/{ids['payment']}/receipt")
    assert status == 200 and body["filename"] == "收据-2026-000002.png"
    media = stack.fake.media[body["media_id"]]
    assert media.type == "image" and media.data.startswith(b"\x89PNG")


async def test_receipts_of_other_clients_or_voided_ones_are_not_sent(li, tabs, base):
    stack, ids = tabs
    jincheng_payment = await run_sync(stack, lambda: models.Payment.get(models.Payment.client == ids["jincheng"]).id)
    status, _ = await li.post(base + f"/payments/{jincheng_payment}/receipt")
    assert status == 404
    await run_sync(stack, lambda: models.Payment.update(voided_at=models.utcnow(), void_reason="重复登记")
                   .where(models.Payment.id == ids["payment"]).execute())
    status, body = await li.post(base + f"/payments/{ids['payment']}/receipt")
    assert status == 409 and "作废" in body["error"]
    assert stack.fake.media == {}


@pytest.mark.parametrize("amount, fen, upper", [
    ("100块", 10000, "壹佰元整"), ("¥1,200.50", 120050, "壹仟贰佰元零伍角整"), ("0.2万", 200000, "贰仟元整")])
async def test_the_amount_field_reads_amounts_like_the_bot(li, base, amount, fen, upper):
    ids = [i["id"] for i in await _open_items(li, base)]
    status, preview = await li.post(base + "/payments/preview",
                                    json={"amount": amount, "method": "cash", "receivable_ids": ids})
    assert status == 200 and (preview["amount_fen"], preview["upper"]) == (fen, upper)


async def test_the_amount_field_refuses_a_misplaced_thousands_comma(li, base):
    ids = [i["id"] for i in await _open_items(li, base)]
    status, body = await li.post(base + "/payments/preview",
                                 json={"amount": "12,34.5", "method": "cash", "receivable_ids": ids})
    assert status == 400 and "金额" in body["error"]
