"""收款 writes nothing before 确认, then everything in one go with a gapless receipt number; 收据 draws it."""
import io

import pytest
from PIL import Image

import models
from handlers.billing.rules import receipt_data
from tests.cmdbot import agency, bot, counts  # noqa: F401 (agency and bot are fixtures)


async def test_the_question_writes_nothing_and_shows_the_allocation(bot):
    before = counts()
    question = await bot.send("lixiaomei", "收款 华夏 1,000 微信")
    assert counts() == before
    assert "客户：杭州华夏科技有限公司" in question and "金额：¥1,000.00（壹仟元整）" in question
    assert "方式：微信" in question
    assert "1. 代理记账费（2026-07至2026-09）冲抵 ¥900.00，结清" in question
    assert "2. 代理记账费（2026-01至2026-06）冲抵 ¥100.00，冲抵后尚欠 ¥1,399.50" in question
    assert "回复「确认」" in question


async def test_confirm_records_payment_allocations_receipt_number_and_audit(bot, agency):
    await bot.send("lixiaomei", "收款 华夏 1000 微信")
    done = await bot.send("lixiaomei", "确认")
    assert "收据号 2026-000003" in done  # 2026-000001 and -000002 exist: the next one, no gap
    assert "「收据 杭州华夏科技有限公司 2026-000003」" in done
    payment = models.Payment.get(models.Payment.receipt_no == "2026-000003")
    assert (payment.amount_fen, payment.method, payment.recorded_by.name) == (100000, "wechat", "李小梅")
    assert str(payment.paid_on) == "2026-11-26"
    allocations = sorted((a.receivable.period_start, a.amount_fen) for a in payment.allocations)
    assert allocations == [("2026-01", 10000), ("2026-07", 90000)]
    old = models.Receivable.get_by_id(agency["old_bill"].id)
    assert (old.paid_fen, old.status) == (90000, "paid")
    partial = models.Receivable.get((models.Receivable.client == agency["huaxia"])
                                    & (models.Receivable.period_start == "2026-01"))
    assert (partial.paid_fen, partial.status) == (40050, "partial")
    log = models.AuditLog.get(models.AuditLog.action == "payment.record")
    assert log.actor.name == "李小梅" and log.after["receipt_no"] == "2026-000003" and log.after["amount_fen"] == 100000
    assert models.ConversationState.select().count() == 0


async def test_cancel_writes_nothing(bot):
    before = counts()
    await bot.send("lixiaomei", "收款 华夏 1000")
    assert "已取消" in await bot.send("lixiaomei", "取消")
    assert counts() == before
    assert "没有等待确认的操作" in await bot.send("lixiaomei", "确认")
    assert counts() == before


async def test_an_expired_confirmation_does_nothing(bot):
    before = counts()
    await bot.send("lixiaomei", "收款 华夏 1000")
    bot.advance(minutes=11)
    assert "没有等待确认的操作" in await bot.send("lixiaomei", "确认")
    assert counts() == before


async def test_receipt_numbers_stay_gapless_across_payments(bot):
    for amount in ("100", "200.5"):
        await bot.send("lixiaomei", f"收款 华夏 {amount}")
        await bot.send("lixiaomei", "确认")
    numbers = [p.receipt_no for p in models.Payment.select().order_by(models.Payment.id)]
    assert numbers == ["2026-000001", "2026-000002", "2026-000003", "2026-000004"]


async def test_overpayment_keeps_the_rest_as_credit_after_confirm(bot, agency):
    before = counts()
    text = await bot.send("lixiaomei", "收款 华夏 3000")
    assert "多出的 ¥0.50 作为预收款存入客户余额" in text
    assert counts() == before
    done = await bot.send("lixiaomei", "确认")
    assert "预收款 ¥0.50 存入客户余额" in done
    from handlers.billing.credit import credit_balance
    assert credit_balance(agency["huaxia"].id) == 50


async def test_paying_off_everything_including_what_is_not_due_yet(bot, agency):
    await bot.send("lixiaomei", "收款 华夏 2999.50")
    await bot.send("lixiaomei", "确认")
    statuses = {r.status for r in models.Receivable.select().where(models.Receivable.client == agency["huaxia"])}
    assert statuses == {"paid"}


async def test_a_client_with_nothing_open_prepays(bot, agency):
    question = await bot.send("lixiaomei", "收款 华信 100")
    assert "该客户没有未收款项，¥100.00 作为预收款存入客户余额" in question and "冲抵" not in question
    await bot.send("lixiaomei", "确认")
    payment = models.Payment.select().order_by(models.Payment.id.desc()).first()
    assert (payment.client_id, payment.credit_fen, payment.allocations.count()) == (agency["huaxin"].id, 10000, 0)


@pytest.mark.parametrize("text, hint", [("收款 华夏 一千", "不是有效的金额"), ("收款 华夏 12.345", "不是有效的金额"),
                                        ("收款 华夏 0", "必须大于 0"), ("收款 华夏", "请写上客户和金额"),
                                        ("收款", "请写上客户和金额")])
async def test_bad_amounts_say_how_to_type_one(bot, text, hint):
    before = counts()
    reply = await bot.send("lixiaomei", text)
    assert hint in reply
    assert counts() == before


@pytest.mark.parametrize("word, method", [("银行", "bank"), ("转账", "bank"), ("微信", "wechat"), ("支付宝", "alipay"),
                                          ("现金", "cash"), ("", "bank")])
async def test_method_words(bot, word, method):
    await bot.send("lixiaomei", f"收款 华夏 100 {word}")
    await bot.send("lixiaomei", "确认")
    assert models.Payment.select().order_by(models.Payment.id.desc()).first().method == method


async def test_numbered_choice_keeps_amount_and_method(bot):
    await bot.send("lixiaomei", "收款 华 1000 现金")
    question = await bot.send("lixiaomei", "2")
    assert "杭州华夏科技有限公司" in question and "¥1,000.00" in question and "方式：现金" in question


async def test_items_changed_before_confirm_write_nothing(bot, agency):
    await bot.send("lixiaomei", "收款 华夏 1000")
    await bot.send("admin", "收款 华夏 500")
    await bot.send("admin", "确认")
    before = counts()
    assert "刚刚有变化" in await bot.send("lixiaomei", "确认")
    assert counts() == before


async def test_losing_access_before_confirm_writes_nothing(bot, agency):
    await bot.send("lixiaomei", "收款 华夏 1000")
    huaxia = models.Client.get_by_id(agency["huaxia"].id)
    huaxia.manager = agency["wang"]
    huaxia.save()
    models.ContactClientLink.delete().execute()
    models.GroupClientLink.delete().execute()
    before = counts()
    assert "无权" in await bot.send("lixiaomei", "确认")
    assert counts() == before


def _png(reply):
    assert reply.kind == "image" and reply.data.startswith(b"\x89PNG")
    return Image.open(io.BytesIO(reply.data))


async def test_receipt_of_the_latest_payment_is_a_png(bot):
    reply = await bot.reply("lixiaomei", "收据 华夏")
    assert reply.filename == "收据-2026-000002.png"
    assert _png(reply).width == 750 and len(reply.data) < 300_000


async def test_receipt_by_number_after_recording_a_payment(bot):
    await bot.send("lixiaomei", "收款 华夏 1000")
    await bot.send("lixiaomei", "确认")
    reply = await bot.reply("lixiaomei", "收据 华夏 2026-3")
    assert reply.filename == "收据-2026-000003.png"
    _png(reply)


async def test_another_clients_receipt_number_is_not_found(bot):
    text = await bot.send("lixiaomei", "收据 华夏 2026-000001")  # 锦程贸易's receipt
    assert "没有找到" in text and "锦程" not in text


async def test_a_void_receipt_is_not_sent(bot, agency):
    models.Payment.update(voided_at=models.utcnow(), void_reason="重复登记").execute()
    assert "已作废（重复登记）" in await bot.send("lixiaomei", "收据 华夏 2026-000002")


async def test_receipt_data_lists_the_settled_items(bot, agency):
    await bot.send("lixiaomei", "收款 华夏 1000 支付宝")
    await bot.send("lixiaomei", "确认")
    data = receipt_data(models.Payment.get(models.Payment.receipt_no == "2026-000003"), "示例财税代理有限公司")
    assert [(line.item, line.periods, line.amount_fen) for line in data.lines] == [
        ("代理记账费", "2026-07至2026-09", 90000), ("代理记账费", "2026-01至2026-06", 10000)]
    assert (data.payer, data.method, data.payee, data.amount_fen) == ("杭州华夏科技有限公司", "支付宝", "李小梅", 100000)
