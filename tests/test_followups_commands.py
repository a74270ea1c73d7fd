"""跟进: add a note (audited) or read the latest ones."""

import models
from tests.cmdbot import agency, bot  # noqa: F401 (agency and bot are fixtures)


async def test_add_a_followup_with_spaces_in_the_text(bot):
    text = await bot.send("lixiaomei", "跟进 华夏 电话沟通 10月收票，客户本周寄出进项发票")
    assert "已为杭州华夏科技有限公司添加跟进记录" in text
    assert "2026-11-26 10:00 李小梅：电话沟通 10月收票，客户本周寄出进项发票" in text
    row = models.FollowUp.get()
    assert row.staff.name == "李小梅" and row.client.short_name == "华夏科技"
    log = models.AuditLog.get(models.AuditLog.action == "followup.add")
    assert log.actor.name == "李小梅" and log.entity_id == str(row.id) and "寄出进项发票" in log.after["content"]


async def test_without_text_the_latest_are_listed_newest_first(bot):
    await bot.send("lixiaomei", "跟进 华夏 第一次")
    bot.advance(hours=1)
    await bot.send("lixiaomei", "跟进 华夏 第二次")
    text = await bot.send("lixiaomei", "跟进 华夏")
    assert text.index("第二次") < text.index("第一次") and "添加跟进" in text
    assert models.FollowUp.select().count() == 2


async def test_too_long_text_is_refused_and_nothing_written(bot):
    text = await bot.send("lixiaomei", "跟进 华夏 " + "很" * 1001)
    assert "最多 1000 字" in text
    assert not models.FollowUp.select().exists() and not models.AuditLog.select().exists()
