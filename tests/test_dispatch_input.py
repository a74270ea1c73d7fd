"""Everyday Chinese input (issue 9): every form a member types is answered as if typed the canonical way.

Over the rich agency of tests/cmd_data.py (today 2026-11-26 in Shanghai), as 李小梅, who sees 华夏科技 and
华信建材 (not 锦程贸易)."""
from datetime import date, datetime, timezone

import pytest

import models
from bot.render.images import receipt_sheet
from handlers.billing.rules import receipt_data
from tests.cmdbot import Bot, agency, bot, counts, fonts  # noqa: F401 (agency and bot are fixtures)

LI = "lixiaomei"
HUAXIA = "【杭州华夏科技有限公司】"


# ---- command names ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, canonical", [
    ("客户华夏", "客户 华夏"),          # no space
    ("客户：华夏", "客户 华夏"),        # full-width colon
    ("客户，华夏", "客户 华夏"),        # full-width comma
    ("客户　华夏", "客户 华夏"),        # full-width space
    ("客户 华夏？", "客户 华夏"),       # a question mark after the argument
    ("欠费。", "欠费"),                 # trailing full stop
    ("欠费!", "欠费"),
    ("到期？", "到期"),                 # trailing full-width question mark
    ("到期30", "到期 30"),              # a number glued on
    ("到期30天？", "到期 30"),
    ("收票华夏2026-10", "收票 华夏 2026-10"),  # a period glued to the name too
    ("报税华夏Q3", "报税 华夏 Q3"),
    ("帮助？", "帮助"),
    ("KH华夏", "客户 华夏"),            # a Latin alias, any case, glued to Chinese
])
async def test_command_forms_answer_like_the_canonical_one(bot, typed, canonical):
    got, wanted = await bot.reply(LI, typed), await bot.reply(LI, canonical)
    assert (got.kind, got.text, got.filename) == (wanted.kind, wanted.text, wanted.filename)


async def test_the_canonical_forms_answer_what_they_should(bot):
    assert (await bot.send(LI, "客户 华夏")).startswith(HUAXIA)
    assert "截至 2026-11-26" in await bot.send(LI, "欠费")
    assert "30 天内" in await bot.send(LI, "到期 30")


async def test_a_question_mark_alone_is_still_help(bot):
    assert "可用命令" in await bot.send(LI, "？")


async def test_confirm_does_not_glue(bot):
    """'确认一下' ('let me check') must not carry out a pending payment."""
    before = counts()
    await bot.send(LI, "收款 华夏 100")
    text = await bot.send(LI, "确认一下")
    assert "没有「确认一下」这个命令" in text
    assert counts() == before


# ---- a bare client name -----------------------------------------------------------------------------------

async def test_a_bare_client_name_shows_its_summary(bot):
    assert await bot.send(LI, "华夏") == await bot.send(LI, "客户 华夏")
    assert (await bot.send(LI, "华夏。")).startswith(HUAXIA)


async def test_a_bare_ambiguous_name_gives_the_numbered_choice(bot):
    listing = await bot.send(LI, "杭州")
    assert "回复序号" in listing and "2. 杭州华夏科技有限公司" in listing
    assert (await bot.send(LI, "2")).startswith(HUAXIA)


async def test_text_that_is_neither_command_nor_client_gets_the_help_hint(bot):
    text = await bot.send(LI, "你好呀")
    assert "没有「你好呀」这个命令" in text and "发送「帮助」查看全部命令" in text


async def test_a_bare_name_of_someone_elses_client_is_not_shown(bot):
    text = await bot.send(LI, "锦程贸易")
    assert "没有「锦程贸易」这个命令" in text and "上海锦程" not in text


# ---- client names: pinyin and typos ---------------------------------------------------------------------

@pytest.mark.parametrize("typed", [
    "huaxia",       # full pinyin
    "HuaXia",
    "华厦",         # one character of the same sound (厦 is also read sha)
    "华夏科极",     # 极 for 技, same sound
    "华夏料技",     # one character wrong
    "华科技",       # one character missing
    "夏华",         # two characters swapped
    "华夏科技有线公司",  # 线 for 限, same sound, in the full name
])
async def test_client_names_as_people_type_them(bot, typed):
    assert (await bot.send(LI, f"客户 {typed}")).startswith(HUAXIA)


async def test_bare_full_pinyin_shows_the_client(bot):
    assert (await bot.send(LI, "huaxia")).startswith(HUAXIA)


@pytest.mark.parametrize("typed", ["hua", "杭洲华"])
async def test_several_near_matches_still_give_the_numbered_choice(bot, typed):
    listing = await bot.send(LI, f"客户 {typed}")
    assert "2 个" in listing and "1. 杭州华信建材有限公司" in listing and "2. 杭州华夏科技有限公司" in listing


async def test_same_sound_wins_over_a_plain_typo(bot, agency):
    # 华厦科技 is 华夏科技 with one character of the same sound, and 华厦科研 with one character wrong
    models.Client.create(name="宁波华厦科研有限公司", short_name="华厦科研", manager=agency["li"])
    assert (await bot.send(LI, "客户 华厦科技")).startswith(HUAXIA)
    assert "宁波华厦科研有限公司" in await bot.send(LI, "客户 华厦科")  # a plain part of a name comes first


async def test_a_name_too_far_off_is_not_guessed(bot):
    assert "没有找到" in await bot.send(LI, "客户 华为")


# ---- periods ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("period", ["2026年Q3", "三季度", "Q3", "2026Q3", "2026-Q3", "2026年第3季度", "第三季度", "q3"])
async def test_quarters_show_the_quarters_returns(bot, period):
    text = await bot.send(LI, f"报税 华夏 {period}")
    assert "2026年第3季度（2026-07至2026-09）（按季）" in text and "企业所得税" in text
    assert "上季度" not in text  # the quarter asked for, not "the last quarter" of the default period


async def test_a_quarter_the_bot_printed_can_be_typed_back(bot):
    text = await bot.send(LI, "报税 华夏 Q3")
    printed = "2026年第3季度（2026-07至2026-09）"
    assert printed in text
    assert await bot.send(LI, f"报税 华夏 {printed}") == text


async def test_a_quarter_without_a_year_is_the_latest_one_begun(bot, agency):
    models.TaxFiling.create(client=agency["huaxia"], period="2026-12", tax="cit", cycle="quarterly", status="pending")
    models.TaxFiling.create(client=agency["huaxia"], period="2025-12", tax="cit", cycle="quarterly", status="paid")
    assert "2026年第4季度" in await bot.send(LI, "报税华夏四季度")  # begun in October: this year's
    models.TaxFiling.create(client=agency["huaxia"], period="2026-03", tax="cit", cycle="quarterly", status="paid")
    assert "2026年第1季度" in await bot.send(LI, "报税 华夏 一季度")


async def test_a_quarter_not_begun_yet_means_last_years(agency, db_url):
    models.TaxFiling.create(client=agency["huaxia"], period="2025-12", tax="cit", cycle="quarterly", status="paid")
    february = Bot(db_url, now=datetime(2026, 2, 10, 2, 0, tzinfo=timezone.utc))
    assert "2025年第4季度" in await february.send(LI, "报税 华夏 四季度")


async def test_a_wrong_quarter_says_how_to_write_one(bot):
    text = await bot.send(LI, "报税 华夏 Q5")
    assert "「Q5」不是有效的期间" in text and "2026年Q3" in text and "三季度" in text


# ---- amounts ----------------------------------------------------------------------------------------------

@pytest.fixture
def big_bill(agency):
    """华夏 owes enough that 1万 and 1.2万 can be recorded (¥2,999.50 + ¥20,000.00)."""
    return models.Receivable.create(client=agency["huaxia"], item="代理记账费", period_start="2027-01",
                                    period_end="2027-12", amount_fen=2000000, due_date=date(2027, 1, 10))


@pytest.mark.parametrize("amount, shown", [
    ("100 元", "¥100.00（壹佰元整）"),
    ("100块", "¥100.00（壹佰元整）"),
    ("100 块", "¥100.00（壹佰元整）"),
    ("1万", "¥10,000.00（壹万元整）"),
    ("1.2万", "¥12,000.00（壹万贰仟元整）"),
    ("¥1,200.50", "¥1,200.50（壹仟贰佰元零伍角整）"),
    ("￥1,200.50", "¥1,200.50（壹仟贰佰元零伍角整）"),
])
async def test_amounts_as_people_type_them(bot, big_bill, amount, shown):
    question = await bot.send(LI, f"收款 华夏 {amount}")
    assert f"金额：{shown}" in question and "方式：银行转账" in question


async def test_the_typed_amount_is_recorded_exactly(bot, big_bill):
    await bot.send(LI, "收款 华夏 1.2万 微信")
    await bot.send(LI, "确认")
    payment = models.Payment.select().order_by(models.Payment.id.desc()).first()
    assert (payment.amount_fen, payment.method) == (1200000, "wechat")


@pytest.mark.parametrize("amount", ["12,34.5", "1,2345"])
async def test_a_misplaced_thousands_comma_is_refused_with_the_reason(bot, amount):
    before = counts()
    text = await bot.send(LI, f"收款 华夏 {amount}")
    assert f"「{amount}」不是有效的金额：千分位逗号应每三位数字一个" in text
    assert "没有等待确认的操作" in await bot.send(LI, "确认")
    assert counts() == before


# ---- payment methods and the note -------------------------------------------------------------------------

@pytest.mark.parametrize("word, label", [
    ("wx", "微信"), ("WX", "微信"), ("微信", "微信"), ("vx", "微信"), ("zfb", "支付宝"), ("支付宝", "支付宝"),
    ("对公", "银行转账"), ("转账", "银行转账"), ("网银", "银行转账"), ("现金", "现金"), ("xj", "现金"),
    ("其它", "其他"),
])
async def test_payment_methods_by_common_abbreviations(bot, word, label):
    question = await bot.send(LI, f"收款 华夏 50 {word}")
    assert "金额：¥50.00（伍拾元整）" in question and f"方式：{label}" in question


async def test_a_method_before_the_amount(bot):
    assert "方式：支付宝" in await bot.send(LI, "收款 华夏 支付宝 50")


async def test_an_unknown_method_is_named_as_such(bot):
    before = counts()
    text = await bot.send(LI, "收款 华夏 50 银联")
    assert "「银联」不是可识别的收款方式" in text and "wx" in text and "不是有效的金额" not in text
    assert counts() == before


async def test_a_note_after_the_method_is_stored_and_printed_on_the_receipt(bot):
    question = await bot.send(LI, "收款 华夏 50 现金 老板亲自送来，含10月")
    assert "方式：现金" in question and "备注：老板亲自送来，含10月" in question
    done = await bot.send(LI, "确认")
    assert "杭州华夏科技有限公司 ¥50.00（伍拾元整，现金）" in done and "备注：老板亲自送来，含10月" in done
    payment = models.Payment.get(models.Payment.receipt_no == "2026-000003")
    assert payment.note == "老板亲自送来，含10月"  # as typed: the full-width comma kept
    printed = [text for text, _ in receipt_sheet(receipt_data(payment, "示例财税"), fonts()).texts]
    assert "备注：老板亲自送来，含10月" in printed
    assert (await bot.reply(LI, "收据 华夏")).filename == "收据-2026-000003.png"


async def test_a_receipt_without_a_note_prints_a_dash(bot):
    await bot.send(LI, "收款 华夏 50 现金")
    await bot.send(LI, "确认")
    payment = models.Payment.get(models.Payment.receipt_no == "2026-000003")
    printed = [text for text, _ in receipt_sheet(receipt_data(payment, "示例财税"), fonts()).texts]
    assert payment.note == "" and "备注：—" in printed


async def test_a_note_may_be_marked_as_one(bot):
    assert "备注：老板送来" in await bot.send(LI, "收款 华夏 50 备注 老板送来")


# ---- receipt numbers --------------------------------------------------------------------------------------

@pytest.fixture
def receipt_155(agency):
    """华夏's receipts 2026-000055 and 2026-000155 (the short form used to find 0001-000055)."""
    for number in ("2026-000055", "2026-000155"):
        models.Payment.create(client=agency["huaxia"], receipt_no=number, amount_fen=1000, method="cash",
                              paid_on=date(2026, 11, 20), payer="陈总", recorded_by=agency["li"])


@pytest.mark.parametrize("number", ["155", "000155", "2026-000155", "2026-155", "2026000155", "No.2026-000155"])
async def test_receipt_numbers_by_their_short_form(bot, receipt_155, number):
    reply = await bot.reply(LI, f"收据 华夏 {number}")
    assert reply.kind == "image" and reply.filename == "收据-2026-000155.png"


async def test_a_short_receipt_number_of_another_client_is_not_found(bot):
    text = await bot.send(LI, "收据 华夏 1")  # 2026-000001 is 锦程贸易's
    assert "没有找到" in text and "锦程" not in text
