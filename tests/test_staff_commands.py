"""Staff binding: admin-issued one-time codes, 绑定 / 解绑, the member list, and `python -m bot staff`."""
import re

import pytest


import handlers
import models
from bot import cli
from bot.config.settings import load_config
from tests.staff_fixtures import agency, bot  # noqa: F401 (fixtures)


async def _code(bot, who="新同事") -> str:
    text = await bot.send("admin", f"绑定码 {who}")
    return re.search(r"绑定码：([A-Z0-9]{8})", text).group(1)


async def test_unbound_member_is_told_exactly_how_to_bind(bot):
    text = await bot.send("newbie", "到期")
    assert "请向管理员索取绑定码，然后发送「绑定 绑定码」" in text
    assert "请向管理员索取绑定码，然后发送「绑定 绑定码」" in await bot.send("newbie", "绑定")


async def test_code_binds_the_member_once(bot, agency):
    code = await _code(bot)
    row = models.BindingCode.get()
    assert code not in (row.code_hash, str(row.__data__))  # only the hash is stored
    assert row.code_hash == models.BindingCode.hash_code(code) and row.created_by.name == "张总"
    assert "绑定成功！新同事" in await bot.send("newbie", f"绑定 {code.lower()}")
    staff = models.Staff.get_by_id(agency["new"].id)
    assert staff.wecom_userid == "newbie" and staff.bound_at is not None
    assert "你已绑定为员工「新同事」" in await bot.send("newbie", f"绑定 {code}")
    log = models.AuditLog.get(models.AuditLog.action == "staff.bind")
    assert log.actor.name == "新同事" and log.after == {"wecom_userid": "newbie"}


async def test_a_used_code_does_not_work_for_another_member(bot, agency):
    code = await _code(bot)
    await bot.send("newbie", f"绑定 {code}")
    await bot.send("admin", "解绑 新同事")
    await bot.send("admin", "确认")
    assert "无效、已使用或已过期" in await bot.send("stranger", f"绑定 {code}")
    assert models.Staff.get_by_id(agency["new"].id).wecom_userid is None


async def test_an_expired_code_does_not_work(bot):
    code = await _code(bot)
    bot.advance(hours=24, seconds=1)
    assert "无效、已使用或已过期" in await bot.send("newbie", f"绑定 {code}")
    assert models.Staff.get(models.Staff.name == "新同事").wecom_userid is None


async def test_a_wrong_code_does_not_work(bot):
    await _code(bot)
    assert "无效" in await bot.send("newbie", "绑定 AAAAAAAA")


async def test_a_new_code_voids_the_old_one(bot):
    old = await _code(bot)
    new = await _code(bot)
    assert "无效" in await bot.send("newbie", f"绑定 {old}")
    assert "绑定成功" in await bot.send("newbie", f"绑定 {new}")


async def test_no_code_for_an_account_that_is_already_bound(bot):
    assert "已绑定企业微信账号 wanggang" in await bot.send("admin", "绑定码 王刚")
    assert "没有找到员工" in await bot.send("admin", "绑定码 不存在")


async def test_member_list_shows_binding_state(bot):
    text = await bot.send("admin", "成员")
    assert "共 4 人，1 人未绑定" in text
    assert "李小梅｜职员｜已绑定 lixiaomei" in text and "新同事｜职员·助理｜未绑定" in text


async def test_staff_unbind_themselves_after_confirming(bot, agency):
    question = await bot.send("lixiaomei", "解绑")
    assert "确认解除你的企业微信账号" in question
    assert models.Staff.get_by_id(agency["li"].id).wecom_userid == "lixiaomei"
    assert "已解除" in await bot.send("lixiaomei", "确认")
    assert models.Staff.get_by_id(agency["li"].id).wecom_userid is None
    assert "绑定" in await bot.send("lixiaomei", "客户 华夏")  # now an unbound member
    log = models.AuditLog.get(models.AuditLog.action == "staff.unbind")
    assert log.before == {"wecom_userid": "lixiaomei"} and log.actor.name == "李小梅"


async def test_admin_unbinds_someone_else_and_staff_cannot(bot, agency):
    assert "仅限管理员" in await bot.send("lixiaomei", "解绑 王刚")
    assert "王刚" in await bot.send("admin", "解绑 wanggang")
    assert models.Staff.get_by_id(agency["wang"].id).wecom_userid == "wanggang"  # not before 确认
    await bot.send("admin", "确认")
    assert models.Staff.get_by_id(agency["wang"].id).wecom_userid is None


async def test_the_last_bound_super_admin_cannot_be_unbound(bot):
    await bot.send("admin", "解绑")
    assert "唯一一位已绑定的超级管理员" in await bot.send("admin", "确认")
    assert models.Staff.get(models.Staff.name == "张总").wecom_userid == "admin"


def _cli(capsys, database, db_url, *argv):
    """`python -m bot staff ...` as bot/cli.py parses and runs it (without re-configuring logging)."""
    args = cli.build_parser().parse_args(["staff", *argv])
    command = next(c for c in handlers.CLI_COMMANDS if c.name == args.command)
    try:
        status = command.run(args, load_config(env={"DATABASE_URL": db_url}, require_wecom=False))
    finally:
        models.db.initialize(database)  # the command bound models.db to its own connection
    return status, capsys.readouterr().out


async def test_cli_code_list_and_unbind(bot, capsys, database, db_url):
    status, out = _cli(capsys, database, db_url, "code", "13800000003")
    assert status == 0
    code = re.search(r"绑定码：([A-Z0-9]{8})", out).group(1)
    assert "绑定成功" in await bot.send("newbie", f"绑定 {code}")
    status, out = _cli(capsys, database, db_url, "list")
    assert status == 0 and re.search(r"新同事\t职员\t13800000003\t已绑定 newbie", out)
    status, out = _cli(capsys, database, db_url, "unbind", "newbie")
    assert status == 0 and "已解除员工「新同事」" in out
    assert models.Staff.get(models.Staff.name == "新同事").wecom_userid is None
    status, out = _cli(capsys, database, db_url, "unbind", "nobody")
    assert status == 1 and "没有找到员工" in out


async def test_cli_add_creates_the_first_super_admin_who_binds_with_the_printed_code(bot, capsys, database, db_url):
    status, out = _cli(capsys, database, db_url, "add", "周老板", "--role", "super_admin", "--mobile", "13900000009")
    assert status == 0 and "已添加员工「周老板」（超级管理员）" in out and "有效期至" in out
    code = re.search(r"绑定码：([A-Z0-9]{8})", out).group(1)
    assert f"绑定 {code}" in out
    boss = models.Staff.get(models.Staff.name == "周老板")
    assert (boss.role, boss.mobile, boss.active) == ("super_admin", "13900000009", True)
    assert models.AuditLog.get(models.AuditLog.action == "staff.create").actor_label == "system"
    assert "绑定成功" in await bot.send("stranger", f"绑定 {code}")
    assert models.Staff.get_by_id(boss.id).wecom_userid == "stranger"


async def test_cli_add_refuses_a_duplicate_mobile_or_a_bad_role(capsys, database, db_url, agency):
    count = models.Staff.select().count()
    status, out = _cli(capsys, database, db_url, "add", "重复", "--mobile", "13800000003")
    assert status == 1 and "这个手机号已被其他员工使用" in out
    status, out = _cli(capsys, database, db_url, "add", "坏号", "--mobile", "123")
    assert status == 1 and "11 位手机号" in out
    with pytest.raises(SystemExit) as exit_:  # argparse lists the roles it accepts
        _cli(capsys, database, db_url, "add", "某人", "--role", "owner")
    assert exit_.value.code == 2
    assert models.Staff.select().count() == count
    status, out = _cli(capsys, database, db_url, "add", "小周", "--role", "admin")
    assert status == 0 and models.Staff.get(models.Staff.name == "小周").role == "admin"
