"""One rule, one function: the bot, the sidebar, the reminder job and the text sent to the client give the same
answer for a filing deadline, for what is overdue and for the estimated VAT, because each asks the one function
in its feature's rules.py. Today is 2026-11-26 (tests/cmd_data.py); 2026-11-15 is a Sunday, and the published
2026 calendar (税总办征科函〔2025〕64号) ends October's filing period on the 26th, after the National Day holiday."""
from datetime import date

import models
from bot import keys
from bot.context import Context
from bot.edge.messages import TextMessage
from bot.money import format_fen
from handlers.billing import reminders as billing_jobs
from handlers.billing.rules import is_overdue
from handlers.filings import reminders as filing_jobs
from handlers.invoices.rules import vat_estimate
from tests.conftest import run_sync
from tests.console_client import open_console
from tests.sidebar_tabs import NOW, li, tabs, wang  # noqa: F401 - fixtures

TODAY = date(2026, 11, 26)


async def ask_bot(stack, userid: str, text: str) -> str:
    """The command as the member types it, dispatched with the server's own configuration and database."""
    app = stack.app
    staff = await run_sync(stack, lambda: models.Staff.get(models.Staff.wecom_userid == userid))
    ctx = Context(config=app[keys.CONFIG], db=app[keys.DB], wecom=None, texts=app[keys.TEXTS], clock=lambda: NOW,
                  userid=userid, staff=staff, dispatcher=app[keys.DISPATCHER])
    msg = TextMessage(to_user="wwc", from_user=userid, create_time=0, msg_type="text", agent_id=1, raw={},
                      content=text, msg_id="1")
    return (await app[keys.DISPATCHER].dispatch(msg, ctx)).text


async def test_the_filing_deadline_is_the_same_date_in_every_channel(li, tabs):
    stack, ids = tabs
    calendar = stack.app[keys.CONFIG].filings
    # The job, on a day in the filing period: last month's returns and their last day (15 November is a Sunday).
    period, last_day = filing_jobs.deadline_for(date(2026, 11, 10), calendar)
    assert (period, last_day) == ("2026-10", date(2026, 11, 16))

    assert "申报期限 2026-11-16" in await ask_bot(stack, "lixiaomei", "报税 华夏 2026-10")
    _, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/filings", period="2026-10")
    assert "2026-11-16" in body["groups"][0]["note"]
    _, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/invoices/reminder", period="2026-10")
    assert "请在 11月16日申报截止前告知我们" in body["text"]  # the 开票数据提醒 sent to the client
    page = await board_page(stack, "lixiaomei", period="2026-10")
    assert "申报截止 <b>2026-11-16</b>" in page  # the console's 报税看板


async def test_a_holiday_month_deadline_is_the_published_date_in_every_channel(wang, tabs):
    """锦程贸易's VAT for Q3 2026 (period 2026-09), not yet filed: due 2026-10-26 by the published table, where a
    bare 15th (a Thursday) or any weekend rule would say 2026-10-15."""
    stack, ids = tabs
    config = stack.app[keys.CONFIG]

    def unfile_q3_vat():
        models.TaxFiling.update(status="pending", filed_at=None).where(
            (models.TaxFiling.client == ids["jincheng"]) & (models.TaxFiling.period == "2026-09")).execute()

    await run_sync(stack, unfile_q3_vat)
    reply = await ask_bot(stack, "wanggang", "报税 锦程 2026-09")
    assert "· 增值税：未申报（已过申报期限）" in reply
    assert "申报期限 2026-10-26（税务总局公布的2026年征期，税总办征科函〔2025〕64号）" in reply

    _, body = await wang.get(f"/sidebar/api/clients/{ids['jincheng']}/filings", period="2026-09")
    [quarter] = body["groups"]
    assert quarter["rows"][0]["deadline"] == "2026-10-26" and quarter["rows"][0]["overdue"] is True
    assert "申报期限 2026-10-26" in quarter["note"] and quarter["deadlines"][0]["source"] == "published"

    job_day = date(2026, 10, 22)  # four days before the deadline: the 5-day step
    items = await run_sync(stack, filing_jobs.plan, job_day, config.jobs.filing_deadline, config.filings)
    [item] = [i for i in items if i.client_id == ids["jincheng"]]
    assert (item.data["period"], item.data["deadline"], item.data["taxes"]) == ("2026-09", "2026-10-26", ["增值税"])

    _, body = await wang.get(f"/sidebar/api/clients/{ids['jincheng']}/invoices/reminder", period="2026-09")
    assert "请在 10月26日申报截止前告知我们" in body["text"]  # small-scale: the quarter's return

    page = await board_page(stack, "wanggang", period="2026-09", state="overdue")  # the console's 报税看板
    assert "锦程贸易" in page and "<td>2026-10-26<div" in page and "已过 31 天" in page


async def test_overdue_means_past_the_due_date_in_every_channel(li, tabs):
    stack, ids = tabs

    def add_bill_due_today():
        models.Receivable.create(client=ids["huaxia"], item="工商年报代办费", period_start="2026-11",
                                 period_end="2026-11", amount_fen=12345, due_date=TODAY)
        overdue = [r for r in models.Receivable.select().where(models.Receivable.client == ids["huaxia"])
                   if is_overdue(r.due_date, TODAY) and r.outstanding_fen]
        return sum(r.outstanding_fen for r in overdue)

    overdue_fen = await run_sync(stack, add_bill_due_today)
    assert overdue_fen == 90000 + 149950  # the bill due today is not among them

    arrears = await ask_bot(stack, "lixiaomei", "欠费")
    assert format_fen(overdue_fen) in arrears and format_fen(overdue_fen + 12345) not in arrears
    reminder = await ask_bot(stack, "lixiaomei", "催款 华夏")
    assert "工商年报代办费" not in reminder and format_fen(overdue_fen) in reminder
    _, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/billing")
    assert body["due_fen"] == overdue_fen
    assert [r["overdue"] for r in body["receivables"] if r["item"] == "工商年报代办费"] == [False]

    cfg = stack.app[keys.CONFIG].jobs.arrears
    items = await run_sync(stack, billing_jobs.plan, TODAY, cfg)
    pushed = {i.data["receivable_id"]: i.data["outstanding_fen"] for i in items if i.client_id == ids["huaxia"]}
    assert sum(pushed.values()) == overdue_fen


async def test_the_vat_estimate_is_the_same_amount_in_every_channel(li, tabs):
    stack, ids = tabs

    def add_special_sale():  # so the small-scale figure is not just the exemption's ¥0.00
        models.Invoice.create(client=ids["jincheng"], direction="output", period="2026-10", number="26330099",
                              issue_date=date(2026, 10, 20), amount_fen=250000, tax_fen=2500, rate_bp=100,
                              kind="special")

    await run_sync(stack, add_special_sale)
    for key, name in (("huaxia", "华夏"), ("jincheng", "锦程")):
        client = await run_sync(stack, models.Client.get_by_id, ids[key])
        expected = await run_sync(stack, vat_estimate, client, "2026-10")
        assert expected.payable_fen == {"huaxia": 19500, "jincheng": 2500}[key]
        userid = "lixiaomei" if key == "huaxia" else "wanggang"
        reply = await ask_bot(stack, userid, f"发票 {name} 2026-10")
        assert f"预估应纳增值税：{format_fen(expected.payable_fen)}" in reply
        sidebar = li if key == "huaxia" else await _wang(stack)
        _, body = await sidebar.get(f"/sidebar/api/clients/{ids[key]}/invoices", period="2026-10")
        assert body["estimate"]["payable_fen"] == expected.payable_fen
        notes = body["estimate"]["notes"]
        _, body = await sidebar.get(f"/sidebar/api/clients/{ids[key]}/invoices/reminder", period="2026-10")
        assert f"应纳增值税约 {format_fen(expected.payable_fen)}" in body["text"]
        # What the estimate assumes reads the same in the bot's reply, the tab and the text sent to the client.
        assert len(notes) >= 4 and all(line in reply and line in body["text"] for line in notes)
        if sidebar is not li:
            await sidebar.close()


async def board_page(stack, userid: str, **query) -> str:
    console = await open_console(stack, userid)
    try:
        status, page, _ = await console.get("/admin/filings", **query)
        assert status == 200
        return page
    finally:
        await console.close()


async def _wang(stack):
    from tests.sidebar_client import open_sidebar
    return await open_sidebar(stack, "wanggang", external_userid="wmJinchengCashier")
