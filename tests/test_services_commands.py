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
    # a one-off 工商 job is not renewed: it has a date to be done by
    assert "锦程贸易｜工商·地址变更｜办理期限 2026-12-01｜还剩 5 天（一次性事项，无需续费）" in text and "华夏" not in text


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


async def test_a_lapsed_contract_is_listed_first_until_the_window_closes(bot, agency):
    # Ended 20 days ago and never renewed: the client the agency is about to lose.
    leaving = models.Client.create(name="杭州远帆电子有限公司", short_name="远帆电子", manager=agency["li"])
    models.Service.create(client=leaving, kind="bookkeeping", name="代理记账", fee_fen=240000,
                          start_date=TODAY - timedelta(days=385), end_date=TODAY - timedelta(days=20))
    gone = models.Client.create(name="杭州旧友商贸有限公司", short_name="旧友商贸", manager=agency["li"])
    models.Service.create(client=gone, kind="bookkeeping", name="代理记账", fee_fen=240000,
                          start_date=TODAY - timedelta(days=800), end_date=TODAY - timedelta(days=400))
    text = await bot.send("lixiaomei", "到期")
    assert "已过期未续费（近 60 天）" in text
    assert "远帆电子｜记账·代理记账｜2026-11-06 已到期，已过期 20 天未续费" in text
    assert text.index("已过期 20 天未续费") < text.index("华夏科技｜记账·代理记账｜2026-12-21 到期")
    assert "旧友商贸" not in text  # lapsed long ago: outside the window


async def test_a_lapsed_term_that_was_renewed_is_not_listed(bot, agency):
    models.Service.create(client=agency["huaxin"], kind="business", name="工商年报代办", fee_fen=50000,
                          start_date=TODAY - timedelta(days=385), end_date=TODAY - timedelta(days=20))
    models.Service.create(client=agency["huaxin"], kind="business", name="工商年报代办", fee_fen=50000,
                          start_date=TODAY - timedelta(days=19), end_date=TODAY + timedelta(days=346))
    assert "已过期" not in await bot.send("lixiaomei", "到期")


async def test_an_overdue_one_off_job_is_not_asked_to_renew(bot, agency):
    models.Service.create(client=agency["huaxia"], kind="business", name="经营范围变更", billing_cycle="once",
                          fee_fen=80000, start_date=TODAY - timedelta(days=40), end_date=TODAY - timedelta(days=3))
    text = await bot.send("lixiaomei", "到期")
    assert "华夏科技｜工商·经营范围变更｜办理期限 2026-11-23，已超期 3 天（一次性事项，请确认是否已办结）" in text
