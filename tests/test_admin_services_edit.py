"""Contracts, service terms, receivables and 缺票 flags entered in the console: the import's parsing, field errors
that write nothing, 续费 / 续签 by the services rule (so the 到期 reminders stop), 终止, receivables from the
billing plan (settled from the client's credit first), deletes refused while used, and every write audited."""
from datetime import date

import pytest

import models
from handlers.billing import plan
from handlers.services.rules import due_where, next_term
from tests.conftest import run_sync, start_stack, stop_stack
from tests.console_client import open_console
from tests.factories import small_agency

CONTRACT = {"number": "HT2027-001", "title": "代理记账服务合同", "start_date": "2027-01-01", "end_date": "2027-12-31",
            "amount_fen": "3,600", "signed_on": "2026年12月20日", "status": "active"}


@pytest.fixture
async def console(db_url, fake_server):
    stack = await start_stack(db_url, fake_server)
    ids = await run_sync(stack, small_agency)
    opened = []

    async def open_as(userid):
        opened.append(await open_console(stack, userid))
        return opened[-1]
    yield stack, ids, open_as
    for client in opened:
        await client.close()
    await stop_stack(stack)


def _actions() -> list[str]:
    return [a.action for a in models.AuditLog.select().where(models.AuditLog.action != "console.signin")
            .order_by(models.AuditLog.id)]


def test_next_term_and_the_billing_plan():
    assert next_term(date(2026, 1, 1), date(2026, 12, 31)) == (date(2027, 1, 1), date(2027, 12, 31))
    assert next_term(date(2026, 3, 15), date(2026, 4, 14)) == (date(2026, 4, 15), date(2026, 5, 14))
    assert next_term(date(2026, 3, 15), date(2026, 3, 20)) == (date(2026, 3, 21), date(2026, 3, 26))
    term = models.Service(name="代理记账", start_date=date(2027, 1, 15), end_date=date(2027, 8, 31), fee_fen=90000,
                          billing_cycle="quarterly")
    rows = plan.plan(term)
    assert [(r["period_start"], r["period_end"], r["amount_fen"]) for r in rows] == [
        ("2027-01", "2027-03", 90000), ("2027-04", "2027-06", 90000), ("2027-07", "2027-08", 60000)]
    assert rows[0]["due_date"] == date(2027, 1, 15) and rows[1]["due_date"] == date(2027, 4, 1)
    assert rows[0]["item"] == "代理记账费"
    once = models.Service(name="地址变更", start_date=date(2027, 2, 1), end_date=date(2027, 3, 31), fee_fen=50000,
                          billing_cycle="once")
    assert [(r["period_start"], r["period_end"], r["amount_fen"]) for r in plan.plan(once)] == [
        ("2027-02", "2027-03", 50000)]


async def test_a_contract_is_entered_with_errors_first(console):
    stack, ids, open_as = console
    li = await open_as("lixiaomei")
    huaxia = ids["huaxia"]
    bad = {**CONTRACT, "end_date": "2026-06-30", "amount_fen": "12.345"}
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/contracts/new", bad)
    assert status == 400 and "两位小数" in page
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/contracts/new", {**CONTRACT, "end_date": "2026-06-30"})
    assert status == 400 and "结束日期早于开始" in page
    assert await run_sync(stack, models.Contract.select().count) == 0
    status, _, headers = await li.post(f"/admin/clients/{huaxia.id}/contracts/new", CONTRACT)
    assert status == 302
    contract = await run_sync(stack, models.Contract.get, models.Contract.number == "HT2027-001")
    assert contract.amount_fen == 360000 and contract.signed_on == date(2026, 12, 20)
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/contracts/new", CONTRACT)
    assert status == 400 and "合同编号 HT2027-001 已被客户「杭州华夏科技有限公司」的合同使用" in page
    assert (await li.post(f"/admin/clients/{ids['jincheng'].id}/contracts/new", {**CONTRACT, "number": "X"}))[0] == 404
    assert await run_sync(stack, models.Contract.select().count) == 1
    assert await run_sync(stack, _actions) == ["contract.create"]


def _service_form(contract_id: int | str = "") -> dict:
    return {"kind": "bookkeeping", "name": "代理记账", "start_date": "2027-01-01", "end_date": "2027-12-31",
            "fee_fen": "900", "billing_cycle": "quarterly", "contract": str(contract_id), "status": "active"}


async def test_services_bill_renew_and_end(console):
    stack, ids, open_as = console
    li = await open_as("lixiaomei")
    huaxia = ids["huaxia"]
    await li.post(f"/admin/clients/{huaxia.id}/contracts/new", CONTRACT)
    contract = await run_sync(stack, models.Contract.get, models.Contract.number == "HT2027-001")
    other = await run_sync(stack, lambda: models.Contract.create(
        client=ids["jincheng"], number="OTHER", title="x", start_date="2027-01-01", end_date="2027-12-31",
        amount_fen=1))
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/services/new", _service_form(other.id))
    assert status == 400  # a contract of another client is not offered and not taken
    status, _, headers = await li.post(f"/admin/clients/{huaxia.id}/services/new", _service_form(contract.id))
    assert status == 302
    service = await run_sync(stack, models.Service.get, models.Service.contract == contract)
    # a prepayment of 3,000 yuan: it settles the older 代理记账费 (1,499.50 left) first, then the new quarters
    await run_sync(stack, lambda: models.Payment.create(client=huaxia, receipt_no="2026-000009", amount_fen=300000,
                                                        paid_on=date(2026, 12, 1), credit_fen=300000))
    status, _, _ = await li.post(f"/admin/contracts/{contract.id}/bill")
    assert status == 302
    bills = await run_sync(stack, lambda: list(models.Receivable.select().where(models.Receivable.service == service)
                                               .order_by(models.Receivable.period_start)))
    assert [(r.period_start, r.amount_fen, r.status) for r in bills] == [
        ("2027-01", 90000, "paid"), ("2027-04", 90000, "partial"), ("2027-07", 90000, "open"),
        ("2027-10", 90000, "open")]
    assert (await li.post(f"/admin/services/{service.id}/bill"))[0] == 302  # again: nothing doubled
    assert await run_sync(stack, models.Receivable.select().where(models.Receivable.service == service).count) == 4
    # 续费: the next term; the old one counts as renewed, so it is no longer due for the 到期 reminder
    status, _, headers = await li.post(f"/admin/services/{service.id}/renew", {"end_date": "", "fee": "1,000"})
    assert status == 302
    new = await run_sync(stack, models.Service.get, (models.Service.start_date == date(2028, 1, 1)))
    assert (new.end_date, new.fee_fen, new.contract_id) == (date(2028, 12, 31), 100000, contract.id)
    old = await run_sync(stack, models.Service.get_by_id, service.id)
    assert old.status == "renewed"
    due = await run_sync(stack, lambda: list(models.Service.select().join(models.Client)
                                              .where(due_where(date(2027, 12, 20), 30, 60))))
    assert old.id not in [s.id for s in due] and new.id not in [s.id for s in due]
    status, page, _ = await li.post(f"/admin/services/{service.id}/renew", {})
    assert status == 400 and "不能续费" in page
    # 终止 with a date and a reason
    status, page, _ = await li.post(f"/admin/services/{new.id}/end", {"day": "2028-06-30", "reason": ""})
    assert status == 400 and "请填写终止原因" in page
    status, _, _ = await li.post(f"/admin/services/{new.id}/end", {"day": "2028-06-30", "reason": "客户注销"})
    ended = await run_sync(stack, models.Service.get_by_id, new.id)
    assert (ended.status, ended.end_date) == ("cancelled", date(2028, 6, 30))
    actions = await run_sync(stack, _actions)
    assert {"service.create", "receivable.generate", "service.renew", "service.end", "credit.apply"} <= set(actions)
    # deletes refused while used, with the reason
    status, page, _ = await li.post(f"/admin/services/{service.id}/delete")
    assert status == 409
    assert "服务「代理记账」还有应收 4 笔，不能删除" in page
    status, page, _ = await li.post(f"/admin/contracts/{contract.id}/delete")
    assert status == 409
    assert "合同 HT2027-001 还有服务 2 项、应收 4 笔，不能删除" in page
    assert await run_sync(stack, models.Contract.get_or_none, models.Contract.id == contract.id) is not None


async def test_a_contract_is_renewed_with_its_terms_and_ended(console):
    stack, ids, open_as = console
    admin = await open_as("admin")
    huaxia = ids["huaxia"]
    await admin.post(f"/admin/clients/{huaxia.id}/contracts/new", CONTRACT)
    contract = await run_sync(stack, models.Contract.get, models.Contract.number == "HT2027-001")
    await admin.post(f"/admin/clients/{huaxia.id}/services/new", _service_form(contract.id))
    renew = {"number": "HT2028-001", "title": "代理记账服务合同", "start_date": "2028-01-01", "end_date": "2028-12-31",
             "amount_fen": "3600"}
    status, page, _ = await admin.post(f"/admin/contracts/{contract.id}/renew", {**renew, "number": "HT2027-001"})
    assert status == 400 and "已被客户" in page
    status, _, headers = await admin.post(f"/admin/contracts/{contract.id}/renew", renew)
    assert status == 302
    new = await run_sync(stack, models.Contract.get, models.Contract.number == "HT2028-001")
    assert headers["Location"] == f"/admin/contracts/{new.id}"
    assert (await run_sync(stack, models.Contract.get_by_id, contract.id)).status == "ended"
    [term] = await run_sync(stack, lambda: list(new.services))
    assert (term.start_date, term.end_date) == (date(2028, 1, 1), date(2028, 12, 31))
    status, _, _ = await admin.post(f"/admin/contracts/{new.id}/end", {"day": "2028-03-31", "reason": "客户转走"})
    assert status == 302
    assert (await run_sync(stack, models.Contract.get_by_id, new.id)).status == "terminated"
    assert (await run_sync(stack, models.Service.get_by_id, term.id)).status == "cancelled"
    assert {"contract.renew", "contract.end", "service.end"} <= set(await run_sync(stack, _actions))


async def test_receivables_by_hand_edit_and_delete(console):
    stack, ids, open_as = console
    li = await open_as("lixiaomei")
    huaxia = ids["huaxia"]
    form = {"item": "工商年报代办费", "period_start": "2027-05", "period_end": "2027-05", "amount_fen": "300",
            "due_date": "2027-05-31", "contract": ""}
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/receivables/new", {**form, "period_end": "2027-04"})
    assert status == 400 and "结束所属期早于起始所属期" in page
    status, _, _ = await li.post(f"/admin/clients/{huaxia.id}/receivables/new", form)
    assert status == 302
    made = await run_sync(stack, models.Receivable.get, models.Receivable.item == "工商年报代办费")
    assert made.amount_fen == 30000 and made.status == "open"
    status, _, _ = await li.post(f"/admin/receivables/{made.id}", {**form, "amount_fen": "350"})
    assert (await run_sync(stack, models.Receivable.get_by_id, made.id)).amount_fen == 35000
    # the seeded 代理记账费 has money applied (paid_fen, allocation): neither edited nor deleted
    paid = await run_sync(stack, models.Receivable.get, models.Receivable.item == "代理记账费")
    payment = await run_sync(stack, lambda: models.Payment.create(client=huaxia, receipt_no="2026-000001",
                                                                  amount_fen=30050, paid_on=date(2026, 1, 5)))
    await run_sync(stack, lambda: models.PaymentAllocation.create(payment=payment, receivable=paid, amount_fen=30050))
    status, page, _ = await li.post(f"/admin/receivables/{paid.id}", {**form, "amount_fen": "1"})
    assert status == 400 and "不能修改" in page
    status, page, _ = await li.post(f"/admin/receivables/{paid.id}/delete")
    assert status == 409
    assert "还有收款冲抵 1 笔，不能删除" in page
    assert (await run_sync(stack, models.Receivable.get_by_id, paid.id)).amount_fen == 180000
    assert (await li.post(f"/admin/receivables/{made.id}/delete"))[0] == 302
    assert await run_sync(stack, models.Receivable.get_or_none, models.Receivable.id == made.id) is None
    actions = await run_sync(stack, _actions)
    assert {"receivable.create", "receivable.update", "receivable.delete"} <= set(actions)
    wang = await open_as("wanggang")  # has wecom.billing, cannot see 华夏
    assert (await wang.post(f"/admin/receivables/{paid.id}/delete"))[0] == 404


async def test_missing_flags_from_the_client_page(console):
    stack, ids, open_as = console
    li = await open_as("lixiaomei")
    huaxia = ids["huaxia"]
    status, _, _ = await li.post(f"/admin/clients/{huaxia.id}/missing-flags", {"period": "2026-10", "note": "缺进项3张"})
    assert status == 302
    flag = await run_sync(stack, models.MissingInvoiceFlag.get, models.MissingInvoiceFlag.client == huaxia)
    assert flag.period == "2026-10" and flag.resolved_at is None and flag.flagged_by_id == ids["li"].id
    page = (await li.get(f"/admin/clients/{huaxia.id}"))[1]
    assert "缺进项3张" in page
    assert (await li.post(f"/admin/missing-flags/{flag.id}/resolve"))[0] == 302
    assert (await run_sync(stack, models.MissingInvoiceFlag.get_by_id, flag.id)).resolved_at is not None
    assert "缺进项3张" not in (await li.get(f"/admin/clients/{huaxia.id}"))[1]
    assert (await li.post(f"/admin/clients/{ids['jincheng'].id}/missing-flags", {"period": "2026-10"}))[0] == 404
    assert await run_sync(stack, models.MissingInvoiceFlag.select().count) == 1
    assert ["missing_flag.create", "missing_flag.resolve"] == await run_sync(stack, _actions)
