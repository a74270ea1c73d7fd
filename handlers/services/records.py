"""Import specs of contracts (合同) and service terms (服务, including one-off 工商 jobs), X10."""
from __future__ import annotations

import models
from handlers.records.checks import all_of, contract_of_client, dates_in_order
from handlers.records.spec import Column, RecordSpec

CONTRACTS = RecordSpec(
    kind="contracts", title="合同", model=models.Contract, key=("number",),
    note="按「合同编号」匹配：编号相同的合同会被更新，其余新建。",
    columns=(
        Column("合同编号", "number", required=True, max_len=32, example="HT2026-0001"),
        Column("客户", "client", "client", required=True, example="杭州华夏科技有限公司"),
        Column("合同名称", "title", required=True, max_len=128, example="代理记账服务合同"),
        Column("开始日期", "start_date", "date", required=True, example="2026-01-01"),
        Column("结束日期", "end_date", "date", required=True, example="2026-12-31"),
        Column("合同金额", "amount_fen", "money", required=True, example="3600.00", help="元，合同总金额"),
        Column("签订日期", "signed_on", "date", null=True, example="2025-12-25"),
        Column("状态", "status", "enum", choices=models.CONTRACT_STATUSES, default="active", example="执行中"),
    ),
    check=dates_in_order("start_date", "end_date", "结束日期"))

SERVICES = RecordSpec(
    kind="services", title="服务", model=models.Service, key=("client", "kind", "name", "start_date"),
    note="按「客户 + 服务类型 + 服务名称 + 开始日期」匹配。一次性工商业务（如地址变更）的收费周期填「一次性」。",
    columns=(
        Column("客户", "client", "client", required=True, example="杭州华夏科技有限公司"),
        Column("服务类型", "kind", "enum", required=True, choices=models.SERVICE_KINDS, example="记账"),
        Column("服务名称", "name", required=True, example="代理记账", help="如 代理记账、地址变更、工商年报代办"),
        Column("开始日期", "start_date", "date", required=True, example="2026-01-01"),
        Column("结束日期", "end_date", "date", required=True, example="2026-12-31"),
        Column("费用", "fee_fen", "money", required=True, example="900.00", help="元，每个收费周期的费用"),
        Column("收费周期", "billing_cycle", "enum", choices=models.BILLING_CYCLES, default="yearly", example="按季"),
        Column("合同编号", "contract", "contract", null=True, example="HT2026-0001"),
        Column("状态", "status", "enum", choices=models.SERVICE_STATUSES, default="active", example="服务中"),
    ),
    check=all_of(dates_in_order("start_date", "end_date", "结束日期"), contract_of_client("合同编号")))
