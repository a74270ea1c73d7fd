"""发票: totals and estimated VAT, exact to the fen, per taxpayer type (the rule table: test_invoices_vat_rules.py)."""
from datetime import date

import models
from handlers.invoices.rules import levy, vat_estimate
from tests.cmdbot import Bot, agency, bot  # noqa: F401 (agency and bot are fixtures)


def _invoice(client, period, direction, fen, tax, number, kind="special", rate_bp=1300):
    models.Invoice.create(client=client, direction=direction, period=period, number=number,
                          issue_date=date(int(period[:4]), int(period[5:]), 5), amount_fen=fen, tax_fen=tax,
                          rate_bp=rate_bp, kind=kind)


async def test_general_taxpayer_output_minus_deductible_input_without_void_invoices(bot, agency):
    text = await bot.send("lixiaomei", "发票 华夏")
    assert "销项：2 张，金额 ¥1,500.00，税额 ¥195.00" in text  # the void ¥91.00 invoice is left out
    assert "进项：1 张，金额 ¥800.00，税额 ¥104.00（可抵扣 ¥0.00）" in text
    # The fixture's input invoice is a 普票: not deductible (this used to deduct it and say ¥91.00).
    assert "预估应纳增值税：¥195.00（销项税额 − 可抵扣进项税额）" in text
    _invoice(agency["huaxia"], "2026-10", "input", 80000, 10400, "S0")  # the same purchase on a 专票
    text = await bot.send("lixiaomei", "发票 华夏")
    assert "预估应纳增值税：¥91.00（销项税额 − 可抵扣进项税额）" in text


async def test_credit_from_earlier_months_is_carried_in(bot, agency):
    _invoice(agency["huaxia"], "2026-09", "output", 10000, 1300, "S1")
    _invoice(agency["huaxia"], "2026-09", "input", 40000, 5200, "S2")  # 39.00 left over in September (专票)
    text = await bot.send("lixiaomei", "发票 华夏 2026-10")
    # 195.00 - 39.00; October's ¥104.00 普票 input is not deducted (it used to be: ¥52.00).
    assert "上期留抵：¥39.00" in text and "预估应纳增值税：¥156.00" in text


async def test_negative_result_is_shown_as_credit_carried_forward(bot, agency):
    _invoice(agency["huaxia"], "2026-10", "input", 200000, 26000, "S3")
    text = await bot.send("lixiaomei", "发票 华夏")
    # 195.00 - 260.00 on 专票 (the ¥104.00 普票 no longer counts, which used to leave ¥39.00).
    assert "预估应纳增值税：¥0.00" in text and "本期留抵税额：¥65.00，结转下期抵扣" in text
    next_month = vat_estimate(agency["huaxia"], "2026-11")
    assert (next_month.carried_in_fen, next_month.payable_fen, next_month.credit_fen) == (6500, 0, 6500)


async def test_small_scale_taxpayer_levy_on_sales_excluding_tax(bot, agency):
    text = await bot.send("wanggang", "发票 锦程")
    # ¥1,234.56 on a 普票 is within the quarter's exemption (this used to say ¥12.35).
    assert "预估应纳增值税：¥0.00（计税销售额 ¥0.00 × 征收率 1%，四舍五入到分）" in text
    assert "不能抵扣" in text and "销售额未超过季度免征额度 ¥300,000.00" in text
    _invoice(agency["jincheng"], "2026-10", "output", 123456, 1235, "S4", rate_bp=100)  # a 专票 is taxed
    text = await bot.send("wanggang", "发票 锦程")
    assert "预估应纳增值税：¥12.35（计税销售额 ¥1,234.56 × 征收率 1%，四舍五入到分）" in text


async def test_small_scale_levy_rate_comes_from_the_dated_rules(agency, db_url):
    # The rate used to be a setting (agency.small_scale_vat_rate_bp); now 2028 periods are at 3% by themselves,
    # and with the exemption ended on 2027-12-31 the 普票 sales are taxed too.
    _invoice(agency["jincheng"], "2028-01", "output", 123456, 3704, "S5", kind="normal", rate_bp=300)
    text = await Bot(db_url).send("wanggang", "发票 锦程 2028-01")
    assert "预估应纳增值税：¥37.04" in text and "征收率 3%" in text  # 1,234.56 x 3% = 37.0368


def test_levy_rounds_half_up_to_the_fen():
    assert [levy(50, 100), levy(49, 100), levy(150, 100), levy(-50, 100), levy(123456, 100)] == [1, 0, 2, -1, 1235]


async def test_period_without_invoices(bot):
    assert "这个期间还没有录入发票" in await bot.send("lixiaomei", "发票 华夏 2026-08")
