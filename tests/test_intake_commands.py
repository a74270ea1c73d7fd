"""收票: the detail image of a period, and what goes into it."""
import io

from PIL import Image

import models
from bot.render.images import CollectionData, collection_sheet
from handlers.intake.rules import collection_status_text, collection_summary
from tests.cmdbot import agency, bot  # noqa: F401 (agency and bot are fixtures)


async def test_collection_is_an_image_of_last_month(bot):
    reply = await bot.reply("lixiaomei", "收票 华夏")
    assert reply.kind == "image" and reply.filename == "收票-华夏科技-2026-10.png"
    assert reply.data.startswith(b"\x89PNG") and len(reply.data) < 300_000
    assert Image.open(io.BytesIO(reply.data)).width == 750


async def test_the_image_says_what_arrived_and_what_is_missing(agency, monkeypatch, bot):
    drawn = []
    monkeypatch.setattr("bot.render.images.render_collection", lambda data, fonts: drawn.append(data) or b"\x89PNG")
    await bot.reply("lixiaomei", "收票 华夏 2026-10")
    data: CollectionData = drawn[0]
    assert (data.client, data.period, data.status) == ("杭州华夏科技有限公司", "2026-10", "收票中（已收 3/5 项）")
    assert [(line.label, line.count, line.received) for line in data.lines] == [
        ("进项发票", 12, True), ("销项发票", 8, True), ("费用票", 0, False), ("银行回单", 3, True), ("工资表", 0, False)]
    assert data.updated == "2026-11-05 11:00"  # the last item received, in Shanghai time
    texts = " ".join(text for text, _ in collection_sheet(data, bot_fonts()).texts)
    assert "杭州华夏科技有限公司" in texts and "工资表" in texts


def bot_fonts():
    from tests.cmdbot import fonts
    return fonts()


async def test_a_period_without_a_record(bot):
    text = await bot.send("lixiaomei", "收票 华夏 2026-09")
    assert "2026年9月还没有收票记录" in text


async def test_a_complete_record(agency):
    models.InvoiceCollection.update(status="complete").execute()
    summary = collection_summary(agency["huaxia"].id, "2026-10")
    assert collection_status_text(summary) == "已完成"


async def test_a_flag_whose_period_is_complete_is_not_listed_as_missing(bot, agency):
    """The 收票 record says complete: 缺票, 客户 and the sidebar agree, whoever marked it."""
    collection = models.InvoiceCollection.get(client=agency["huaxia"], period="2026-10")
    collection.status = "complete"
    collection.save()
    text = await bot.send("lixiaomei", "缺票")
    assert "华夏" not in text and "没有未解决的缺票标记" in text
    assert "2026-10 收票：已完成" in await bot.send("lixiaomei", "客户 华夏")
