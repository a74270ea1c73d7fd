"""收款 in the console: record a payment with its date, payer, account and note; the list with search, filters and
export; a payment's page with its receipt; 作废 with a reason; a client's credit, 用余额抵扣 and 退款; who may."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

import models
from bot import keys
from handlers.billing.credit import credit_balance
from handlers.billing.rules import receipt_data
from tests.conftest import run_sync, start_stack, stop_stack
from tests.console_client import open_console
from tests.factories import agency_today, small_agency


def _agency():
    ids = small_agency()
    today = agency_today()
    ids["later"] = models.Receivable.create(client=ids["huaxia"], item="代理记账费", period_start="2026-07",
                                            period_end="2026-12", amount_fen=180000,
                                            due_date=today + timedelta(days=20))
    ids["theirs"] = models.Receivable.create(client=ids["jincheng"], item="代理记账费", period_start="2026-01",
                                             period_end="2026-12", amount_fen=240000, due_date=today)
    return ids


@pytest.fixture
async def console(db_url, fake_server):
    stack = await start_stack(db_url, fake_server)
    ids = await run_sync(stack, _agency)
    clients = []

    async def open_as(userid):
        clients.append(await open_console(stack, userid))
        return clients[-1]
    yield stack, ids, open_as
    for client in clients:
        await client.close()
    await stop_stack(stack)


def _today(stack):
    return stack.app[keys.CLOCK]().astimezone(stack.app[keys.CONFIG].agency.tz).date()


async def _record(li, client_id, **fields):
    picked = [("receivable", str(r)) for r in fields.pop("receivables", [])]
    data = list({"client": str(client_id), "method": "bank", "paid_on": "", **fields}.items()) + picked
    await li.get("/admin/payments/new", client=str(client_id))
    return await li.post("/admin/payments/new", data)


def _payments():
    return list(models.Payment.select().order_by(models.Payment.id))


async def test_record_a_payment_with_date_payer_account_and_note(console):
    stack, ids, open_as = console
    li = await open_as("lixiaomei")
    status, page, _ = await li.get("/admin/payments/new", client=str(ids["huaxia"].id))
    assert status == 200 and "杭州华夏科技有限公司" in page and f'value="{_today(stack).isoformat()}"' in page
    yesterday = (_today(stack) - timedelta(days=1)).isoformat()
    old = await run_sync(stack, lambda: models.Receivable.get((models.Receivable.client == ids["huaxia"])
                                                              & (models.Receivable.period_start == "2026-01")))
    status, _, headers = await _record(li, ids["huaxia"].id, amount="1,000", paid_on=yesterday, payer="陈总",
                                       account="基本户", note="十月服务费，陈总转账", receivables=[old.id])
    assert status == 302, _
    payment = (await run_sync(stack, _payments))[-1]
    assert headers["Location"] == f"/admin/payments/{payment.id}"
    assert (payment.paid_on.isoformat(), payment.payer, payment.account, payment.note, payment.amount_fen) == \
        (yesterday, "陈总", "基本户", "十月服务费，陈总转账", 100000)
    status, page, _ = await li.get(headers["Location"])
    assert "收据 2026-000001" in page and "基本户" in page and "十月服务费，陈总转账" in page and "已登记收款" in page
    data = await run_sync(stack, receipt_data, payment, "账房代账")
    assert (data.paid_on.isoformat(), data.payer, data.account, data.note, data.method) == \
        (yesterday, "陈总", "基本户", "十月服务费，陈总转账", "银行转账")
    status, png, headers = await li.get(f"/admin/payments/{payment.id}/receipt.png")
    assert status == 200 and headers["Content-Type"] == "image/png" and png.startswith(b"\x89PNG")
    log = await run_sync(stack, lambda: models.AuditLog.get(models.AuditLog.action == "payment.record"))
    assert log.actor.name == "李小梅" and log.after["account"] == "基本户" and log.after["paid_on"] == yesterday


@pytest.mark.parametrize("change, shown", [
    ({"amount": "abc"}, "收款金额请写成"), ({"paid_on": "2099-01-01"}, "晚于今天"), ({"paid_on": "2020-01-01"}, "不能早于"),
    ({"note": "长" * 61}, "备注最多 60 字"), ({"account": "户" * 33}, "收款账户最多"), ({"method": "bitcoin"}, "请选择收款方式"),
])
async def test_bad_input_is_shown_and_nothing_is_written(console, change, shown):
    stack, ids, open_as = console
    li = await open_as("lixiaomei")
    before = await run_sync(stack, lambda: (models.Payment.select().count(), models.AuditLog.select().count()))
    fields = {"amount": "100", "paid_on": _today(stack).isoformat(), **change}
    status, page, _ = await _record(li, ids["huaxia"].id, **fields)
    assert status == 400 and shown in page
    assert await run_sync(stack, lambda: (models.Payment.select().count(), models.AuditLog.select().count())) == before


async def test_void_in_the_console_keeps_the_number_and_restores_arrears(console):
    stack, ids, open_as = console
    li = await open_as("lixiaomei")
    mine = await run_sync(stack, lambda: [r.id for r in models.Receivable.select()
                                          .where(models.Receivable.client == ids["huaxia"])])
    await _record(li, ids["huaxia"].id, amount="1499.50", paid_on=_today(stack).isoformat(), receivables=mine)
    payment = (await run_sync(stack, _payments))[-1]
    old = await run_sync(stack, lambda: models.Receivable.get((models.Receivable.period_start == "2026-01")
                                                              & (models.Receivable.client == ids["huaxia"])))
    assert (old.paid_fen, old.status) == (180000, "paid")
    status, page, _ = await li.post(f"/admin/payments/{payment.id}/void", {"reason": "  "})
    assert status == 400 and "请填写作废原因" in page
    status, page, _ = await li.post(f"/admin/payments/{payment.id}/void", {"reason": "长" * 101})
    assert status == 400 and "最多 100 字" in page
    assert (await run_sync(stack, models.Payment.get_by_id, payment.id)).voided_at is None
    status, _, headers = await li.post(f"/admin/payments/{payment.id}/void", {"reason": "金额录错，已重新登记"})
    assert status == 302
    status, page, _ = await li.get(headers["Location"])
    assert "已作废收据 2026-000001" in page and "金额录错，已重新登记" in page and "作废这张收据" not in page
    voided = await run_sync(stack, models.Payment.get_by_id, payment.id)
    assert voided.receipt_no == "2026-000001" and voided.void_reason == "金额录错，已重新登记"
    old = await run_sync(stack, models.Receivable.get_by_id, old.id)
    assert (old.paid_fen, old.status) == (30050, "partial")
    data = await run_sync(stack, receipt_data, voided, "账房代账")
    assert data.voided and data.void_reason == "金额录错，已重新登记" and data.receipt_no == "2026-000001"
    status, page, _ = await li.post(f"/admin/payments/{payment.id}/void", {"reason": "再来一次"})
    assert status == 400 and "不能重复作废" in page
    log = await run_sync(stack, lambda: models.AuditLog.get(models.AuditLog.action == "payment.void"))
    assert log.actor.name == "李小梅" and log.after["reason"] == "金额录错，已重新登记"
    status, page, _ = await li.get("/admin/payments", state="void")
    assert "2026-000001" in page and "已作废" in page


async def test_a_prepayment_becomes_credit_applied_and_refunded(console):
    stack, ids, open_as = console
    li = await open_as("lixiaomei")
    status, _, headers = await _record(li, ids["huaxin"].id, amount="500", paid_on=_today(stack).isoformat())
    assert status == 302
    status, page, _ = await li.get(headers["Location"])
    assert "¥500.00 存入客户余额" in page and "全部作为预收款存入余额" in page
    assert await run_sync(stack, credit_balance, ids["huaxin"].id) == 50000
    status, page, _ = await li.get("/admin/payments/credits")
    assert "杭州华信建材有限公司" in page and "¥500.00" in page
    bill = await run_sync(stack, lambda: models.Receivable.create(
        client=ids["huaxin"], item="代理记账费", period_start="2026-10", period_end="2026-12", amount_fen=30000,
        due_date=_today(stack)))
    credit_path = f"/admin/payments/credit/{ids['huaxin'].id}"
    await li.get(credit_path)
    status, _, headers = await li.post(credit_path + "/apply", {})
    status, page, _ = await li.get(headers["Location"])
    assert "已用余额抵扣 1 笔款项，共 ¥300.00" in page and "¥200.00" in page
    bill = await run_sync(stack, models.Receivable.get_by_id, bill.id)
    assert (bill.paid_fen, bill.status) == (30000, "paid")
    status, page, _ = await li.post(credit_path + "/refund", {"amount": "300", "method": "bank",
                                                            "refunded_on": _today(stack).isoformat()})
    assert status == 400 and "超过客户余额 ¥200.00" in page
    status, _, headers = await li.post(credit_path + "/refund", {"amount": "200", "method": "wechat", "note": "客户退回",
                                                                "refunded_on": _today(stack).isoformat()})
    assert status == 302
    assert await run_sync(stack, credit_balance, ids["huaxin"].id) == 0
    refund = await run_sync(stack, lambda: models.CreditRefund.get())
    assert (refund.amount_fen, refund.method, refund.note) == (20000, "wechat", "客户退回")
    actions = await run_sync(stack, lambda: [a.action for a in models.AuditLog.select().order_by(models.AuditLog.id)
                                             if not a.action.startswith("console.")])
    assert actions == ["payment.record", "credit.apply", "credit.refund"]


async def test_list_search_filters_and_export(console):
    stack, ids, open_as = console
    admin = await open_as("admin")
    today = _today(stack).isoformat()
    await _record(admin, ids["huaxia"].id, amount="100", paid_on=today, payer="陈总", method="wechat")
    await _record(admin, ids["jincheng"].id, amount="200", paid_on=today, account="支付宝")
    status, page, _ = await admin.get("/admin/payments")
    assert status == 200 and "2026-000001" in page and "2026-000002" in page and "有效收款合计 ¥300.00" in page
    status, page, _ = await admin.get("/admin/payments", q="陈总")
    assert "2026-000001" in page and "2026-000002" not in page
    status, page, _ = await admin.get("/admin/payments", method="bank")
    assert "2026-000002" in page and "2026-000001" not in page
    status, body, headers = await admin.get("/admin/payments/export.xlsx", q="锦程")
    assert status == 200 and "spreadsheetml" in headers["Content-Type"]
    rows = list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    assert rows[0][0] == "收据号" and [r[0] for r in rows[1:]] == ["2026-000002"]
    assert rows[1][2] == "上海锦程贸易有限公司" and rows[1][6] == "支付宝"


async def test_staff_see_only_their_clients_payments(console):
    stack, ids, open_as = console
    admin = await open_as("admin")
    await _record(admin, ids["jincheng"].id, amount="200", paid_on=_today(stack).isoformat())
    theirs = (await run_sync(stack, _payments))[-1]
    li = await open_as("lixiaomei")
    status, page, _ = await li.get("/admin/payments")
    assert status == 200 and "2026-000001" not in page
    for path in (f"/admin/payments/{theirs.id}", f"/admin/payments/{theirs.id}/receipt.png",
                 f"/admin/payments/credit/{ids['jincheng'].id}"):
        status, _, _ = await li.get(path)
        assert status == 404, path
    status, _, _ = await li.post(f"/admin/payments/{theirs.id}/void", {"reason": "不是我的"})
    assert status == 404
    status, page, _ = await _record(li, ids["jincheng"].id, amount="1", paid_on=_today(stack).isoformat())
    assert status == 404
    assert (await run_sync(stack, models.Payment.get_by_id, theirs.id)).voided_at is None
    assert await run_sync(stack, lambda: models.Payment.select().count()) == 1


async def test_a_member_without_the_billing_permission_is_refused(console):
    stack, ids, open_as = console
    admin = await open_as("admin")
    await _record(admin, ids["huaxia"].id, amount="100", paid_on=_today(stack).isoformat())
    payment = (await run_sync(stack, _payments))[-1]
    await run_sync(stack, lambda: models.Staff.update(permissions=["wecom.link"])
                   .where(models.Staff.id == ids["li"].id).execute())
    li = await open_as("lixiaomei")
    status, page, _ = await li.get("/admin")
    assert "/admin/payments" not in page
    before = await run_sync(stack, lambda: (models.Payment.select().count(), models.AuditLog.select().count()))
    for path in ("/admin/payments", f"/admin/payments/{payment.id}", "/admin/payments/new"):
        status, page, _ = await li.get(path)
        assert status == 403 and "没有权限" in page, path
    status, _, _ = await li.post(f"/admin/payments/{payment.id}/void", {"reason": "试试"})
    assert status == 403
    status, _, _ = await _record(li, ids["huaxia"].id, amount="100", paid_on=_today(stack).isoformat())
    assert status == 403
    assert await run_sync(stack, lambda: (models.Payment.select().count(), models.AuditLog.select().count())) == before
    assert (await run_sync(stack, models.Payment.get_by_id, payment.id)).voided_at is None
