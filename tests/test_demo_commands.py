"""The demo shows every command: the seeded agency answers each one with real figures."""
import re
from datetime import date

import pytest

import models
from seed.demo import seed_demo
from tests.cmdbot import Bot


@pytest.fixture
def bot(database, db_url):
    seed_demo(today=date(2026, 11, 26))
    return Bot(db_url)


def _client_of(userid: str) -> models.Client:
    """A demo client this member manages that owes money, has 收票 and invoices: what staff ask about."""
    staff = models.Staff.get(models.Staff.wecom_userid == userid)
    for client in models.Client.select().where((models.Client.manager == staff) & (models.Client.status == "active")
                                               ).order_by(models.Client.id):
        owes = models.Receivable.select().where((models.Receivable.client == client)
                                                & models.Receivable.status.in_(["open", "partial"])
                                                & (models.Receivable.due_date <= date(2026, 11, 26))).exists()
        if owes:
            return client
    raise AssertionError("the demo has no client in arrears for " + userid)


async def _every_client_command(bot, userid: str, client: models.Client):
    name = client.short_name
    answers = {}
    for command in ("客户", "催款", "收票", "报税", "发票", "报表", "收据"):
        answers[command] = await bot.reply(userid, f"{command} {name}")
    text = {k: r.text for k, r in answers.items() if r.kind == "text"}
    assert client.name in text["客户"] and "欠费：¥" in text["客户"] and "收票：" in text["客户"]
    assert "合计未付：¥" in text["催款"]
    assert re.search(r"· \S+：(已申报|已缴款|未申报)", text["报税"])
    assert re.search(r"销项：\d+ 张，金额 ¥[\d,]+\.\d\d", text["发票"]) and "预估应纳增值税：¥" in text["发票"]
    assert answers["收票"].kind == "image" and answers["收据"].kind == "image"
    assert answers["报表"].kind == "file" and answers["报表"].filename.startswith(name)
    owed = int(re.search(r"合计未付：¥([\d,]+)\.", text["催款"]).group(1).replace(",", ""))
    question = await bot.send(userid, f"收款 {name} {min(owed, 100)}")
    assert "请确认收款" in question and "冲抵" in question
    done = await bot.send(userid, "确认")
    receipt_no = re.search(r"收据号 (2026-\d{6})", done).group(1)
    assert (await bot.reply(userid, f"收据 {name} {receipt_no}")).filename == f"收据-{receipt_no}.png"
    assert "添加跟进记录" in await bot.send(userid, f"跟进 {name} 演示：电话沟通收票")


async def test_a_staff_member_uses_every_command_on_demo_data(bot):
    await _every_client_command(bot, "lixiaomei", _client_of("lixiaomei"))
    expiring = await bot.send("lixiaomei", "到期")  # lapsed (已过期未续费) ones first, then the coming 30 days
    assert re.search(r"你负责的客户需要跟进的服务共 \d+ 项", expiring) and "30 天内到期" in expiring
    assert re.search(r"有欠费的共 \d+ 个，合计 ¥", await bot.send("lixiaomei", "欠费"))
    assert "2026年10月" in await bot.send("lixiaomei", "缺票")
    assert "【小规模纳税人增值税征收率是多少？】" in await bot.send("lixiaomei", "知识 小规模 增值税")
    assert "仅限管理员" in await bot.send("lixiaomei", "成员")
    others = _client_of("wanghao")
    assert "没有找到" in await bot.send("lixiaomei", f"客户 {others.short_name}")


async def test_an_admin_uses_every_command_on_demo_data(bot):
    await _every_client_command(bot, "admin", _client_of("wanghao"))
    assert re.search(r"全部客户需要跟进的服务共 [1-9]\d* 项", await bot.send("admin", "到期"))
    assert re.search(r"2026年10月缺票的客户共 [1-9] 个", await bot.send("admin", "缺票"))
    assert re.search(r"全部客户中有欠费的共 [1-9]\d* 个，合计 ¥", await bot.send("admin", "欠费"))
    members = await bot.send("admin", "成员")
    assert "共 9 人，1 人未绑定" in members and "吴欣然｜职员·会计助理｜未绑定" in members
    code = re.search(r"绑定码：(\w{8})", await bot.send("admin", "绑定码 吴欣然")).group(1)
    assert "绑定成功！吴欣然" in await bot.send("newbie", f"绑定 {code}")
