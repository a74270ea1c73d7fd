"""Dispatch: a staff member typing to the app, answered by dispatch(msg, ctx) without HTTP."""
from datetime import date, datetime, timezone

import pytest

import handlers
import models
from bot.context import Context
from bot.edge.messages import TextMessage
from bot.router import Dispatcher
from bot.texts import text_environment
from tests.conftest import make_config
from tests.factories import small_agency

CLOCK = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
TODAY = date(2026, 11, 26)  # the agency's date at CLOCK, which the fixture's records count from


class Bot:
    """Types messages as a member and returns the reply text."""

    def __init__(self, db_url):
        self.config = make_config(db_url)
        self.dispatcher = Dispatcher(handlers.ROUTERS)

    async def send(self, userid: str, text: str) -> str:
        staff = models.Staff.get_or_none(models.Staff.wecom_userid == userid)
        ctx = Context(config=self.config, db=_InlineDb(), wecom=None, texts=text_environment(),
                      clock=lambda: CLOCK, userid=userid, staff=staff,
                      dispatcher=self.dispatcher)
        msg = TextMessage(to_user="wwc", from_user=userid, create_time=0, msg_type="text", agent_id=1, raw={},
                          content=text, msg_id="1")
        reply = await self.dispatcher.dispatch(msg, ctx)
        return reply.text


class _InlineDb:
    """Runs database functions inline: dispatch tests use the test's own connection."""

    async def run(self, fn, *args, **kwargs):
        return fn(*args, **kwargs)


@pytest.fixture
def bot(database, db_url):
    small_agency(TODAY)
    return Bot(db_url)


async def test_help_lists_every_command_from_docstrings(bot):
    text = await bot.send("admin", "帮助")  # staff do not see admin-only commands (tests/test_help_commands.py)
    for cmd in bot.dispatcher.command_list():
        assert cmd.brief in text


async def test_help_for_one_command(bot):
    text = await bot.send("lixiaomei", "帮助 客户")
    assert "拼音首字母" in text and "查客户" in text


async def test_client_summary_for_own_client(bot):
    text = await bot.send("lixiaomei", "客户 华夏科技")
    assert "杭州华夏科技有限公司" in text
    assert "一般纳税人" in text and "李小梅" in text
    assert "¥1,499.50" in text  # 1800.00 - 300.50 owed, exact to the fen
    assert "25 天后到期" in text
    assert "陈总" in text and "华夏科技服务群" in text


async def test_client_found_by_pinyin_initials(bot):
    text = await bot.send("lixiaomei", "客户 hxkj")
    assert "杭州华夏科技有限公司" in text


async def test_ambiguous_name_lists_choices(bot):
    text = await bot.send("lixiaomei", "客户 华")
    assert "2 个" in text and "回复序号" in text and "华信建材" in text
    picked = await bot.send("lixiaomei", "2")
    assert "杭州华夏科技有限公司" in picked and "欠费" in picked


async def test_other_staff_members_client_is_not_shown(bot):
    text = await bot.send("lixiaomei", "客户 锦程")
    assert "没有找到" in text and "锦程贸易有限公司" not in text


async def test_accountant_sees_the_client_they_keep_books_for(bot):
    text = await bot.send("wanggang", "客户 锦程")
    assert "上海锦程贸易有限公司" in text


async def test_staff_sees_a_client_only_linked_through_a_followed_contact(bot, database):
    li = models.Staff.get(models.Staff.wecom_userid == "lixiaomei")
    other = models.Client.create(name="宁波远航物流有限公司", short_name="远航物流")
    boss = models.ExternalContact.get(models.ExternalContact.external_userid == "wmHuaxiaBoss")
    models.ContactClientLink.create(contact=boss, client=other)
    assert other.manager is None and li is not None
    assert "宁波远航物流有限公司" in await bot.send("lixiaomei", "客户 远航")


async def test_admin_sees_every_client(bot):
    assert "上海锦程贸易有限公司" in await bot.send("admin", "客户 锦程")


async def test_unbound_member_is_told_how_to_bind(bot):
    text = await bot.send("newbie", "客户 华夏")
    assert "绑定" in text and "管理员" in text


async def test_unknown_command_suggests_the_nearest(bot):
    text = await bot.send("lixiaomei", "客")
    assert "客户" in text and "帮助" in text


async def test_client_without_a_name_says_what_to_type(bot):
    assert "例如：客户 华夏" in await bot.send("lixiaomei", "客户")
