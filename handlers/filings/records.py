"""Import spec of tax filings (报税), X10: one return per client, period and tax."""
from __future__ import annotations

import models
from handlers.records.spec import Column, RecordSpec

QUARTER_ENDS = ("03", "06", "09", "12")


def _period_fits_cycle(values: dict, lookups) -> list[tuple[str, str]]:
    period, cycle = values.get("period") or "", values.get("cycle")
    if cycle == "quarterly" and period[5:] not in QUARTER_ENDS:
        return [("所属期", "按季申报的所属期填季度最后一个月（03、06、09、12）")]
    if cycle == "yearly" and period[5:] != "12":
        return [("所属期", "按年申报的所属期填当年 12 月")]
    return []


FILINGS = RecordSpec(
    kind="filings", title="报税", model=models.TaxFiling, key=("client", "period", "tax"),
    note="按「客户 + 所属期 + 税种」匹配。所属期是申报所覆盖的最后一个月（季度申报填 03/06/09/12）。",
    columns=(
        Column("客户", "client", "client", required=True, example="杭州华夏科技有限公司"),
        Column("所属期", "period", "period", required=True, example="2026-09"),
        Column("税种", "tax", "enum", required=True, choices=models.TAX_KINDS, example="增值税"),
        Column("申报周期", "cycle", "enum", choices=models.FILING_CYCLES, default="monthly", example="按季"),
        Column("状态", "status", "enum", choices=models.FILING_STATUSES, default="pending", example="已申报"),
        Column("税额", "amount_fen", "money", default=0, example="1250.00"),
        Column("申报人", "filed_by", "staff", null=True, example="刘洋"),
    ),
    check=_period_fits_cycle)
