"""Import spec of invoices (发票), X10: 全电 invoices by their 20-digit number, paper ones by 代码 + 号码."""
from __future__ import annotations

import re

import models
from handlers.records.spec import Column, RecordSpec


def _numbers(values: dict, lookups) -> list[tuple[str, str]]:
    code, number = values.get("code") or "", values.get("number") or ""
    if code and not re.fullmatch(r"\d{10}|\d{12}", code):
        return [("发票代码", "发票代码应为 10 或 12 位数字")]
    if code and not re.fullmatch(r"\d{8}", number):
        return [("发票号码", "纸质发票的发票号码应为 8 位数字")]
    if not code and not re.fullmatch(r"\d{20}", number):
        return [("发票号码", "全电发票号码应为 20 位数字；纸质发票请同时填写发票代码")]
    return []


INVOICES = RecordSpec(
    kind="invoices", title="发票", model=models.Invoice, key=("client", "direction", "number"),
    note="按「客户 + 方向 + 发票号码」匹配。全电（数电）发票只填 20 位发票号码；纸质发票填发票代码和 8 位号码。"
         "金额和税额不含税、以元为单位，红字发票可填负数。",
    columns=(
        Column("客户", "client", "client", required=True, example="杭州华夏科技有限公司"),
        Column("方向", "direction", "enum", required=True, choices=models.INVOICE_DIRECTIONS, example="销项"),
        Column("所属期", "period", "period", required=True, example="2026-10"),
        Column("发票代码", "code", max_len=12, example="", help="纸质发票才有，全电发票留空"),
        Column("发票号码", "number", required=True, max_len=32, example="26332000000000000001"),
        Column("开票日期", "issue_date", "date", required=True, example="2026-10-15"),
        Column("对方单位", "counterparty", max_len=128, example="浙江新世纪商贸有限公司"),
        Column("金额", "amount_fen", "money", required=True, signed=True, example="10000.00", help="不含税金额，元"),
        Column("税额", "tax_fen", "money", required=True, signed=True, example="1300.00"),
        Column("税率", "rate_bp", "rate", required=True, example="13%"),
        Column("发票类型", "kind", "enum", choices=models.INVOICE_KINDS, default="normal", example="专票"),
        Column("状态", "status", "enum", choices=models.INVOICE_STATUSES, default="normal", example="正常"),
    ),
    check=_numbers)
