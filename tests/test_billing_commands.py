"""欠费 and 催款: what is owed once due, largest first, and the reminder text to forward."""

from tests.cmdbot import agency, bot  # noqa: F401 (agency and bot are fixtures)


async def test_arrears_of_the_askers_clients_with_the_total(bot):
    text = await bot.send("lixiaomei", "欠费")
    assert "有欠费的共 1 个，合计 ¥2,399.50" in text  # 900.00 + 1,499.50; December's 600.00 is not due yet
    assert "1. 华夏科技　¥2,399.50（2 笔，最早逾期 47 天）" in text
    assert "锦程" not in text


async def test_admin_sees_all_arrears_largest_first(bot):
    text = await bot.send("admin", "欠费")
    assert "共 2 个，合计 ¥2,999.50" in text
    assert text.index("华夏科技　¥2,399.50") < text.index("锦程贸易　¥600.00")


async def test_reminder_lists_due_items_oldest_first_with_the_total_and_agency(bot):
    text = await bot.send("lixiaomei", "催款 华夏")
    assert text.startswith("【付款提醒】杭州华夏科技有限公司")
    assert "1. 代理记账费（2026-07至2026-09）：应付 ¥900.00，未付 ¥900.00（2026-10-10 到期）" in text
    assert "2. 代理记账费（2026-01至2026-06）：应付 ¥1,800.00，已付 ¥300.50，未付 ¥1,499.50" in text
    assert "合计未付：¥2,399.50" in text and "2026-12" not in text
    assert text.rstrip().endswith("示例财税代理有限公司")


async def test_reminder_for_a_client_who_owes_nothing(bot):
    assert "没有已到期未收的款项" in await bot.send("lixiaomei", "催款 华信")
