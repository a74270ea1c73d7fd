"""Every client command: ambiguous name -> numbered choice -> pick, unknown client, someone else's client
refused without leaking its name, admin allowed, and permissions checked."""
import pytest

import models
from tests.cmdbot import agency, bot  # noqa: F401 (agency and bot are fixtures)

# command template, and what the answer about 华夏科技 must show (text) or its kind (image / file)
CLIENT_COMMANDS = {
    "客户 {}": "欠费",
    "催款 {}": "付款提醒",
    "收款 {} 100": "请确认收款",
    "收据 {}": "image",
    "收票 {}": "image",
    "报税 {}": "报税情况",
    "发票 {}": "预估应纳增值税",
    "报表 {}": "file",
    "跟进 {} 电话沟通收票": "已为杭州华夏科技有限公司添加跟进记录",
}




def _shows(reply, expected: str) -> bool:
    if expected in ("image", "file"):
        return reply.kind == expected and len(reply.data) > 1000
    return reply.kind == "text" and expected in reply.text


@pytest.mark.parametrize("template", CLIENT_COMMANDS)
async def test_ambiguous_name_lists_choices_and_the_number_picks_one(bot, template):
    listing = await bot.send("lixiaomei", template.format("华"))
    assert "2 个" in listing and "回复序号" in listing
    assert "1. 杭州华信建材有限公司" in listing and "2. 杭州华夏科技有限公司" in listing
    picked = await bot.reply("lixiaomei", "2")
    assert _shows(picked, CLIENT_COMMANDS[template]), picked
    if picked.kind == "text":
        assert "华夏科技" in picked.text


@pytest.mark.parametrize("template", CLIENT_COMMANDS)
async def test_unknown_client_says_so(bot, template):
    text = await bot.send("lixiaomei", template.format("不存在公司"))
    assert "没有找到" in text and "不存在公司" in text


@pytest.mark.parametrize("template", CLIENT_COMMANDS)
async def test_another_staff_members_client_is_refused_without_its_name(bot, template):
    before = models.AuditLog.select().count()
    text = await bot.send("lixiaomei", template.format("锦程"))
    assert "没有找到" in text and "上海锦程贸易有限公司" not in text
    assert models.AuditLog.select().count() == before


@pytest.mark.parametrize("template", CLIENT_COMMANDS)
async def test_admin_may_act_on_any_client(bot, template):
    reply = await bot.reply("admin", template.format("锦程"))
    if reply.kind == "text":
        assert "上海锦程贸易有限公司" in reply.text and "没有找到" not in reply.text
    else:
        assert reply.kind in ("image", "file") and len(reply.data) > 1000


@pytest.mark.parametrize("template", CLIENT_COMMANDS)
async def test_the_accountant_of_a_client_may_act_on_it(bot, template):
    reply = await bot.reply("wanggang", template.format("锦程"))
    assert reply.kind != "text" or "上海锦程贸易有限公司" in reply.text


@pytest.mark.parametrize("command, permission", [
    ("催款 华夏", "wecom.billing"), ("收款 华夏 100", "wecom.billing"), ("收据 华夏", "wecom.billing"),
    ("欠费", "wecom.billing"), ("到期", "wecom.service"), ("缺票", "wecom.service"), ("收票 华夏", "wecom.collection"),
    ("报税 华夏", "wecom.filing"), ("发票 华夏", "wecom.invoice"), ("报表 华夏", "wecom.report"),
    ("跟进 华夏 电话", "wecom.followup")])
async def test_a_staff_member_without_the_permission_is_refused_politely(bot, command, permission):
    li = models.Staff.get(models.Staff.wecom_userid == "lixiaomei")
    li.permissions = [p for p in models.WECOM_PERMISSIONS if p != permission]
    li.save()
    before = models.AuditLog.select().count()
    text = await bot.send("lixiaomei", command)
    assert "权限" in text and "管理员" in text and "华夏科技" not in text
    assert models.AuditLog.select().count() == before


@pytest.mark.parametrize("command", ["成员", "绑定码 王刚"])
async def test_admin_only_commands_refuse_staff_politely(bot, command):
    text = await bot.send("lixiaomei", command)
    assert "仅限管理员" in text
    assert not models.BindingCode.select().exists()


async def test_commands_need_a_client_name(bot):
    for command in ("催款", "收票", "报税", "发票", "报表", "收据"):
        assert f"例如：{command} 华夏" in await bot.send("lixiaomei", command)


async def test_a_period_without_a_client_asks_for_the_client(bot):
    assert "请写上客户名称" in await bot.send("lixiaomei", "收票 2026-10")
