"""报表: an XLSX with both statements that opens in openpyxl and balances."""
import io

import openpyxl

from tests.cmdbot import agency, bot  # noqa: F401 (agency and bot are fixtures)


def _amounts(sheet) -> dict[str, float]:
    """{line name: the amount beside it} over the whole sheet."""
    found = {}
    for row in sheet.iter_rows(values_only=True):
        for n, cell in enumerate(row):
            if isinstance(cell, str):
                after = [v for v in row[n + 1:n + 3] if v is not None and not isinstance(v, str)]
                if len(after) == 2:
                    found[cell] = after[1]
    return found


async def test_reports_file_opens_and_balances(bot):
    reply = await bot.reply("lixiaomei", "报表 华夏")
    assert reply.kind == "file" and reply.filename == "华夏科技-2026-10-报表.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(reply.data))
    assert book.sheetnames == ["资产负债表", "利润表"]
    balance = _amounts(book["资产负债表"])
    assert balance["资产合计"] == balance["负债和所有者权益合计"] == 500000
    assert balance["负债合计"] + balance["所有者权益合计"] == balance["资产合计"]
    assert _amounts(book["利润表"])["净利润"] == 60000
    text = " ".join(str(c) for row in book["资产负债表"].iter_rows(values_only=True) for c in row if c)
    assert "杭州华夏科技有限公司" in text and "2026" in text


async def test_without_a_period_the_latest_closed_month_is_sent(bot):
    reply = await bot.reply("lixiaomei", "报表 华信")
    assert reply.kind == "file" and reply.filename == "华信建材-2026-09-报表.xlsx"


async def test_a_named_period_that_is_not_closed_says_which_one_is(bot):
    text = await bot.send("lixiaomei", "报表 华信 2026-10")
    assert "2026年10月的报表还没有出" in text and "最近一期是 2026-09" in text
