"""Binding codes cannot be guessed: wrong codes are audited, and the tenth within an hour locks the member out
(even the right code waits) and tells the admins through WeCom."""
import asyncio
import re

import pytest

import models
from tests.cmd_data import rich_agency
from tests.cmdbot import NOW, Bot
from tests.conftest import run_sync, start_stack, stop_stack
from tests.staff_fixtures import agency, bot  # noqa: F401 (fixtures)


async def _code(bot) -> str:
    return re.search(r"绑定码：([A-Z0-9]{8})", await bot.send("admin", "绑定码 新同事")).group(1)


def _member_audit(action: str, userid: str = "newbie") -> list[models.AuditLog]:
    A = models.AuditLog
    return list(A.select().where((A.action == action) & (A.entity_id == userid)).order_by(A.id))


async def test_ten_wrong_codes_lock_the_member_until_the_lock_ends(bot, agency):
    code = await _code(bot)
    replies = [await bot.send("newbie", f"绑定 WRONG{n:03d}") for n in range(9)]
    assert all("绑定码无效" in r for r in replies)
    assert "还可再试" not in replies[5] and "还可再试 3 次" in replies[6] and "还可再试 1 次" in replies[8]
    assert "错误次数过多" in await bot.send("newbie", "绑定 WRONG999")  # the tenth
    assert "错误次数过多" in await bot.send("newbie", f"绑定 {code}")  # locked: the right code is not even tried
    assert models.Staff.get_by_id(agency["new"].id).wecom_userid is None
    failed, locked = _member_audit("staff.bind_failed"), _member_audit("staff.bind_locked")
    assert len(failed) == 10 and len(locked) == 1 and locked[0].after["failures"] == 10
    assert failed[0].actor_label == "newbie" and "绑定码无效" in failed[0].after["reason"]
    assert not any("WRONG" in str(row.after) for row in failed)  # guesses are not kept
    bot.advance(minutes=59)
    assert "错误次数过多" in await bot.send("newbie", f"绑定 {code}")
    bot.advance(minutes=1, seconds=1)
    assert "绑定成功！新同事" in await bot.send("newbie", f"绑定 {code}")


async def test_after_a_lock_the_member_gets_a_fresh_count(bot):
    for n in range(10):
        await bot.send("newbie", f"绑定 WRONG{n:03d}")
    bot.advance(hours=1, seconds=1)
    assert "错误次数过多" not in await bot.send("newbie", "绑定 WRONG100")
    assert len(_member_audit("staff.bind_locked")) == 1


async def test_wrong_codes_older_than_the_window_do_not_count(bot):
    for n in range(9):
        await bot.send("newbie", f"绑定 WRONG{n:03d}")
    bot.advance(minutes=61)
    for n in range(9):
        assert "错误次数过多" not in await bot.send("newbie", f"绑定 LATER{n:03d}")
    assert _member_audit("staff.bind_locked") == []


async def test_the_lock_is_per_member_and_the_limits_come_from_config(agency, db_url):
    bot = Bot(db_url)
    bot.config = bot.config.replace(binding={"max_failures": 3, "lockout": 600})
    code = await _code(bot)
    for n in range(3):
        await bot.send("newbie", f"绑定 WRONG{n:03d}")
    assert "已暂停绑定 10 分钟" in await bot.send("newbie", f"绑定 {code}")
    assert "绑定成功！新同事" in await bot.send("stranger", f"绑定 {code}")  # another member is not locked


# ---- through the real callback: the admins hear about it ----------------------------------------------------

@pytest.fixture
async def stack(db_url, fake_server):
    s = await start_stack(db_url, fake_server, clock=lambda: NOW)
    await run_sync(s, rich_agency)
    yield s
    await stop_stack(s)


async def test_the_lock_alerts_the_admins_through_wecom_once(stack):
    for n in range(12):  # two more after the lock: refused without another alert
        delivery = await stack.driver.send_text("intruder", f"绑定 WRONG{n:03d}")
        assert delivery.status == 200
    assert "错误次数过多" in delivery.reply["Content"]
    for _ in range(200):
        if stack.fake.messages_for("admin"):
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    alert, = stack.fake.messages_for("admin")  # the one bound admin, told once
    assert alert.msgtype == "text"
    assert "intruder" in alert.content["content"] and "输错绑定码 10 次" in alert.content["content"]
    assert stack.fake.messages_for("lixiaomei") == []  # staff who are not admins are not told
