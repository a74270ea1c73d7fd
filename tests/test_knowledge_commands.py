"""知识: audited entries only, title matches first, at most five; nothing found -> a knowledge gap."""

import models
from handlers.knowledge.index import reindex_entry
from tests.cmdbot import agency, bot  # noqa: F401 (agency and bot are fixtures)


async def test_title_matches_come_before_answer_matches(bot):
    text = await bot.send("lixiaomei", "知识 专票")
    assert "【增值税专用发票丢失怎么办？】" in text and "可凭销售方记账联复印件" in text  # the best one in full
    text = await bot.send("lixiaomei", "知识 小规模纳税人")
    assert text.index("小规模纳税人增值税征收率是多少？") < text.index("增值税专用发票丢失怎么办？")


async def test_chinese_typed_without_spaces_still_matches(bot):
    text = await bot.send("lixiaomei", "知识 小规模增值税")
    assert "1.【小规模纳税人增值税征收率是多少？】" in text


async def test_unaudited_entries_are_never_offered(bot):
    text = await bot.send("lixiaomei", "知识 研发费用")
    assert "加计扣除" not in text and "还没有" in text


async def test_at_most_five_results(bot):
    category = models.KnowledgeCategory.get(models.KnowledgeCategory.name == "增值税")
    for n in range(8):
        reindex_entry(models.KnowledgeEntry.create(category=category, title=f"发票问题{n}", brief="简答", audited=True))
    text = await bot.send("lixiaomei", "知识 发票")
    assert "（5 条）" in text and "6.【" not in text


async def test_nothing_found_records_a_gap_and_counts_repeats(bot):
    text = await bot.send("lixiaomei", "知识 火星税")
    assert "还没有" in text and "已记录" in text
    await bot.send("admin", "知识 火星税")
    gap = models.KnowledgeGap.get()
    assert (gap.query, gap.times, gap.last_userid) == ("火星税", 2, "admin")
    assert models.AuditLog.get(models.AuditLog.action == "knowledge.gap").actor.name == "李小梅"


async def test_no_keyword_says_what_to_type(bot):
    assert "例如：知识" in await bot.send("lixiaomei", "知识")


async def test_a_gap_counts_once_per_member_and_day(bot):
    for _ in range(3):
        assert "已记录" in await bot.send("lixiaomei", "知识 火星税")
    assert models.KnowledgeGap.get().times == 1
    bot.advance(days=1)
    await bot.send("lixiaomei", "知识 火星税")
    assert models.KnowledgeGap.get().times == 2
    assert models.AuditLog.select().where(models.AuditLog.action == "knowledge.gap").count() == 1


async def test_a_member_adds_at_most_the_configured_gaps_a_day(bot):
    bot.config = bot.config.replace(knowledge={"gaps_per_member_daily": 2})
    for word in ("火星税", "月球税"):
        assert "已记录" in await bot.send("lixiaomei", f"知识 {word}")
    third = await bot.send("lixiaomei", "知识 金星税")
    assert "还没有" in third and "已记录" not in third
    assert "已记录" in await bot.send("wanggang", "知识 金星税")  # the cap is per member
    assert sorted(g.query for g in models.KnowledgeGap.select()) == ["月球税", "火星税", "金星税"]
    bot.advance(days=1)
    assert "已记录" in await bot.send("lixiaomei", "知识 水星税")  # a new day, a new allowance


async def test_the_best_answer_in_full_and_a_number_opens_another(bot):
    text = await bot.send("lixiaomei", "知识 增值税")
    assert text.startswith("知识库中与「增值税」相关的条目") and "回复序号（如 2）查看该条全文" in text
    second = text.split("\n2.【")[1].split("】")[0]
    E = models.KnowledgeEntry
    before = E.get(E.title == second).hits
    opened = await bot.send("lixiaomei", "2")
    assert opened.startswith(f"【{second}】") and E.get(E.title == second).hits == before + 1
    assert (await bot.send("lixiaomei", "1")).startswith("【")  # the list stays live for another pick
    assert "1 到" in await bot.send("lixiaomei", "9")
    await bot.send("lixiaomei", "帮助")  # another command ends the list
    assert "没有待选择的列表" in await bot.send("lixiaomei", "2")
