"""发票: totals and estimated VAT, exact to the fen, per taxpayer type."""
from datetime import date

import models
from handlers.invoices.rules import levy, vat_estimate
from tests.cmdbot import Bot, agency, bot  # noqa: F401 (agency and bot are fixtures)


def _invoice(client, period, direction, fen, tax, number):
    models.Invoice.create(client=client, direction=direction, period=period, number=number,
                          issue_date=date(int(period[:4]), int(period[5:]), 5), amount_fen=fen, tax_fen=tax,
                          rate_bp=1300)


async def test_general_taxpayer_output_minus_input_without_void_invoices(bot):
    text = await bot.send("lixiaomei", "发票 华夏")
    assert "销项：2 张，金额 ¥1,500.00，税额 ¥195.00" in text  # the void ¥91.00 invoice is left out
    assert "进项：1 张，金额 ¥800.00，税额 ¥104.00" in text
    assert "预估应纳增值税：¥91.00（销项税额 − 进项税额）" in text


async def test_credit_from_earlier_months_is_carried_in(bot, agency):
    _invoice(agency["huaxia"], "2026-09", "output", 10000, 1300, "S1")
    _invoice(agency["huaxia"], "2026-09", "input", 40000, 5200, "S2")  # 39.00 left over in September
    text = await bot.send("lixiaomei", "发票 华夏 2026-10")
    assert "上期留抵：¥39.00" in text and "预估应纳增值税：¥52.00" in text


async def test_negative_result_is_shown_as_credit_carried_forward(bot, agency):
    _invoice(agency["huaxia"], "2026-10", "input", 100000, 13000, "S3")
    text = await bot.send("lixiaomei", "发票 华夏")
    assert "预估应纳增值税：¥0.00" in text and "本期留抵税额：¥39.00，结转下期抵扣" in text
    next_month = vat_estimate(agency["huaxia"], "2026-11", 100)
    assert (next_month.carried_in_fen, next_month.payable_fen, next_month.credit_fen) == (3900, 0, 3900)


async def test_small_scale_taxpayer_levy_on_sales_excluding_tax(bot):
    text = await bot.send("wanggang", "发票 锦程")
    assert "预估应纳增值税：¥12.35（不含税销售额 ¥1,234.56 × 征收率 1%，四舍五入到分）" in text
    assert "不能抵扣" in text


async def test_small_scale_levy_rate_comes_from_the_config(agency, db_url):
    bot = Bot(db_url, small_scale_vat_rate_bp=300)
    text = await bot.send("wanggang", "发票 锦程")
    assert "预估应纳增值税：¥37.04" in text and "征收率 3%" in text  # 1,234.56 x 3% = 37.0368


def test_levy_rounds_half_up_to_the_fen():
    assert [levy(50, 100), levy(49, 100), levy(150, 100), levy(-50, 100), levy(123456, 100)] == [1, 0, 2, -1, 1235]


async def test_period_without_invoices(bot):
    assert "这个期间还没有录入发票" in await bot.send("lixiaomei", "发票 华夏 2026-08")
