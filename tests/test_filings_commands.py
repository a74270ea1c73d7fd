"""报税: monthly returns of the period, quarterly returns of its quarter (or the last finished one)."""
import pytest

from handlers.filings.rules import quarter_end
from tests.cmdbot import agency, bot  # noqa: F401 (agency and bot are fixtures)


async def test_filing_status_per_tax_for_last_month(bot):
    text = await bot.send("lixiaomei", "报税 华夏")
    assert "【杭州华夏科技有限公司】报税情况（一般纳税人）" in text
    assert "· 增值税：已申报，税额 ¥91.00（2026-11-10 申报）" in text
    assert "· 附加税费：已申报，税额 ¥10.92" in text
    assert "· 个人所得税：未申报（已过申报期限）" in text  # 15 November has passed
    assert "申报期限 2026-11-16" in text  # the 15th is a Sunday: the calendar rolls it to Monday


async def test_quarterly_returns_of_an_unfinished_quarter_show_the_last_quarter_labelled(bot):
    text = await bot.send("lixiaomei", "报税 华夏 2026-10")
    assert "上季度 2026年第3季度（2026-07至2026-09）（按季）" in text and "企业所得税：已缴款，税额 ¥2,500.00" in text
    assert "本季度的按季申报在 2027-01-15 前办理" in text


async def test_a_month_inside_a_quarter_shows_that_quarter(bot):
    text = await bot.send("wanggang", "报税 锦程 2026-08")
    assert "2026年第3季度（2026-07至2026-09）（按季）" in text and "上季度" not in text
    assert "增值税：已缴款，税额 ¥43.21" in text


async def test_no_records(bot):
    assert "没有申报记录" in await bot.send("lixiaomei", "报税 华信")


@pytest.mark.parametrize("period, end", [("2026-01", "2026-03"), ("2026-03", "2026-03"), ("2026-10", "2026-12"),
                                         ("2026-12", "2026-12"), ("2026-05", "2026-06")])
def test_quarter_end(period, end):
    assert quarter_end(period) == end
