"""The small agency of tests/factories.py plus one record of every kind the commands read (today 2026-11-26)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import models
from handlers.knowledge.index import rebuild_index
from tests.factories import small_agency

TODAY = date(2026, 11, 26)
RECEIVED_AT = datetime(2026, 11, 5, 3, tzinfo=timezone.utc)  # 11:00 in Shanghai
FILED_AT = datetime(2026, 11, 10, 6, tzinfo=timezone.utc)


def _line(code, name, fen, section, total=False):
    return {"code": code, "name": name, "amount_fen": fen, "section": section, "total": total}


BALANCE_SHEET = [
    _line("1", "货币资金", 300000_00, "asset"), _line("4", "应收账款", 200000_00, "asset"),
    _line("15", "流动资产合计", 500000_00, "asset", True), _line("30", "资产合计", 500000_00, "asset", True),
    _line("33", "应付账款", 150000_00, "liability"), _line("36", "应交税费", 50000_00, "liability"),
    _line("47", "负债合计", 200000_00, "liability", True),
    _line("48", "实收资本", 250000_00, "equity"), _line("51", "未分配利润", 50000_00, "equity"),
    _line("52", "所有者权益合计", 300000_00, "equity", True),
    _line("53", "负债和所有者权益合计", 500000_00, "equity", True),
]
INCOME = [_line("1", "营业收入", 150000_00, "profit"), _line("2", "营业成本", 90000_00, "profit"),
          _line("32", "净利润", 60000_00, "profit", True)]


def rich_agency() -> dict:
    """small_agency() plus services, flags, bills, 收票, filings, invoices, reports and knowledge."""
    with models.db.atomic():  # one commit for the whole set-up, not one (and a sync to disk) per row
        return _rich_agency()


def _rich_agency() -> dict:
    a = small_agency(TODAY)
    huaxia, huaxin, jincheng, li = a["huaxia"], a["huaxin"], a["jincheng"], a["li"]
    for member in (li, a["wang"]):
        member.permissions = list(models.WECOM_PERMISSIONS)
        member.save()
    models.Service.create(client=jincheng, kind="business", name="地址变更", start_date=TODAY - timedelta(days=40),
                          end_date=TODAY + timedelta(days=5), fee_fen=80000, billing_cycle="once")
    models.Service.create(client=huaxin, kind="bookkeeping", name="代理记账", start_date=date(2026, 1, 1),
                          end_date=TODAY + timedelta(days=60), fee_fen=240000)
    models.MissingInvoiceFlag.create(client=huaxia, period="2026-10", note="缺少10月进项发票3张", flagged_by=li)
    models.MissingInvoiceFlag.create(client=jincheng, period="2026-10", note="缺银行回单", flagged_by=a["wang"])
    models.MissingInvoiceFlag.create(client=huaxin, period="2026-10", note="已补齐", flagged_by=li,
                                     resolved_at=datetime(2026, 11, 20, tzinfo=timezone.utc))
    # 华夏科技 owes 1,499.50 (due 11-16, partly paid) and 900.00 (due 10-10, older); 600.00 falls due in December.
    a["old_bill"] = models.Receivable.create(client=huaxia, item="代理记账费", period_start="2026-07",
                                             period_end="2026-09", amount_fen=90000, due_date=date(2026, 10, 10))
    a["next_bill"] = models.Receivable.create(client=huaxia, item="代理记账费", period_start="2026-12",
                                              period_end="2026-12", amount_fen=60000, due_date=date(2026, 12, 10))
    address_bill = models.Receivable.create(client=jincheng, item="工商服务费（地址变更）", period_start="2026-10",
                                            period_end="2026-10", amount_fen=80000, paid_fen=20000, status="partial",
                                            due_date=date(2026, 11, 1))
    with models.db.atomic():
        paid = models.Payment.create(client=jincheng, receipt_no=models.next_receipt_number(2026), amount_fen=20000,
                                     method="bank", paid_on=date(2026, 11, 3), payer="上海锦程贸易有限公司",
                                     recorded_by=a["wang"])
        models.PaymentAllocation.create(payment=paid, receivable=address_bill, amount_fen=20000)
        bill = models.Receivable.get((models.Receivable.client == huaxia) & (models.Receivable.paid_fen == 30050))
        payment = models.Payment.create(client=huaxia, receipt_no=models.next_receipt_number(2026), amount_fen=30050,
                                        method="wechat", paid_on=date(2026, 11, 18), payer="陈总", recorded_by=li)
        models.PaymentAllocation.create(payment=payment, receivable=bill, amount_fen=30050)
    a["payment"] = payment
    collection = models.InvoiceCollection.create(client=huaxia, period="2026-10")
    for kind, count, received in [("purchase_invoice", 12, True), ("sales_invoice", 8, True),
                                  ("expense_receipt", 0, False), ("bank_slip", 3, True), ("payroll", 0, False)]:
        models.CollectionItem.create(collection=collection, kind=kind, count=count, received=received,
                                     received_at=RECEIVED_AT if received else None)
    for client, period, tax, cycle, status, fen in [
            (huaxia, "2026-10", "vat", "monthly", "filed", 9100),
            (huaxia, "2026-10", "surtax", "monthly", "filed", 1092),
            (huaxia, "2026-10", "iit", "monthly", "pending", 0),
            (huaxia, "2026-09", "cit", "quarterly", "paid", 250000),
            (jincheng, "2026-09", "vat", "quarterly", "paid", 4321),
            (jincheng, "2026-10", "iit", "monthly", "filed", 0)]:
        models.TaxFiling.create(client=client, period=period, tax=tax, cycle=cycle, status=status, amount_fen=fen,
                                filed_at=FILED_AT if status != "pending" else None)
    for n, (client, direction, fen, tax, rate, status) in enumerate([
            (huaxia, "output", 100000, 13000, 1300, "normal"), (huaxia, "output", 50000, 6500, 1300, "normal"),
            (huaxia, "output", 70000, 9100, 1300, "void"), (huaxia, "input", 80000, 10400, 1300, "normal"),
            (jincheng, "output", 123456, 1235, 100, "normal"), (jincheng, "input", 20000, 2600, 1300, "normal")]):
        models.Invoice.create(client=client, direction=direction, period="2026-10", number=f"2633{n:08d}",
                              issue_date=date(2026, 10, 10 + n), amount_fen=fen, tax_fen=tax, rate_bp=rate,
                              status=status)
    for client in (huaxia, jincheng):
        models.ReportSnapshot.create(client=client, period="2026-10", kind="balance_sheet", lines=BALANCE_SHEET)
        models.ReportSnapshot.create(client=client, period="2026-10", kind="income_statement", lines=INCOME)
    models.ReportSnapshot.create(client=huaxin, period="2026-09", kind="balance_sheet", lines=BALANCE_SHEET)
    models.ReportSnapshot.create(client=huaxin, period="2026-09", kind="income_statement", lines=INCOME)
    tax = models.KnowledgeCategory.create(name="税务")
    vat = models.KnowledgeCategory.create(name="增值税", parent=tax)
    for title, brief, answer, audited in [
            ("小规模纳税人增值税征收率是多少？", "目前减按1%征收。", "2027年底前，小规模纳税人减按1%征收率征收增值税。", True),
            ("增值税专用发票丢失怎么办？", "凭记账联复印件抵扣。", "可凭销售方记账联复印件作为抵扣凭证；小规模纳税人的专票问题另议。", True),
            ("一般纳税人登记标准", "年销售额超过500万元。", "年应税销售额超过500万元应登记为一般纳税人。", True),
            ("研发费用加计扣除比例（草稿）", "100%。", "草稿，尚未审核。", False)]:
        models.KnowledgeEntry.create(category=vat, title=title, brief=brief, answer=answer, audited=audited)
    rebuild_index()
    return a
