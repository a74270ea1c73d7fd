"""已申报 / 零申报 from the bot: the return found by client, tax and period, a 确认 step, the same rule and audit
as the console and the sidebar (handlers/filings/marks.py); bad input gets a reply that says what to type.
Today is 2026-11-26 (tests/cmd_data.py): the filing season is October's."""
import pytest

import models
from tests.cmdbot import agency, bot  # noqa: F401 (agency and bot are fixtures)


def _return(client: str, tax: str, period: str) -> models.TaxFiling:
    return (models.TaxFiling.select().join(models.Client)
            .where((models.Client.short_name == client) & (models.TaxFiling.tax == tax)
                   & (models.TaxFiling.period == period)).get())


def _audits() -> list:
    return list(models.AuditLog.select().where(models.AuditLog.entity == "TaxFiling").order_by(models.AuditLog.id))


async def test_mark_filed_with_tax_and_date_after_confirming(bot):
    question = await bot.send("lixiaomei", "已申报 华夏 个税 350.5 11-20")
    assert "请确认已申报" in question and "杭州华夏科技有限公司" in question
    assert "个人所得税（2026年10月，按月）" in question and "税额：¥350.50" in question and "申报日期：2026-11-20" in question
    assert _return("华夏科技", "iit", "2026-10").status == "pending" and _audits() == []  # nothing before 确认
    done = await bot.send("lixiaomei", "确认")
    assert "已标记【杭州华夏科技有限公司】个人所得税（2026年10月）已申报，税额 ¥350.50，申报日期 2026-11-20" in done
    iit = _return("华夏科技", "iit", "2026-10")
    assert (iit.status, iit.amount_fen, iit.filed_by.wecom_userid) == ("filed", 35050, "lixiaomei")
    [entry] = _audits()
    assert (entry.action, entry.before["status"], entry.after["via"], entry.after["filed_on"]) == \
        ("filing.mark", "pending", "bot", "2026-11-20")
    assert "（2026-11-20 申报）" in await bot.send("lixiaomei", "报税 华夏")  # the 报税 reply reads the same record


async def test_zero_return_today_and_a_quarter_named(bot):
    await bot.send("lixiaomei", "零申报 华夏 个税")
    assert "零申报" in await bot.send("lixiaomei", "确认")
    iit = _return("华夏科技", "iit", "2026-10")
    assert (iit.status, iit.amount_fen) == ("filed", 0)
    question = await bot.send("wanggang", "零申报 锦程 增值税 昨天 Q3")
    assert "增值税（2026年第3季度（2026-07至2026-09），按季）" in question and "申报日期：2026-11-25" in question
    assert "这条申报已是「已缴款」，确认后将更正" in question


async def test_correcting_a_filed_return_is_audited_as_a_correction(bot):
    await bot.send("lixiaomei", "已申报 华夏 增值税 95 2026-11-10")
    await bot.send("lixiaomei", "确认")
    vat = _return("华夏科技", "vat", "2026-10")
    [entry] = _audits()
    assert vat.amount_fen == 9500 and entry.action == "filing.correct" and entry.before["amount_fen"] == 9100


async def test_cancel_writes_nothing(bot):
    await bot.send("lixiaomei", "零申报 华夏 个税")
    assert "取消" in await bot.send("lixiaomei", "取消")
    assert _return("华夏科技", "iit", "2026-10").status == "pending" and _audits() == []


@pytest.mark.parametrize("text, words", [
    ("已申报 华夏", "请写上客户和税种"),
    ("已申报 华夏 营业税 100", "「营业税」不是税种"),
    ("已申报 华夏 增值税", "请写上税额"),
    ("已申报 华夏 增值税 0", "没有应纳税额请标记为零申报"),
    ("已申报 华夏 增值税 12.345", "最多精确到分"),
    ("已申报 华夏 增值税 100 明年", "不是有效的申报日期"),
    ("已申报 华夏 增值税 100 11-30", "不能晚于今天"),
    ("零申报 华夏 增值税 2026-13", "不是有效的期间"),
    ("零申报 华夏 增值税 11-01 2026-11", "没有找到【杭州华夏科技有限公司】2026年11月的增值税申报记录"),
    ("零申报 华夏 增值税 10-31", "不能早于所属期结束后的 2026-11-01"),
    ("零申报 华夏 印花税", "没有找到"),
])
async def test_bad_input_gets_a_reply_that_says_what_to_type(bot, text, words):
    reply = await bot.send("lixiaomei", text)
    assert words in reply, reply
    assert _audits() == []


async def test_only_visible_clients_and_members_with_the_right(bot):
    reply = await bot.send("wanggang", "零申报 华夏科技 个税")
    assert "没有找到你名下与「华夏科技」匹配的客户" in reply  # 王刚 does not see 华夏科技
    models.Staff.update(permissions=["wecom.link"]).where(models.Staff.wecom_userid == "lixiaomei").execute()
    assert "报税情况" in await bot.send("lixiaomei", "零申报 华夏 个税")
    assert _audits() == []


async def test_a_confirmation_after_the_right_was_withdrawn_writes_nothing(bot):
    await bot.send("lixiaomei", "零申报 华夏 个税")
    models.Staff.update(permissions=["wecom.link"]).where(models.Staff.wecom_userid == "lixiaomei").execute()
    assert "权限" in await bot.send("lixiaomei", "确认")
    assert _return("华夏科技", "iit", "2026-10").status == "pending" and _audits() == []
