"""Credit (余额, B3): a prepayment or overpayment is kept as the client's credit, applied to its receivables by due
date then id (oldest credit first) when a receivable is created or on demand, refunded up to the balance, and taken
back with a voided payment. The balance is derived from the payments, so it is exact after every step."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

import models
from bot.router import UserError
from handlers.billing.credit import add_receivable, apply_credit, credit_balance, credit_sources, refund_credit
from handlers.billing.rules import prepare_payment, record_payment, void_payment
from tests.sidebar_tabs import audits, li, tabs  # noqa: F401 - fixtures

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def shop(database):
    staff = models.Staff.create(name="李小梅", role="staff", wecom_userid="lixiaomei",
                                permissions=models.WECOM_PERMISSIONS)
    client = models.Client.create(name="杭州华信建材有限公司", short_name="华信建材", manager=staff)
    return staff, client


def pay(staff, client, fen, ids=None, paid_on=None):
    with models.db.atomic():
        planned, _, _ = prepare_payment(client.id, fen, ids)
        return record_payment(staff, client.id, fen, "bank", planned, NOW, TZ, ids, paid_on=paid_on)[0]


def bill(staff, client, start, fen, due, **extra):
    with models.db.atomic():
        return add_receivable(staff, NOW, client=client, item="代理记账费", period_start=start, period_end=start,
                              amount_fen=fen, due_date=due, **extra)


def test_prepayment_is_credit_and_new_receivables_take_it_by_due_date_then_id(shop):
    staff, client = shop
    first = pay(staff, client, 50000, paid_on=date(2026, 11, 1))
    second = pay(staff, client, 30000)
    assert (first.credit_fen, second.credit_fen, credit_balance(client.id)) == (50000, 30000, 80000)
    december, rows = bill(staff, client, "2026-12", 60000, date(2026, 12, 10))
    assert (december.paid_fen, december.status) == (60000, "paid") and rows[0]["amount_fen"] == 60000
    assert [(p.receipt_no, left) for p, left in credit_sources(client.id)] == [("2026-000002", 20000)]
    with models.db.atomic():  # two bills open at once (created directly), then applied on demand: due date first
        later = models.Receivable.create(client=client, item="代理记账费", period_start="2027-02", period_end="2027-02",
                                         amount_fen=15000, due_date=date(2027, 2, 10))
        sooner = models.Receivable.create(client=client, item="代理记账费", period_start="2027-01",
                                          period_end="2027-01", amount_fen=15000, due_date=date(2027, 1, 10))
        rows = apply_credit(client.id, staff, NOW)
    assert [(r["periods"], r["amount_fen"], r["left_fen"]) for r in rows] == [("2027-01", 15000, 0),
                                                                              ("2027-02", 5000, 10000)]
    assert models.Receivable.get_by_id(sooner.id).status == "paid"
    assert models.Receivable.get_by_id(later.id).status == "partial"
    assert credit_balance(client.id) == 0
    applied = models.PaymentAllocation.select().where(models.PaymentAllocation.from_credit)
    assert sorted((a.payment.receipt_no, a.amount_fen) for a in applied) == [  # oldest credit first
        ("2026-000001", 50000), ("2026-000002", 5000), ("2026-000002", 10000), ("2026-000002", 15000)]
    assert sum(a.amount_fen for a in applied) == 80000
    assert [a.action for a in models.AuditLog.select().order_by(models.AuditLog.id)].count("credit.apply") == 2


def test_overpayment_settles_the_items_and_keeps_the_rest(shop):
    staff, client = shop
    december, _ = bill(staff, client, "2026-12", 60000, date(2026, 12, 10))
    payment = pay(staff, client, 100000)
    assert payment.credit_fen == 40000 and credit_balance(client.id) == 40000
    assert models.Receivable.get_by_id(december.id).status == "paid"


def test_refund_up_to_the_balance_oldest_credit_first(shop):
    staff, client = shop
    pay(staff, client, 10000, paid_on=date(2026, 11, 1))
    pay(staff, client, 20000)
    with pytest.raises(UserError, match="超过客户余额"):
        with models.db.atomic():
            refund_credit(client.id, 30001, "bank", date(2026, 11, 26), "", staff, NOW)
    assert models.CreditRefund.select().count() == 0
    with models.db.atomic():
        refund = refund_credit(client.id, 15000, "wechat", date(2026, 11, 26), "客户要求退回", staff, NOW)
    assert [(p.payment.receipt_no, p.amount_fen) for p in refund.parts.order_by(models.CreditRefundPart.id)] == [
        ("2026-000001", 10000), ("2026-000002", 5000)]
    assert credit_balance(client.id) == 15000
    log = models.AuditLog.get(models.AuditLog.action == "credit.refund")
    assert log.after["balance_after"] == 15000 and log.after["amount_fen"] == 15000


def test_void_takes_its_credit_back_and_what_was_applied_from_it(shop):
    staff, client = shop
    payment = pay(staff, client, 50000)
    december, _ = bill(staff, client, "2026-12", 30000, date(2026, 12, 10))
    assert credit_balance(client.id) == 20000
    with models.db.atomic():
        void_payment(payment, "录错客户", staff, NOW)
    assert credit_balance(client.id) == 0
    december = models.Receivable.get_by_id(december.id)
    assert (december.paid_fen, december.status) == (0, "open")


def test_a_payment_whose_credit_was_refunded_cannot_be_voided(shop):
    staff, client = shop
    payment = pay(staff, client, 50000)
    with models.db.atomic():
        refund_credit(client.id, 10000, "bank", date(2026, 11, 26), "", staff, NOW)
    with pytest.raises(UserError, match="已退款"):
        with models.db.atomic():
            void_payment(payment, "录错", staff, NOW)
    assert models.Payment.get_by_id(payment.id).voided_at is None and credit_balance(client.id) == 40000


async def test_sidebar_shows_the_balance_and_applies_it(li, tabs):
    stack, ids = tabs
    base = f"/sidebar/api/clients/{ids['huaxia']}"
    _, before = await li.get(base + "/billing")
    assert before["credit_fen"] == 0
    old = before["receivables"][0]
    order = {"amount": "1,000", "method": "bank", "receivable_ids": [old["id"]], "note": "含预付"}
    status, preview = await li.post(base + "/payments/preview", json=order)
    assert status == 200 and preview["credit_fen"] == 10000 and preview["note"] == "含预付"
    status, done = await li.post(base + "/payments", json={**order, "plan": preview["plan"]})
    assert status == 201 and done["payment"]["credit_fen"] == 10000
    _, after = await li.get(base + "/billing")
    assert after["credit_fen"] == 10000
    status, applied = await li.post(base + "/credit/apply", json={})
    assert status == 200 and applied["applied_fen"] == 10000
    _, last = await li.get(base + "/billing")
    assert last["credit_fen"] == 0 and last["due_fen"] == before["due_fen"] - 100000
    assert "credit.apply" in await audits(stack)
