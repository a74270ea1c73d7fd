"""The VAT rules the estimate applies, as dated data (B8).

When a policy changes, add or end an entry here with its source; `rules.vat_estimate` reads nothing else.
Dates are inclusive and refer to the first day of the period (month) being estimated. A temporary relief
overrides the statutory rate while it lasts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Dated:
    start: date
    end: date | None  # None: until changed
    source: str  # the text the entry transcribes, shown with the estimate

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class LevyRate(Dated):
    """The levy rate (征收率) of small-scale taxpayers."""
    rate_bp: int  # basis points: 300 = 3%


@dataclass(frozen=True)
class Exemption(Dated):
    """Small-scale taxpayers' exemption: sales up to the threshold of the filing cycle are not taxed."""
    monthly_fen: int  # inclusive threshold for monthly filers
    quarterly_fen: int  # inclusive threshold for quarterly filers
    taxed_kinds: frozenset[str]  # invoice kinds taxed even within the threshold (models.INVOICE_KINDS)


STATUTORY_RATES = (  # the law's levy rate for small-scale taxpayers
    LevyRate(date(2009, 1, 1), date(2025, 12, 31), "《增值税暂行条例》第十二条", 300),
    LevyRate(date(2026, 1, 1), None, "《增值税法》第十一条", 300),
)
REDUCED_RATES = (  # temporary reliefs; where one covers a date it replaces the statutory rate
    LevyRate(date(2023, 1, 1), date(2027, 12, 31), "财政部 税务总局公告2023年第19号", 100),
)

# The same notice ends the exemption on 2027-12-31; a later one is added here once it is published, until then
# an estimate for 2028 taxes all sales and says why. 专票 sales are taxed within the threshold because issuing
# a 专票 waives the exemption for that sale (国家税务总局公告2023年第1号).
SMALL_SCALE_EXEMPTIONS = (
    Exemption(date(2023, 1, 1), date(2027, 12, 31), "财政部 税务总局公告2023年第19号、国家税务总局公告2023年第1号",
              monthly_fen=100_000_00, quarterly_fen=300_000_00, taxed_kinds=frozenset({"special"})),
)

# Earlier reliefs (2019-2022) are not transcribed: estimates before this date say so.
COVERED_FROM = date(2023, 1, 1)

# Input documents a general taxpayer may deduct. Other deductible documents (海关进口增值税专用缴款书, 完税凭证,
# 农产品收购发票, 旅客运输电子客票…) are added here once models.INVOICE_KINDS records them; 普票 never counts.
DEDUCTIBLE_INPUT_KINDS = frozenset({"special"})

# Input tax above output tax is carried to the next period (留抵); the refund option of 《增值税法》第二十一条
# (留抵退税) is a choice the estimate cannot know about.
CARRY_CREDIT_FORWARD = True

# Filing cycle when the client's own VAT returns do not say: general taxpayers file monthly (the quarter is
# reserved to small-scale taxpayers and a few financial institutions), small-scale taxpayers usually quarterly.
DEFAULT_CYCLE = {"general": "monthly", "small": "quarterly"}


def _in_force(entries, day: date):
    """The entry covering ``day`` (the latest-starting one should entries ever overlap), or None."""
    matching = [e for e in entries if e.covers(day)]
    return max(matching, key=lambda e: e.start) if matching else None


def levy_rate(day: date) -> LevyRate:
    """The small-scale levy rate in force on ``day``: a reduced rate while one lasts, else the statutory one."""
    rate = _in_force(REDUCED_RATES, day) or _in_force(STATUTORY_RATES, day)
    if rate is None:
        raise ValueError(f"no small-scale levy rate on {day}")
    return rate


def exemption(day: date) -> Exemption | None:
    """The small-scale exemption in force on ``day``, or None when there is none."""
    return _in_force(SMALL_SCALE_EXEMPTIONS, day)
