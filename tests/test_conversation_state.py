"""A pending 确认 (or numbered choice) belongs to the exchange that asked it: any other command ends it, and
the question, 确认 and 取消 name what they confirm (issue 9, item 7)."""
import models
from tests.cmdbot import agency, bot, counts  # noqa: F401 (agency and bot are fixtures)

LI = "lixiaomei"


async def test_another_command_ends_a_pending_payment(bot):
    """收款 华夏 100 -> 客户 华信 -> 确认 used to record 华夏's payment."""
    before = counts()
    await bot.send(LI, "收款 华夏 100 微信")
    assert (await bot.send(LI, "客户 华信")).startswith("【杭州华信建材有限公司】")
    text = await bot.send(LI, "确认")
    assert "「收款 杭州华夏科技有限公司 ¥100.00（微信）」已经失效" in text and "未做任何修改" in text
    assert counts() == before
    assert "没有等待确认的操作" in await bot.send(LI, "确认")  # said once; nothing is left behind
    assert models.ConversationState.select().count() == 0


async def test_a_bare_client_name_is_another_command_too(bot):
    before = counts()
    await bot.send(LI, "收款 华夏 100")
    await bot.send(LI, "华信")
    assert "已经失效" in await bot.send(LI, "确认")
    assert counts() == before


async def test_a_new_payment_replaces_the_pending_one(bot):
    await bot.send(LI, "收款 华夏 100")
    question = await bot.send(LI, "收款 华夏 200 现金")
    assert "金额：¥200.00（贰佰元整）" in question
    done = await bot.send(LI, "确认")
    assert "杭州华夏科技有限公司 ¥200.00（贰佰元整，现金）" in done
    assert [p.amount_fen for p in models.Payment.select().where(models.Payment.method == "cash")] == [20000]


async def test_a_typo_is_not_a_command_and_keeps_the_confirmation(bot):
    await bot.send(LI, "收款 华夏 100")
    assert "没有「确任」这个命令" in await bot.send(LI, "确任")
    assert "已登记收款：杭州华夏科技有限公司 ¥100.00" in await bot.send(LI, "确认")


async def test_question_and_answer_name_the_client_and_amount(bot):
    question = await bot.send(LI, "收款 华夏 1,000 微信")
    assert "客户：杭州华夏科技有限公司" in question and "金额：¥1,000.00（壹仟元整）" in question
    assert "回复「确认」登记这笔 ¥1,000.00" in question
    done = await bot.send(LI, "确认")
    assert done.startswith("已登记收款：杭州华夏科技有限公司 ¥1,000.00（壹仟元整，微信），收据号 2026-000003。")


async def test_cancel_names_what_it_dropped(bot):
    await bot.send(LI, "收款 华夏 100")
    assert "已取消「收款 杭州华夏科技有限公司 ¥100.00（银行转账）」，未做任何修改。" == await bot.send(LI, "取消")


async def test_another_command_ends_a_pending_unbind(bot, agency):
    assert "王刚" in await bot.send("admin", "解绑 王刚")
    await bot.send("admin", "欠费")
    assert "「解绑员工 王刚」已经失效" in await bot.send("admin", "确认")
    assert models.Staff.get_by_id(agency["wang"].id).wecom_userid == "wanggang"


async def test_unbind_confirmed_names_who(bot, agency):
    await bot.send("admin", "解绑 王刚")
    assert "已解除员工「王刚」与企业微信账号 wanggang 的绑定" in await bot.send("admin", "确认")


async def test_another_command_ends_a_numbered_choice(bot):
    assert "回复序号" in await bot.send(LI, "客户 华")
    await bot.send(LI, "欠费")
    assert "没有待选择的列表" in await bot.send(LI, "2")


async def test_the_numbered_choice_itself_still_works(bot):
    await bot.send(LI, "收款 华 100 现金")
    question = await bot.send(LI, "2")
    assert "客户：杭州华夏科技有限公司" in question and "方式：现金" in question
    assert "已登记收款：杭州华夏科技有限公司 ¥100.00" in await bot.send(LI, "确认")


async def test_state_is_per_member(bot):
    await bot.send(LI, "收款 华夏 100")
    await bot.send("admin", "客户 锦程")  # someone else's command ends nothing of 李小梅's
    assert "已登记收款" in await bot.send(LI, "确认")
