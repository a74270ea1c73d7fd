"""The filing calendar as data: the tax bureau's published 申报纳税期限 by year, and the annual deadlines.

Each December 国家税务总局 publishes next year's table: the last day of each month's filing period, with
weekends and holidays already counted in. Shipping a year is one entry in PUBLISHED, with the notice it comes
from. Until it ships, rules.py derives that year's deadlines from the `filings` settings and start-up warns.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublishedYear:
    """One year's table as published: its notice, and the last day to file in January … December."""
    notice: str
    last_days: tuple[int, int, int, int, int, int, int, int, int, int, int, int]


PUBLISHED: dict[int, PublishedYear] = {
    2026: PublishedYear("税总办征科函〔2025〕64号", (20, 24, 16, 20, 22, 15, 15, 17, 15, 26, 16, 15)),
}


@dataclass(frozen=True)
class Annual:
    """A yearly obligation with a date fixed in law, due in the year after the one it covers."""
    name: str
    month: int
    day: int
    # Tax deadlines on a rest day move to the next working day (税收征收管理法实施细则 第一百零九条; a holiday is
    # entered as an override). A reporting window fixed by date (工商年报) does not move.
    rolls: bool
    taxes: tuple[str, ...] = ()  # TaxFiling.tax codes of the yearly returns due on it (models.TAX_KINDS)
    opens: tuple[int, int] = (1, 1)  # (month, day) the window opens in that year


# Keys match bot/config/filings.ANNUAL_KINDS (filings.annual_overrides names them).
ANNUAL: dict[str, Annual] = {
    # 企业所得税法 第五十四条: the annual return within five months after the year ends.
    "cit": Annual("企业所得税汇算清缴", 5, 31, rolls=True, taxes=("cit",)),
    # 个人所得税法 第十二条: 经营所得 settled by 31 March of the following year.
    "iit": Annual("个人所得税经营所得汇算", 3, 31, rolls=True, taxes=("iit",)),
    # 企业信息公示暂行条例 第八条: 1 January to 30 June, online. Not a tax return: no TaxFiling row tracks it.
    "annual_report": Annual("工商年报（企业年度报告）", 6, 30, rolls=False),
}
