"""Import specs of receivables (应收) and historical payments (收款), X10.

Payments go through billing.rules.record_payment, one by one, so receipt numbers stay gapless and every payment
is allocated and audited exactly as when staff record it; a payment already stored (same client, date, amount
and method) is left alone, so re-importing the file changes nothing."""
from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import models
from handlers.records.checks import all_of, contract_of_client
from handlers.records.spec import CellError, Column, RecordSpec


def _receivable_status(values: dict) -> dict:
    # settled_status() on a plain namespace: building a model instance per imported row costs more than the rule
    receivable = SimpleNamespace(amount_fen=values.get("amount_fen") or 0, paid_fen=values.get("paid_fen") or 0,
                                 status=values.get("status") or "open")
    return {"status": models.Receivable.settled_status(receivable)}


def _receivable_check(values: dict, lookups) -> list[tuple[str, str]]:
    problems = []
    if values.get("period_end") and values.get("period_start") and values["period_end"] < values["period_start"]:
        problems.append(("结束所属期", "结束所属期早于起始所属期"))
    if (values.get("paid_fen") or 0) > (values.get("amount_fen") or 0):
        problems.append(("已收金额", "已收金额大于应收金额"))
    return problems


RECEIVABLES = RecordSpec(
    kind="receivables", title="应收", model=models.Receivable, key=("client", "item", "period_start"),
    note="按「客户 + 收费项目 + 起始所属期」匹配。「已收金额」用于迁移期初已收的部分；"
         "另有收款记录要导入时请留空，再导入「收款」（收款会自动冲抵应收）。",
    columns=(
        Column("客户", "client", "client", required=True, example="杭州华夏科技有限公司"),
        Column("收费项目", "item", required=True, example="代理记账费"),
        Column("起始所属期", "period_start", "period", required=True, example="2026-01"),
        Column("结束所属期", "period_end", "period", required=True, example="2026-03"),
        Column("应收金额", "amount_fen", "money", required=True, example="900.00"),
        Column("已收金额", "paid_fen", "money", default=0, example="0"),
        Column("到期日", "due_date", "date", required=True, example="2026-01-10"),
        Column("合同编号", "contract", "contract", null=True, example="HT2026-0001"),
    ),
    check=all_of(_receivable_check, contract_of_client("合同编号")), derive=_receivable_status)


def _receivable_refs(text: str) -> list[tuple[str, str]]:
    """'代理记账费 2026-07；工商服务费 2026-03' -> [(item, period_start), ...]."""
    refs = []
    for part in (p.strip() for p in re.split(r"[;；\n]", text) if p.strip()):
        match = re.fullmatch(r"(.+?)\s+(\d{4})-(\d{1,2})", part)
        if not match:
            raise CellError(f"「{part}」应写成 收费项目 起始所属期，如 代理记账费 2026-07，多笔用分号分隔")
        refs.append((match.group(1), f"{match.group(2)}-{int(match.group(3)):02d}"))
    return refs


class PaymentWriter:
    """Historical payments through the rule staff use (record_payment): gapless receipt numbers, allocation,
    audit. Payments cannot be edited by import: a stored one (same client, date, amount, method) is unchanged."""

    def plan(self, spec, batch, lookups, context) -> list:
        from handlers.billing.rules import prepare_payment
        from bot.router import UserError
        stored = self._stored(batch)
        actions = []
        for _, values in batch:
            values.setdefault("method", "bank")
            if (values["client"], values["paid_on"], values["amount_fen"], values["method"]) in stored:
                actions.append("unchanged")
                continue
            try:
                values["_plan"] = prepare_payment(values["client"], values["amount_fen"],
                                                  self._receivables(values))[0]
                actions.append("created")
            except (UserError, CellError) as exc:
                actions.append(("收款金额" if isinstance(exc, UserError) else "冲抵应收", str(exc)))
        return actions

    def write(self, spec, batch, actions, lookups, context) -> None:
        from handlers.billing.rules import prepare_payment, record_payment
        for _, values in batch:
            if values.get("_plan") is None:
                continue
            day = values["paid_on"]
            now = dt.datetime(day.year, day.month, day.day, 12, tzinfo=context.tz)
            # Planned again here: an earlier row of the batch may have paid the same client's receivables.
            plan = prepare_payment(values["client"], values["amount_fen"], self._receivables(values))[0]
            payment, _ = record_payment(context.actor, values["client"], values["amount_fen"], values["method"],
                                        plan, now, context.tz, self._receivables(values),
                                        note=values.get("note") or "")
            if values.get("payer"):
                models.Payment.update(payer=values["payer"]).where(models.Payment.id == payment.id).execute()

    @staticmethod
    def _receivables(values: dict) -> list[int] | None:
        refs = _receivable_refs(values.get("receivables") or "")
        if not refs:
            return None
        ids = []
        for item, period in refs:
            found = models.Receivable.get_or_none((models.Receivable.client == values["client"])
                                                  & (models.Receivable.item == item)
                                                  & (models.Receivable.period_start == period))
            if found is None:
                raise CellError(f"该客户没有「{item} {period}」这笔应收")
            ids.append(found.id)
        return ids

    @staticmethod
    def _stored(batch) -> set:
        clients = list({values["client"] for _, values in batch})
        payment = models.Payment
        return set(payment.select(payment.client, payment.paid_on, payment.amount_fen, payment.method)
                   .where(payment.client.in_(clients) & payment.voided_at.is_null()).tuples())


PAYMENTS = RecordSpec(
    kind="payments", title="收款", model=models.Payment, key=("client", "paid_on", "amount_fen", "method"),
    note="导入历史收款：每笔收款按系统规则编收据号（连续不跳号）并冲抵该客户的未收应收（不填「冲抵应收」时从最早的开始）。"
         "同一客户同一天同一金额同一方式的收款视为同一笔，重复导入不会重复登记；已登记的收款不能通过导入修改。",
    columns=(
        Column("客户", "client", "client", required=True, example="杭州华夏科技有限公司"),
        Column("收款金额", "amount_fen", "money", required=True, example="900.00"),
        Column("收款日期", "paid_on", "date", required=True, example="2026-01-12"),
        Column("收款方式", "method", "enum", choices=models.PAYMENT_METHODS, default="bank", example="银行转账"),
        Column("付款人", "payer", max_len=128, example="杭州华夏科技有限公司"),
        Column("备注", "note", max_len=255, example="2026年一季度记账费"),
        Column("冲抵应收", "receivables", max_len=500, example="代理记账费 2026-01",
               help="收费项目 起始所属期，多笔用分号分隔；留空则从最早的未收应收开始冲抵"),
    ),
    check=lambda values, lookups: [] if values.get("amount_fen") else [("收款金额", "收款金额必须大于 0")],
    writer=PaymentWriter())
