"""发票: a client's input and output invoices of a period and the estimated VAT (B8).

One `vat_estimate`, exact in integer fen, for the bot, the sidebar, the 开票数据提醒 text and the demo seed.
The rules it applies are dated data in vat_table.py:
- general taxpayer: output tax - deductible input tax (专票) - 留抵 carried in; a negative result is 留抵
  carried forward. Input tax on 普票 is never deducted.
- small-scale taxpayer: taxable sales excluding tax x the levy rate in force, rounded half up to the fen.
  Within the exemption threshold of the filing cycle (per month, or per quarter for quarterly filers) only
  sales on 专票 are taxable; above it all sales are. Input tax is not deductible.
The filing cycle is the client's 增值税申报周期 when set; unset, its latest VAT return says (filing_cycle).
A quarterly filer's estimate is the quarter's: the months of the quarter up to and including the period.
Void invoices are left out; red-letter (红冲) invoices count with their own (negative) amounts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from peewee import fn

import models
from handlers.invoices import vat_table

SPECIAL = frozenset({"special"})  # 专票 (models.INVOICE_KINDS), counted apart in a small-scale estimate


@dataclass(frozen=True)
class Totals:
    count: int = 0
    amount_fen: int = 0
    tax_fen: int = 0

    def __add__(self, other: "Totals") -> "Totals":
        return Totals(self.count + other.count, self.amount_fen + other.amount_fen, self.tax_fen + other.tax_fen)


@dataclass(frozen=True)
class VatEstimate:
    """An estimate and everything it assumes; dates are ISO strings so it travels as JSON."""
    output: Totals  # the period's own output invoices
    input: Totals  # the period's own input invoices
    payable_fen: int  # estimated VAT to pay (never negative)
    general: bool
    cycle: str  # 'monthly' or 'quarterly'
    months: tuple[str, ...]  # the periods the figure covers
    # general taxpayers
    deductible_kinds: str = ""  # e.g. '专票'
    deductible_tax_fen: int = 0  # input tax deducted in the period
    undeducted_tax_fen: int = 0  # input tax on documents that are not deductible (普票)
    carried_in_fen: int = 0  # 留抵 from earlier periods used here
    credit_fen: int = 0  # 留抵 carried forward to the next period
    # small-scale taxpayers
    rate_bp: int = 0
    rate_source: str = ""
    rate_from: str = ""
    rate_until: str = ""  # '' while no end is set
    sales_fen: int = 0  # sales excluding tax over `months`
    special_sales_fen: int = 0  # of which invoiced on 专票
    taxable_fen: int = 0
    exemption: str = ""  # 'applied', 'exceeded', 'expired' (none in force since exemption_until), 'unknown'
    threshold_fen: int = 0
    exemption_source: str = ""
    exemption_until: str = ""

    @property
    def rate(self) -> str:
        """The levy rate as people write it, e.g. '1%'."""
        return rate_text(self.rate_bp)


def levy(amount_fen: int, rate_bp: int) -> int:
    """amount x rate, rounded half away from zero to the fen (integers only, no float)."""
    sign = -1 if amount_fen < 0 else 1
    return sign * ((abs(amount_fen) * rate_bp + 5000) // 10000)


def period_totals(client_id: int, periods: list[str] | None = None) -> dict[tuple[str, str, str], Totals]:
    """{(period, direction, kind): Totals} of the client's invoices that are not void."""
    inv = models.Invoice
    query = (inv.select(inv.period, inv.direction, inv.kind, fn.COUNT(inv.id), fn.SUM(inv.amount_fen),
                        fn.SUM(inv.tax_fen))
             .where((inv.client == client_id) & (inv.status != "void"))
             .group_by(inv.period, inv.direction, inv.kind))
    if periods is not None:
        query = query.where(inv.period.in_(periods))
    return {(period, direction, kind): Totals(int(count), int(amount or 0), int(tax or 0))
            for period, direction, kind, count, amount, tax in query.tuples()}


def _sum(totals: dict, period: str, direction: str, kinds=None) -> Totals:
    """The period's totals in one direction, of the given invoice kinds (all kinds when None)."""
    return sum((t for (p, d, k), t in totals.items()
                if p == period and d == direction and (kinds is None or k in kinds)), Totals())


def filing_cycle(client: models.Client, period: str) -> str:
    """How the client files VAT for ``period``: as set on the client (增值税申报周期); when unset, its latest VAT
    return up to that quarter says, else the default."""
    if client.taxpayer_type == "general":  # a general taxpayer's older quarterly returns predate its registration
        return vat_table.DEFAULT_CYCLE["general"]
    if client.vat_cycle:  # '' is unset; None when a caller selected the client without it
        return client.vat_cycle
    filing = (models.TaxFiling.select(models.TaxFiling.cycle)
              .where((models.TaxFiling.client == client.id) & (models.TaxFiling.tax == "vat")
                     & models.TaxFiling.cycle.in_(["monthly", "quarterly"])
                     & (models.TaxFiling.period <= quarter_months(period)[-1]))
              .order_by(models.TaxFiling.period.desc()).first())
    return filing.cycle if filing else vat_table.DEFAULT_CYCLE[client.taxpayer_type]


def vat_cycle_problem(taxpayer_type: str, vat_cycle: str) -> str:
    """Why a client's 增值税申报周期 does not fit its taxpayer type, or '': a general taxpayer files monthly (every
    channel that writes a client asks this)."""
    if taxpayer_type == "general" and vat_cycle == "quarterly":
        return "一般纳税人按月申报增值税，不能设为按季：请把增值税申报周期改为按月，或留空（按申报记录推断）"
    return ""


def quarter_months(period: str) -> list[str]:
    """The three months of the quarter holding ``period``."""
    first = models.shift_period(period, -((int(period[5:]) - 1) % 3))
    return [models.shift_period(first, m) for m in range(3)]


def covered_months(period: str, cycle: str) -> tuple[str, ...]:
    """The months an estimate for ``period`` covers: the period, or its quarter up to and including it."""
    if cycle != "quarterly":
        return (period,)
    return tuple(m for m in quarter_months(period) if m <= period)


def _first_day(period: str) -> date:
    return date(int(period[:4]), int(period[5:]), 1)


def _credit_before(totals: dict, period: str) -> int:
    """留抵 carried into ``period``: each earlier month's output tax - deductible input tax, netted in order."""
    if not vat_table.CARRY_CREDIT_FORWARD:
        return 0
    credit = 0
    for month in sorted({p for p, _, _ in totals if p < period}):
        net = (_sum(totals, month, "output").tax_fen
               - _sum(totals, month, "input", vat_table.DEDUCTIBLE_INPUT_KINDS).tax_fen)
        credit = max(credit - net, 0)
    return credit


def _general(client: models.Client, period: str) -> VatEstimate:
    totals = period_totals(client.id)
    out, inp = _sum(totals, period, "output"), _sum(totals, period, "input")
    deductible = _sum(totals, period, "input", vat_table.DEDUCTIBLE_INPUT_KINDS).tax_fen
    carried_in = _credit_before(totals, period)
    net = out.tax_fen - deductible - carried_in
    kinds = "、".join(label for kind, label in models.INVOICE_KINDS.items() if kind in vat_table.DEDUCTIBLE_INPUT_KINDS)
    return VatEstimate(out, inp, max(net, 0), general=True, cycle=vat_table.DEFAULT_CYCLE["general"],
                       months=(period,), deductible_kinds=kinds, deductible_tax_fen=deductible,
                       undeducted_tax_fen=inp.tax_fen - deductible, carried_in_fen=carried_in,
                       credit_fen=max(-net, 0) if vat_table.CARRY_CREDIT_FORWARD else 0)


def _exemption_fields(day: date, cycle: str, sales: int) -> dict:
    """Whether the exemption applies to ``sales``, and the entry that says so."""
    rule = vat_table.exemption(day)
    if rule is None:
        ended = [e.end for e in vat_table.SMALL_SCALE_EXEMPTIONS if e.end and e.end < day]
        if day < vat_table.COVERED_FROM or not ended:
            return {"exemption": "unknown"}
        return {"exemption": "expired", "exemption_until": max(ended).isoformat()}
    threshold = rule.quarterly_fen if cycle == "quarterly" else rule.monthly_fen
    return {"exemption": "applied" if sales <= threshold else "exceeded", "threshold_fen": threshold,
            "exemption_source": rule.source, "exemption_until": rule.end.isoformat() if rule.end else ""}


def _small(client: models.Client, period: str, cycle: str) -> VatEstimate:
    months = covered_months(period, cycle)
    totals = period_totals(client.id, list(months))
    day = _first_day(period)
    rule = vat_table.exemption(day)
    taxed_kinds = rule.taxed_kinds if rule else frozenset()
    sales = sum(_sum(totals, m, "output").amount_fen for m in months)
    special = sum(_sum(totals, m, "output", SPECIAL).amount_fen for m in months)
    exemption = _exemption_fields(day, cycle, sales)
    within = exemption["exemption"] == "applied"
    # Each month at its own rate: a rate change inside a quarter stays exact.
    by_rate: dict[int, int] = {}
    for m in months:
        base = _sum(totals, m, "output", taxed_kinds if within else None).amount_fen
        rate_bp = vat_table.levy_rate(_first_day(m)).rate_bp
        by_rate[rate_bp] = by_rate.get(rate_bp, 0) + base
    tax = sum(levy(base, rate_bp) for rate_bp, base in by_rate.items())
    rate = vat_table.levy_rate(day)
    return VatEstimate(_sum(totals, period, "output"), _sum(totals, period, "input"), max(tax, 0), general=False,
                       cycle=cycle, months=months, rate_bp=rate.rate_bp, rate_source=rate.source,
                       rate_from=rate.start.isoformat(), rate_until=rate.end.isoformat() if rate.end else "",
                       sales_fen=sales, special_sales_fen=special, taxable_fen=sum(by_rate.values()), **exemption)


def vat_estimate(client: models.Client, period: str) -> VatEstimate:
    """The estimated VAT of ``client`` for ``period`` (its quarter to date for quarterly filers)."""
    if client.taxpayer_type == "general":
        return _general(client, period)
    return _small(client, period, filing_cycle(client, period))


def rate_text(rate_bp: int) -> str:
    """A rate in basis points as people write it: 100 -> '1%', 650 -> '6.5%'."""
    whole, rest = divmod(rate_bp, 100)
    return f"{whole}%" if not rest else f"{whole}.{rest:02d}".rstrip("0") + "%"
