"""Amounts as people type them: one parser (bot.money.parse_yuan) for the bot and the sidebar, exact to the fen."""
import pytest

from bot.money import AmountError, looks_like_amount, parse_yuan


@pytest.mark.parametrize("text, fen", [
    ("100", 10000), ("100元", 10000), ("100 元", 10000), ("100块", 10000), ("100块钱", 10000),
    ("1万", 1000000), ("1.2万", 1200000), ("1.25万元", 1250000), ("1.234567万", 1234567),
    ("¥1,200.50", 120050), ("￥１，２００．５０", 120050), ("1,234", 123400), ("1,234,567.89", 123456789),
    ("0.1", 10), ("2999.50", 299950), ("0", 0),
])
def test_amounts_people_type(text, fen):
    assert parse_yuan(text) == fen
    assert looks_like_amount(text)


@pytest.mark.parametrize("text, reason", [
    ("12,34.5", "千分位逗号应每三位数字一个"),     # was silently read as 1,234.50
    ("1,2345", "千分位逗号应每三位数字一个"),
    ("12.345", "最多精确到分"),
    ("1.2345678万", "最多精确到分"),
    ("1000000000000", "金额过大"),
])
def test_amounts_refused_with_a_reason(text, reason):
    with pytest.raises(AmountError) as caught:
        parse_yuan(text)
    assert reason in caught.value.reason
    assert looks_like_amount(text)  # a figure, just a wrong one: the reply names the reason


@pytest.mark.parametrize("text", ["一千", "wx", "", "-100", "1.2.3", "1,234.5,0", "100美元", "华夏"])
def test_not_amounts_at_all(text):
    with pytest.raises(ValueError):
        parse_yuan(text)
