"""Every command has a help line; 帮助 lists them all for admins and all but the admin-only ones for staff."""
import pytest

import handlers
from bot.router import Dispatcher
from tests.cmdbot import agency, bot  # noqa: F401 (agency and bot are fixtures)

COMMANDS = Dispatcher(handlers.ROUTERS).command_list()




@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c.name)
def test_every_command_has_a_help_line_naming_it(cmd):
    assert cmd.summary.startswith(cmd.name) and "：" in cmd.summary


async def test_help_lists_every_command_for_admins(bot):
    reply = await bot.reply("admin", "帮助")
    assert all(f"· {cmd.brief}" in reply.text for cmd in COMMANDS)
    assert reply.passive_ok  # one message: answered within the callback, not cut or split by WeCom


async def test_help_for_staff_leaves_out_admin_only_commands(bot):
    text = await bot.send("lixiaomei", "帮助")
    for cmd in COMMANDS:
        assert (cmd.brief in text) != cmd.admin_only, cmd.name


@pytest.mark.parametrize("name, detail", [("收款", "按到期先后冲抵"), ("发票", "留抵"), ("到期", "「到期 60」"),
                                          ("跟进", "跟进 华夏 电话沟通"), ("绑定码", "绑定 绑定码")])
async def test_help_for_one_command_explains_it(bot, name, detail):
    text = await bot.send("lixiaomei", f"帮助 {name}")
    assert detail in text
