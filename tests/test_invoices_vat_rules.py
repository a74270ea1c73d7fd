"""Estimated VAT by the dated rules (handlers/invoices/vat_table.py), as the 发票 reply shows it.

Each row is one client with its invoices; the test asks the bot as its manager and checks the figure and what the
reply says it assumed. Amounts are fen and exclude tax. Today is 2026-11-26 (tests/cmdbot.py).
"""
from dataclasses import dataclass
from datetime import date

import pytest

import models
from bot.config.settings import ConfigError, load_config
from bot.money import format_fen
from handlers.invoices import vat_table
from handlers.invoices.rules import filing_cycle, levy, vat_estimate
from seed.demo import seed_demo
from tests.cmdbot import Bot, agency, bot  # noqa: F401 (agency and bot are fixtures)
from tests.test_config import GOOD_ENV

RATE_1 = "征收率 1%（2023年1月1日起至2027年12月31日适用，财政部 税务总局公告2023年第19号）"
RATE_3 = "征收率 3%（2026年1月1日起适用，《增值税法》第十一条）"


@dataclass(frozen=True)
class Inv:
    period: str
    direction: str  # output / input
    kind: str  # special (专票) / normal (普票)
    amount_fen: int
    status: str = "normal"


@dataclass(frozen=True)
class Case:
    taxpayer: str  # small / general
    cycle: str | None  # the cycle of the client's last VAT return; None: no return on file
    invoices: tuple[Inv, ...]
    period: str
    payable_fen: int
    says: tuple[str, ...]


def out(period, kind, fen, status="normal"):
    return Inv(period, "output", kind, fen, status)


def inp(period, kind, fen):
    return Inv(period, "input", kind, fen)


CASES = {
    # --- small-scale, monthly filer: threshold ¥100,000 a month -------------------------------------------
    "small monthly under the exemption, 普票 only": Case(
        "small", "monthly", (out("2026-10", "normal", 80_000_00),), "2026-10", 0,
        ("（小规模纳税人，按月申报）", "2026年10月销售额 ¥80,000.00，其中专票 ¥0.00", RATE_1,
         "销售额未超过月免征额度 ¥100,000.00：普票销售额免征", "以上为预估数")),
    "small monthly under the exemption, 专票 taxed": Case(
        "small", "monthly", (out("2026-10", "normal", 60_000_00), out("2026-10", "special", 30_000_00)),
        "2026-10", 300_00,
        ("预估应纳增值税：¥300.00（计税销售额 ¥30,000.00 × 征收率 1%，四舍五入到分）", "其中专票 ¥30,000.00",
         "专票销售额照常按征收率计税")),
    "small monthly exactly at the threshold is exempt": Case(
        "small", "monthly", (out("2026-10", "normal", 70_000_00), out("2026-10", "special", 30_000_00)),
        "2026-10", 300_00, ("销售额未超过月免征额度 ¥100,000.00",)),
    "small monthly over the exemption, all sales taxed": Case(
        "small", "monthly", (out("2026-10", "normal", 80_000_00), out("2026-10", "special", 30_000_00)),
        "2026-10", 1_100_00,
        ("预估应纳增值税：¥1,100.00（计税销售额 ¥110,000.00 × 征收率 1%",
         "销售额超过月免征额度 ¥100,000.00，不能免征，全部销售额按征收率计税")),
    # --- small-scale, quarterly filer: threshold ¥300,000 a quarter, the quarter to date ------------------
    "small quarterly (no return on file) under the exemption": Case(
        "small", None, (out("2026-10", "normal", 120_000_00), out("2026-11", "normal", 120_000_00)), "2026-11", 0,
        ("（小规模纳税人，按季申报）", "2026年第4季度（10月至11月）累计销售额 ¥240,000.00",
         "销售额未超过季度免征额度 ¥300,000.00")),
    "small quarterly under the exemption, 专票 taxed": Case(
        "small", "quarterly", (out("2026-10", "normal", 100_000_00), out("2026-11", "special", 50_000_00)),
        "2026-11", 500_00, ("其中专票 ¥50,000.00", "计税销售额 ¥50,000.00 × 征收率 1%")),
    "small quarterly over the exemption": Case(
        "small", "quarterly", (out("2026-10", "normal", 150_000_00), out("2026-11", "normal", 120_000_00),
                               out("2026-11", "special", 40_000_00)),
        "2026-11", 3_100_00, ("销售额超过季度免征额度 ¥300,000.00，不能免征",)),
    "small quarterly counts the quarter up to the period only": Case(
        "small", "quarterly", (out("2026-10", "special", 10_000_00), out("2026-11", "special", 20_000_00)),
        "2026-10", 100_00, ("2026年第4季度（10月）累计销售额 ¥10,000.00",)),
    "small quarterly leaves the previous quarter out": Case(
        "small", "quarterly", (out("2026-09", "normal", 290_000_00), out("2026-10", "special", 20_000_00)),
        "2026-10", 200_00, ("2026年第4季度（10月）累计销售额 ¥20,000.00", "未超过季度免征额度")),
    # --- the reduced rate ends on 2027-12-31 (and the exemption with it) ---------------------------------
    "small 2027-12: 1%, exemption": Case(
        "small", "monthly", (out("2027-12", "normal", 50_000_00), out("2027-12", "special", 10_000_00)),
        "2027-12", 100_00, (RATE_1, "未超过月免征额度")),
    "small 2028-01: 3%, no exemption on record": Case(
        "small", "monthly", (out("2028-01", "normal", 50_000_00), out("2028-01", "special", 10_000_00)),
        "2028-01", 1_800_00,
        ("预估应纳增值税：¥1,800.00（计税销售额 ¥60,000.00 × 征收率 3%", RATE_3,
         "2028年1月销售额 ¥60,000.00，其中专票 ¥10,000.00",
         "小规模纳税人免征政策执行至2027年12月31日，之后的政策尚未收录，本估算未计免征")),
    "small quarterly 2027-Q4: 1%": Case(
        "small", "quarterly", (out("2027-11", "normal", 100_000_00), out("2027-12", "special", 10_000_00)),
        "2027-12", 100_00, ("2027年第4季度（10月至12月）累计销售额 ¥110,000.00", RATE_1)),
    "small quarterly 2028-Q1: 3%": Case(
        "small", "quarterly", (out("2028-01", "normal", 20_000_00), out("2028-02", "special", 10_000_00)),
        "2028-02", 900_00, ("2028年第1季度（1月至2月）累计销售额 ¥30,000.00", RATE_3)),
    "small void left out, red-letter subtracted": Case(
        "small", "monthly", (out("2026-10", "special", 20_000_00), out("2026-10", "special", -5_000_00, "red"),
                             out("2026-10", "special", 100_000_00, "void")),
        "2026-10", 150_00, ("2026年10月销售额 ¥15,000.00，其中专票 ¥15,000.00",)),
    # --- general taxpayers: output tax - deductible input tax (专票) - 留抵 -------------------------------
    "general 普票 input is not deducted": Case(
        "general", None, (out("2026-10", "special", 100_000_00), inp("2026-10", "special", 50_000_00),
                          inp("2026-10", "normal", 20_000_00)),
        "2026-10", 6_500_00,
        ("（一般纳税人，按月申报）", "进项：2 张，金额 ¥70,000.00，税额 ¥9,100.00（可抵扣 ¥6,500.00）",
         "预估应纳增值税：¥6,500.00（销项税额 − 可抵扣进项税额）",
         "只有专票的进项税额可以抵扣，本期普票等凭证的进项税额 ¥2,600.00 未抵扣", "以上为预估数")),
    "general 留抵 carried from an earlier month": Case(
        "general", None, (out("2026-09", "normal", 10_000_00), inp("2026-09", "special", 40_000_00),
                          inp("2026-09", "normal", 100_000_00),
                          out("2026-10", "special", 100_000_00), inp("2026-10", "special", 50_000_00)),
        "2026-10", 2_600_00,
        ("上期留抵：¥3,900.00", "预估应纳增值税：¥2,600.00（销项税额 − 可抵扣进项税额 − 上期留抵）",
         "留抵税额结转下期抵扣")),
    "general more input than output: 留抵 carried forward": Case(
        "general", None, (out("2026-10", "special", 10_000_00), inp("2026-10", "special", 20_000_00)),
        "2026-10", 0, ("预估应纳增值税：¥0.00", "本期留抵税额：¥1,300.00，结转下期抵扣")),
    "general 普票 input creates no 留抵": Case(
        "general", None, (out("2026-09", "normal", 10_000_00), inp("2026-09", "normal", 100_000_00),
                          out("2026-10", "normal", 10_000_00)),
        "2026-10", 1_300_00, ("预估应纳增值税：¥1,300.00（销项税额 − 可抵扣进项税额）",)),
}


def _client(agency, taxpayer: str, cycle: str | None) -> models.Client:
    client = models.Client.create(name="宁波甬江商贸有限公司", short_name="甬江商贸", taxpayer_type=taxpayer,
                                  manager=agency["li"])
    if cycle:
        models.TaxFiling.create(client=client, period="2026-09", tax="vat", cycle=cycle, status="filed")
    return client


def _add(client: models.Client, invoices) -> None:
    for n, i in enumerate(invoices):
        rate = 1300 if client.taxpayer_type == "general" or i.direction == "input" else (
            vat_table.levy_rate(date(int(i.period[:4]), int(i.period[5:]), 1)).rate_bp)
        models.Invoice.create(client=client, direction=i.direction, period=i.period, number=f"T{n:06d}",
                              issue_date=date(int(i.period[:4]), int(i.period[5:]), 10), amount_fen=i.amount_fen,
                              tax_fen=levy(i.amount_fen, rate), rate_bp=rate, kind=i.kind, status=i.status)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_vat_estimate_table(bot, agency, case):
    client = _client(agency, case.taxpayer, case.cycle)
    _add(client, case.invoices)
    text = await bot.send("lixiaomei", f"发票 甬江商贸 {case.period}")
    assert f"预估应纳增值税：{format_fen(case.payable_fen)}（" in text
    for phrase in case.says:
        assert phrase in text, f"{phrase!r} not in:\n{text}"
    assert vat_estimate(client, case.period).payable_fen == case.payable_fen


async def test_credit_carried_forward_is_used_the_next_month(bot, agency):
    client = _client(agency, "general", None)
    _add(client, (out("2026-10", "special", 10_000_00), inp("2026-10", "special", 20_000_00),
                  out("2026-11", "special", 20_000_00)))
    text = await bot.send("lixiaomei", "发票 甬江商贸 2026-11")
    assert "上期留抵：¥1,300.00" in text and "预估应纳增值税：¥1,300.00" in text  # 2,600.00 - 1,300.00


async def test_the_clients_own_cycle_wins_over_its_returns(bot, agency):
    """A small-scale client set to 按月 is estimated against the monthly threshold although its last VAT return was
    quarterly; set to 按季, against the quarter's although its return was monthly; unset, its returns decide again."""
    client = _client(agency, "small", "quarterly")
    _add(client, (out("2026-10", "normal", 120_000_00), out("2026-11", "normal", 90_000_00)))
    assert (filing_cycle(client, "2026-10"), vat_estimate(client, "2026-10").payable_fen) == ("quarterly", 0)
    client.vat_cycle = "monthly"
    client.save()
    text = await bot.send("lixiaomei", "发票 甬江商贸 2026-10")
    assert "（小规模纳税人，按月申报）" in text and "销售额超过月免征额度 ¥100,000.00" in text
    assert "预估应纳增值税：¥1,200.00（" in text  # 120,000.00 x 1%: over the month's ¥100,000
    models.TaxFiling.update(cycle="monthly").where(models.TaxFiling.client == client).execute()
    client.vat_cycle = "quarterly"
    client.save()
    estimate = vat_estimate(client, "2026-11")
    assert (estimate.cycle, estimate.months, estimate.payable_fen) == ("quarterly", ("2026-10", "2026-11"), 0)
    client.vat_cycle = ""
    client.save()
    assert vat_estimate(client, "2026-11").cycle == "monthly"  # inferred from its (now monthly) return


def test_the_rate_table_by_date():
    assert [vat_table.levy_rate(date(y, m, 1)).rate_bp for y, m in ((2022, 12), (2023, 1), (2027, 12), (2028, 1))] \
        == [300, 100, 100, 300]
    assert vat_table.exemption(date(2027, 12, 1)).monthly_fen == 100_000_00
    assert vat_table.exemption(date(2027, 12, 1)).quarterly_fen == 300_000_00
    assert vat_table.exemption(date(2028, 1, 1)) is None
    assert "special" in vat_table.DEDUCTIBLE_INPUT_KINDS and "normal" not in vat_table.DEDUCTIBLE_INPUT_KINDS


async def test_a_period_before_the_table_says_its_reliefs_are_not_on_record(bot, agency):
    client = _client(agency, "small", "monthly")
    _add(client, (out("2022-06", "normal", 10_000_00),))
    text = await bot.send("lixiaomei", "发票 甬江商贸 2022-06")
    assert "征收率 3%" in text and "该期间的免征及减征政策未收录，本估算未计免征" in text


def test_the_old_rate_setting_is_refused_with_what_replaced_it(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("agency:\n  small_scale_vat_rate_bp: 100\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"agency\.small_scale_vat_rate_bp: removed: .*vat_table\.py"):
        load_config(cfg, env=GOOD_ENV)


# --- the demo agency, October 2026, worked out by hand ------------------------------------------------------

@pytest.fixture
def demo_bot(database, db_url):
    seed_demo(date(2026, 11, 26))
    return Bot(db_url)


def _october(short_name: str) -> tuple[models.Client, list[tuple]]:
    client = models.Client.get(models.Client.short_name == short_name)
    rows = (models.Invoice.select().where((models.Invoice.client == client) & (models.Invoice.period == "2026-10"))
            .order_by(models.Invoice.direction, models.Invoice.kind, models.Invoice.amount_fen))
    return client, [(i.direction, i.kind, i.amount_fen, i.tax_fen, i.status) for i in rows]


async def test_demo_october_small_scale_with_special_invoices(demo_bot):
    client, invoices = _october("启明电商")
    assert invoices == [("input", "normal", 59114, 7685, "normal"), ("input", "normal", 68858, 8952, "normal"),
                        ("output", "normal", 834968, 8350, "normal"), ("output", "special", 1411528, 14115, "normal")]
    # Quarterly filer, October is the quarter so far: sales 8,349.68 + 14,115.28 = 22,464.96 <= 300,000 -> exempt,
    # except the 专票 sale: 14,115.28 x 1% = 141.1528 -> ¥141.15. Input is not deductible.
    text = await demo_bot.send("admin", "发票 启明电商 2026-10")
    assert "预估应纳增值税：¥141.15（计税销售额 ¥14,115.28 × 征收率 1%" in text
    assert "2026年第4季度（10月）累计销售额 ¥22,464.96，其中专票 ¥14,115.28" in text


async def test_demo_october_small_scale_without_special_invoices(demo_bot):
    client, invoices = _october("润泽医疗")
    assert [(d, k, fen) for d, k, fen, _, _ in invoices] == [
        ("output", "normal", 312949), ("output", "normal", 452202), ("output", "normal", 547269),
        ("output", "normal", 621250), ("output", "normal", 945481), ("output", "normal", 2332300)]
    # Six 普票, 52,114.51 of sales in the quarter so far, under 300,000: all exempt. (It used to be told ¥521.15.)
    assert sum(fen for _, _, fen, _, _ in invoices) == 52_114_51
    text = await demo_bot.send("admin", "发票 润泽医疗 2026-10")
    assert "预估应纳增值税：¥0.00" in text and "销售额未超过季度免征额度 ¥300,000.00" in text


async def test_demo_october_general_taxpayer_jincheng(demo_bot):
    client, invoices = _october("锦程贸易")
    output_tax = [t for d, _, _, t, _ in invoices if d == "output"]
    special_in = [t for d, k, _, t, _ in invoices if d == "input" and k == "special"]
    normal_in = [t for d, k, _, t, _ in invoices if d == "input" and k == "normal"]
    assert sorted(output_tax) == [234815, 257385, 269962, 304167, 868660, 952893]  # 28,878.82
    assert sorted(special_in) == [99919, 189915, 209790, 362892]  # 8,625.16 on 专票: deductible
    assert sorted(normal_in) == [40639, 273392]  # 3,140.31 on 普票: not deductible
    # August and September both ended with tax to pay, so no 留抵 comes in:
    # 28,878.82 - 8,625.16 = 20,253.66 (deducting the 普票 too gave the old, wrong 17,113.35).
    assert sum(output_tax) - sum(special_in) == 20_253_66
    text = await demo_bot.send("admin", "发票 锦程贸易 2026-10")
    assert "预估应纳增值税：¥20,253.66（销项税额 − 可抵扣进项税额）" in text
    assert "本期普票等凭证的进项税额 ¥3,140.31 未抵扣" in text and "上期留抵" not in text.split("估算依据")[0]
    # The demo's own filed return for October says the same.
    filed = models.TaxFiling.get((models.TaxFiling.client == client) & (models.TaxFiling.tax == "vat")
                                 & (models.TaxFiling.period == "2026-10"))
    assert (filed.cycle, filed.amount_fen) == ("monthly", 20_253_66)


def test_demo_filed_vat_is_the_estimate_of_each_return(database):
    seed_demo(date(2026, 11, 26))
    filings = (models.TaxFiling.select(models.TaxFiling, models.Client).join(models.Client)
               .where(models.TaxFiling.tax == "vat"))
    assert filings.count() > 40
    for filing in filings:
        estimate = vat_estimate(filing.client, filing.period)
        assert (filing.amount_fen, filing.cycle) == (estimate.payable_fen, estimate.cycle), filing.client.name
