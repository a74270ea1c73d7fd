"""发票: a client's input and output invoices of a period and the estimated VAT (B8).

Estimated VAT, exact in integer fen:
- general taxpayer: output tax - input tax - credit carried in; a negative result is 留抵 carried forward;
- small-scale taxpayer: output sales excluding tax x the levy rate (agency.small_scale_vat_rate_bp),
  rounded half up to the fen; input tax is not deductible.
Void invoices are left out; red-letter (红冲) invoices count with their own (negative) amounts.
"""
from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

import models


@dataclass(frozen=True)
class Totals:
    count: int = 0
    amount_fen: int = 0
    tax_fen: int = 0


@dataclass(frozen=True)
class VatEstimate:
    output: Totals
    input: Totals
    payable_fen: int  # estimated VAT to pay (never negative)
    carried_in_fen: int = 0  # 留抵 from earlier periods used here (general taxpayers)
    credit_fen: int = 0  # 留抵 carried forward to the next period (general taxpayers)
    rate_bp: int = 0  # levy rate used (small-scale taxpayers)


def levy(amount_fen: int, rate_bp: int) -> int:
    """amount x rate, rounded half away from zero to the fen (integers only, no float)."""
    sign = -1 if amount_fen < 0 else 1
    return sign * ((abs(amount_fen) * rate_bp + 5000) // 10000)


def period_totals(client_id: int, periods: list[str] | None = None) -> dict[tuple[str, str], Totals]:
    """{(period, direction): Totals} of the client's invoices that are not void."""
    query = (models.Invoice.select(models.Invoice.period, models.Invoice.direction,
                                   fn.COUNT(models.Invoice.id), fn.SUM(models.Invoice.amount_fen),
                                   fn.SUM(models.Invoice.tax_fen))
             .where((models.Invoice.client == client_id) & (models.Invoice.status != "void"))
             .group_by(models.Invoice.period, models.Invoice.direction))
    if periods is not None:
        query = query.where(models.Invoice.period.in_(periods))
    return {(period, direction): Totals(int(count), int(amount or 0), int(tax or 0))
            for period, direction, count, amount, tax in query.tuples()}


def _credit_before(totals: dict, period: str) -> int:
    """留抵 carried into ``period``: each earlier month's output tax - input tax, netted in order."""
    credit = 0
    for month in sorted({p for p, _ in totals if p < period}):
        net = totals.get((month, "output"), Totals()).tax_fen - totals.get((month, "input"), Totals()).tax_fen
        credit = max(credit - net, 0)
    return credit


def vat_estimate(client: models.Client, period: str, small_rate_bp: int) -> VatEstimate:
    """The estimate shown by 发票 for one client and period."""
    if client.taxpayer_type == "small":
        totals = period_totals(client.id, [period])
        out, inp = totals.get((period, "output"), Totals()), totals.get((period, "input"), Totals())
        return VatEstimate(out, inp, max(levy(out.amount_fen, small_rate_bp), 0), rate_bp=small_rate_bp)
    totals = period_totals(client.id)
    out, inp = totals.get((period, "output"), Totals()), totals.get((period, "input"), Totals())
    carried_in = _credit_before(totals, period)
    net = out.tax_fen - inp.tax_fen - carried_in
    return VatEstimate(out, inp, max(net, 0), carried_in_fen=carried_in, credit_fen=max(-net, 0))


def rate_text(rate_bp: int) -> str:
    whole, rest = divmod(rate_bp, 100)
    return f"{whole}%" if not rest else f"{whole}.{rest:02d}".rstrip("0") + "%"
