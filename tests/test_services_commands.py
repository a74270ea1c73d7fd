"""到期 and 缺票 as staff and admins type them."""
from datetime import timedelta

import pytest

import models
from tests.cmd_data import TODAY
from tests.cmdbot import agency, bot  # noqa: F401 (agency and bot are fixtures)


async def test_expiring_lists_only_the_askers_clients_within_30_days(bot):
    text = await bot.send("lixiaomei", "到期")
    assert "华夏科技｜记账·代理记账｜2026-12-21 到期｜还剩 25 天" in text
    assert "锦程" not in text  # 王刚's client, 5 days left
    assert "华信" not in text  # 60 days left


async def test_expiring_takes_a_number_of_days_and_puts_the_soonest_first(bot):
    text = await bot.send("lixiaomei", "到期 90天")
    assert "共 2 项" in text
    assert text.index("华夏科技") < text.index("华信建材")


async def test_admin_sees_every_clients_services(bot):
    text = await bot.send("admin", "到期 10")
    assert "锦程贸易｜工商·地址变更｜2026-12-01 到期｜还剩 5 天" in text and "华夏" not in text


async def test_a_renewed_service_is_no_longer_expiring(bot, agency):
    models.Service.create(client=agency["huaxia"], kind="bookkeeping", name="代理记账",
                          start_date=TODAY + timedelta(days=26), end_date=TODAY + timedelta(days=391), fee_fen=360000)
    assert "没有到期的服务" in await bot.send("lixiaomei", "到期")


@pytest.mark.parametrize("days", ["abc", "0", "-3", "99999"])
async def test_bad_day_count_says_what_to_type(bot, days):
    assert "例如：到期 30" in await bot.send("lixiaomei", f"到期 {days}")


async def test_missing_invoices_default_to_last_month_and_the_askers_clients(bot):
    text = await bot.send("lixiaomei", "缺票")
    assert "2026年10月缺票的客户共 1 个" in text and "华夏科技：缺少10月进项发票3张（李小梅" in text
    assert "锦程" not in text and "已补齐" not in text  # someone else's; resolved


async def test_admin_sees_every_unresolved_flag_of_a_period(bot):
    text = await bot.send("admin", "缺票 2026年10月")
    assert "共 2 个" in text and "锦程贸易：缺银行回单" in text and "已补齐" not in text


async def test_a_period_without_flags_says_so(bot):
    assert "2026年9月没有未解决的缺票标记" in await bot.send("lixiaomei", "缺票 9月")


async def test_bad_period_says_how_to_write_one(bot):
    assert "期间的写法" in await bot.send("lixiaomei", "缺票 下下月")
