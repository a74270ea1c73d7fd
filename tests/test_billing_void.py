"""作废 (B3): the bot asks 确认 and then voids; the sidebar voids with a reason; the receipt keeps its number and
shows 作废 with the reason (never 收讫); what the payment settled is owed again; refusals write nothing. The receipt's
printed fields (date, payer, method, account, note) are checked on the laid-out sheet's strings."""
import models
from bot.render.images import receipt_sheet
from handlers.billing.rules import receipt_data
from tests.cmdbot import agency, bot, counts, fonts  # noqa: F401 (agency and bot are fixtures)
from tests.conftest import run_sync
from tests.sidebar_tabs import audits, li, tabs, wang  # noqa: F401 - fixtures

def printed(payment: models.Payment) -> list[str]:
    """Every string the receipt of ``payment`` prints."""
    return [text for text, _ in receipt_sheet(receipt_data(payment, "杭州账房代账"), fonts()).texts]


def _owed(client) -> int:
    return sum(r.outstanding_fen for r in models.Receivable.select().where(models.Receivable.client == client))


def _joined(payment) -> str:
    return "\n".join(printed(payment))


async def test_receipt_prints_date_payer_method_account_and_note(bot, agency):
    await bot.send("lixiaomei", "收款 华夏 1000 微信 老板亲自送来")
    await bot.send("lixiaomei", "确认")
    payment = models.Payment.get(models.Payment.receipt_no == "2026-000003")
    payment.account = "基本户"  # the bot leaves it empty; the console and the sidebar take it
    payment.save()
    text = _joined(payment)
    assert "No. 2026-000003" in text and "日期：2026年11月26日" in text
    assert "付款单位：杭州华夏科技有限公司" in text and "付款方式：微信" in text and "收款账户：基本户" in text
    assert "备注：老板亲自送来" in text and "收讫" in text and "作废" not in text


async def test_void_by_bot_asks_first_then_keeps_the_number_and_restores_arrears(bot, agency):
    huaxia = agency["huaxia"]
    owed = _owed(huaxia)
    await bot.send("lixiaomei", "收款 华夏 1000 现金 老板送来")
    await bot.send("lixiaomei", "确认")
    assert _owed(huaxia) == owed - 100000
    before = counts()
    question = await bot.send("lixiaomei", "作废 2026-000003 金额录错")
    assert "请确认作废收据" in question and "作废原因：金额录错" in question and "回复「确认」" in question
    assert "代理记账费（2026-07至2026-09）¥900.00" in question
    assert counts() == before and models.Payment.get(models.Payment.receipt_no == "2026-000003").voided_at is None
    done = await bot.send("lixiaomei", "确认")
    assert "已作废收据 2026-000003" in done and "金额录错" in done
    payment = models.Payment.get(models.Payment.receipt_no == "2026-000003")
    assert payment.voided_at is not None and payment.void_reason == "金额录错"
    assert _owed(huaxia) == owed
    assert {r.status for r in models.Receivable.select().where(models.Receivable.client == huaxia)} == \
        {"open", "partial"}
    text = _joined(payment)
    assert "No. 2026-000003" in text and "作废" in text and "作废原因：金额录错" in text and "收讫" not in text
    log = models.AuditLog.get(models.AuditLog.action == "payment.void")
    assert log.actor.name == "李小梅" and log.after["restored"] and log.entity_id == str(payment.id)
    assert "已作废" in await bot.send("lixiaomei", "作废 2026-000003 再来一次")
    assert "已作废" in await bot.send("lixiaomei", "收据 华夏 2026-000003")


async def test_void_refusals_write_nothing(bot, agency):
    before = counts()
    assert "请写上收据号和作废原因" in await bot.send("lixiaomei", "作废 2026-000002")
    assert "请写上收据号和作废原因" in await bot.send("lixiaomei", "作废")
    assert "没有找到收据" in await bot.send("lixiaomei", "作废 2026-000001 不是我的客户")  # 锦程 is 王刚's
    assert "最多 100 字" in await bot.send("lixiaomei", "作废 2026-000002 " + "长" * 101)
    await bot.send("lixiaomei", "作废 2026-000002 重复登记")
    assert "已取消" in await bot.send("lixiaomei", "取消")
    models.Staff.update(permissions=[]).where(models.Staff.wecom_userid == "wanggang").execute()
    assert "没有「收款情况」权限" in await bot.send("wanggang", "作废 2026-000001 重复登记")
    assert counts() == before
    assert models.Payment.select().where(models.Payment.voided_at.is_null(False)).count() == 0


async def test_void_by_short_number_and_losing_access_before_confirm(bot, agency):
    await bot.send("lixiaomei", "作废 2 重复登记")
    models.Client.update(manager=None).where(models.Client.id == agency["huaxia"].id).execute()
    models.ContactClientLink.delete().execute()
    models.GroupClientLink.delete().execute()
    before = counts()
    assert "无权操作" in await bot.send("lixiaomei", "确认")
    assert counts() == before


async def test_void_in_the_sidebar_api(li, wang, tabs):
    stack, ids = tabs
    base = f"/sidebar/api/clients/{ids['huaxia']}"
    _, overview = await li.get(base + "/billing")
    status, body = await li.post(base + f"/payments/{ids['payment']}/void", json={"reason": " "})
    assert status == 400 and "请填写作废原因" in body["error"]
    status, body = await li.post(base + f"/payments/{ids['payment']}/void", json={"reason": "重复登记"})
    assert status == 200 and body["payment"]["voided"] and body["payment"]["receipt_no"] == "2026-000002"
    _, after = await li.get(base + "/billing")
    assert after["due_fen"] == overview["due_fen"] + 30050
    _, history = await li.get(base + "/payments")
    assert [(p["receipt_no"], p["voided"], p["void_reason"]) for p in history] == [("2026-000002", True, "重复登记")]
    status, body = await li.post(base + f"/payments/{ids['payment']}/void", json={"reason": "再来"})
    assert status == 400 and "不能重复作废" in body["error"]
    theirs = await run_sync(stack, lambda: models.Payment.get(models.Payment.client == ids["jincheng"]).id)
    status, _ = await li.post(base + f"/payments/{theirs}/void", json={"reason": "不是我的"})
    assert status == 404
    assert "payment.void" in await audits(stack)
    assert await run_sync(stack, lambda: models.Payment.get_by_id(theirs).voided_at) is None
