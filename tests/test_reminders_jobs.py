"""Each reminder job with an injected clock: the right clients, the right members, one digest each, nothing
for matters already done, wording from templates/reminders/."""
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from peewee import fn

import models
from bot.config.filings import FilingCalendar
from bot.scheduler import run_job
from handlers.filings.rules import deadline_in
from handlers.reminders.jobs import JOBS
from tests.factories import small_agency
from tests.reminder_helpers import THURSDAY, Clock, pushed, start_runtime

TODAY = THURSDAY.date()
JOB = {job.name: job for job in JOBS}


@pytest.fixture
async def rt(db_url, fake_server):
    runtime = await start_runtime(db_url, fake_server, Clock(THURSDAY))
    yield runtime
    await runtime.close()


def _agency() -> dict:
    """small_agency plus: 王刚 keeps the books of 华夏科技 too; 锦程贸易 has no manager."""
    people = small_agency(TODAY)
    models.Client.update(accountant=people["wang"]).where(models.Client.id == people["huaxia"].id).execute()
    return people


def _service(client, end: date, kind="bookkeeping", status="active", start: date | None = None):
    return models.Service.create(client=client, kind=kind, name="代理记账" if kind == "bookkeeping" else "工商年报代办",
                                 start_date=start or end - timedelta(days=364), end_date=end, fee_fen=120000,
                                 status=status)


async def _run(rt, name: str):
    return await run_job(JOB[name], rt.ctx, rt.outbox)


# ---- service expiry ----------------------------------------------------------------------------------

def _expiring() -> dict:
    people = _agency()
    _service(people["huaxin"], TODAY + timedelta(days=5), kind="business")           # step 7
    _service(people["jincheng"], TODAY + timedelta(days=3))                          # no manager
    renewed = _service(people["huaxin"], TODAY + timedelta(days=2))                  # renewed by the next term
    _service(people["huaxin"], TODAY + timedelta(days=367), start=renewed.end_date + timedelta(days=1))
    _service(people["huaxin"], TODAY + timedelta(days=4), status="cancelled")
    _service(people["huaxin"], TODAY + timedelta(days=45))                           # beyond 30 days
    return people


async def test_service_expiry_one_digest_to_the_manager(rt):
    await rt.db(_expiring)
    report = await _run(rt, "service_expiry")
    assert (report.found, report.new, report.unassigned) == (2, 2, 1)
    [digest] = pushed(rt.fake, "lixiaomei")
    assert "服务到期提醒" in digest and "李小梅" in digest
    assert "华夏科技｜记账·代理记账｜2026-12-07 到期，还剩 25 天" in digest
    assert "华信建材｜工商·工商年报代办｜2026-11-17 到期，还剩 5 天" in digest
    assert digest.index("华信建材") < digest.index("华夏科技")  # soonest first
    assert "锦程贸易" not in digest and "2026-11-14" not in digest and "2026-12-27" not in digest
    assert pushed(rt.fake, "wanggang") == []  # the accountant is not the one who renews
    [summary] = pushed(rt.fake, "admin")
    assert "全机构汇总" in summary and "李小梅：2 条" in summary and "没有可接收的负责人：1 条" in summary


async def test_service_expiry_steps_remind_again_closer_to_the_end(rt):
    people = await rt.db(_agency)
    await _run(rt, "service_expiry")  # 25 days left: the 30-day step
    rt.clock.set(THURSDAY + timedelta(days=1))
    await _run(rt, "service_expiry")  # 24 days left: still the 30-day step, nothing new
    assert len(pushed(rt.fake, "lixiaomei")) == 1
    rt.clock.set(THURSDAY + timedelta(days=18))
    await _run(rt, "service_expiry")  # 7 days left: the 7-day step
    second = pushed(rt.fake, "lixiaomei")[1]
    assert "还剩 7 天" in second
    assert people["huaxia"].id


async def test_service_renewed_before_sending_is_dropped(rt):
    await rt.db(_expiring)
    report = await run_job(JOB["service_expiry"], rt.ctx, rt.outbox, send=False)
    assert report.new == 2

    def renew():
        service = models.Service.get(models.Service.end_date == TODAY + timedelta(days=25))
        service.status = "renewed"
        service.save()
    await rt.db(renew)
    sending = await rt.outbox.send_due()
    assert sending.dropped == 1 and sending.sent == 2  # 华信建材's, and the admin's summary
    [digest] = pushed(rt.fake, "lixiaomei")
    assert "华信建材" in digest and "华夏科技" not in digest and "1</font> 项服务" in digest
    states = await rt.db(lambda: dict(models.ReminderOutbox.select(models.ReminderOutbox.state, fn.COUNT(1))
                                      .where(models.ReminderOutbox.kind == "service_expiry")
                                      .group_by(models.ReminderOutbox.state).tuples()))
    assert states == {"sent": 1, "dropped": 1}


async def test_a_lapsed_service_is_pushed_once_as_not_renewed(rt):
    def lapsed():
        people = _agency()
        _service(people["huaxin"], TODAY - timedelta(days=10))  # ended 10 days ago, no later term
        models.Service.create(client=people["huaxin"], kind="business", name="地址变更", billing_cycle="once",
                              start_date=TODAY - timedelta(days=30), end_date=TODAY + timedelta(days=1),
                              fee_fen=80000)
    await rt.db(lapsed)
    await _run(rt, "service_expiry")
    [digest] = pushed(rt.fake, "lixiaomei")
    assert "华信建材｜记账·代理记账｜2026-11-02 已到期，<font color=\"warning\">已过期未续费 10 天</font>" in digest
    assert "华信建材｜工商·地址变更｜办理期限 2026-11-13，还剩 1 天（一次性事项，无需续费）" in digest
    assert digest.index("已过期未续费") < digest.index("地址变更")  # the lapsed one first
    rt.clock.set(THURSDAY + timedelta(days=1))
    await _run(rt, "service_expiry")
    assert len(pushed(rt.fake, "lixiaomei")) == 1  # told once; the one-off has no further step


# ---- missing invoices ----------------------------------------------------------------------------------

def _invoices() -> dict:
    people = _agency()
    for client in (people["huaxia"], people["jincheng"]):
        _service(client, TODAY + timedelta(days=200))
    models.MissingInvoiceFlag.create(client=people["huaxia"], period="2026-10", note="缺少10月进项发票3张")
    models.MissingInvoiceFlag.create(client=people["jincheng"], period="2026-09", note="旧的",
                                     resolved_at=models.utcnow())
    open_one = models.InvoiceCollection.create(client=people["jincheng"], period="2026-10")
    for kind, received in (("purchase_invoice", True), ("bank_slip", False), ("payroll", False)):
        models.CollectionItem.create(collection=open_one, kind=kind, received=received)
    models.InvoiceCollection.create(client=people["huaxia"], period="2026-10", status="open")
    models.InvoiceCollection.create(client=people["huaxin"], period="2026-10", status="complete")
    return people


async def test_missing_invoices_flags_and_unfinished_collections_to_the_accountant(rt):
    await rt.db(_invoices)
    report = await _run(rt, "missing_invoices")
    assert report.new == 3  # 华夏 flag, 华夏 收票, 锦程 收票 (华信 has no bookkeeping term, and is complete)
    [digest] = pushed(rt.fake, "wanggang")
    assert "缺票提醒" in digest
    assert "华夏科技｜2026-10 缺票：缺少10月进项发票3张" in digest
    assert "锦程贸易｜2026-10 收票未完成，缺：银行回单、工资表" in digest
    assert "2026-09" not in digest and "华信建材" not in digest
    assert pushed(rt.fake, "lixiaomei") == []


async def test_missing_invoices_wait_for_the_configured_day(rt):
    await rt.db(_invoices)
    rt.clock.set(THURSDAY.replace(day=3))
    report = await _run(rt, "missing_invoices")
    assert report.new == 1  # only the flag: before the 5th nobody is chased for 收票
    rt.clock.set(THURSDAY.replace(day=6))
    assert (await _run(rt, "missing_invoices")).new == 2


async def test_collection_completed_before_sending_stops_both_reminders(rt):
    people = await rt.db(_invoices)
    await run_job(JOB["missing_invoices"], rt.ctx, rt.outbox, send=False)
    await rt.db(lambda: models.InvoiceCollection.update(status="complete")
                .where(models.InvoiceCollection.client == people["huaxia"].id).execute())
    sending = await rt.outbox.send_due()
    assert sending.dropped == 2
    [digest] = pushed(rt.fake, "wanggang")
    assert "锦程贸易" in digest and "华夏科技" not in digest


# ---- arrears ----------------------------------------------------------------------------------------------

def _arrears() -> dict:
    people = _agency()
    for item, due, amount, paid, status in (
            ("工商服务费", TODAY - timedelta(days=40), 50000, 0, "open"),
            ("代理记账费", TODAY - timedelta(days=90), 60000, 60000, "paid"),
            ("代理记账费", TODAY - timedelta(days=20), 60000, 0, "waived"),
            ("代理记账费", TODAY, 60000, 0, "open")):  # due today: not overdue yet
        models.Receivable.create(client=people["huaxin"], item=item, period_start="2026-09", period_end="2026-09",
                                 amount_fen=amount, paid_fen=paid, due_date=due, status=status)
    return people


async def test_arrears_one_digest_with_amounts_exact_to_the_fen(rt):
    await rt.db(_arrears)
    report = await _run(rt, "arrears")
    assert report.new == 2
    [digest] = pushed(rt.fake, "lixiaomei")
    assert "催款提醒" in digest and "共欠 <font color=\"warning\">¥1,999.50</font>" in digest
    assert "华信建材｜工商服务费 2026-09｜欠 ¥500.00，已逾期 40 天" in digest
    assert "华夏科技｜代理记账费 2026-01～2026-06｜欠 ¥1,499.50，已逾期 10 天" in digest
    assert digest.index("华信建材") < digest.index("华夏科技")  # longest overdue first
    assert digest.count("｜欠") == 2


async def test_partly_paid_before_sending_shows_what_is_owed_now(rt):
    people = await rt.db(_arrears)
    await run_job(JOB["arrears"], rt.ctx, rt.outbox, send=False)

    def pay():
        receivable = models.Receivable.get(models.Receivable.client == people["huaxia"].id)
        receivable.paid_fen = 179000
        receivable.status = receivable.settled_status()
        receivable.save()
        paid = models.Receivable.get(models.Receivable.item == "工商服务费")
        paid.paid_fen, paid.status = paid.amount_fen, "paid"
        paid.save()
    await rt.db(pay)
    sending = await rt.outbox.send_due()
    assert sending.dropped == 1
    [digest] = pushed(rt.fake, "lixiaomei")
    assert "欠 ¥10.00" in digest and "华信建材" not in digest


# ---- filing deadline ----------------------------------------------------------------------------------

def _filings() -> dict:
    people = _agency()
    for client, tax, status in ((people["jincheng"], "vat", "pending"), (people["jincheng"], "surtax", "pending"),
                                (people["huaxia"], "vat", "filed"), (people["huaxia"], "iit", "pending"),
                                (people["huaxin"], "vat", "pending")):
        models.TaxFiling.create(client=client, period="2026-10", tax=tax, status=status)
    models.TaxFiling.create(client=people["jincheng"], period="2026-09", tax="cit", cycle="quarterly")
    return people


async def test_filing_deadline_per_accountant_before_the_rolled_over_deadline(rt):
    await rt.db(_filings)
    report = await _run(rt, "filing_deadline")
    assert (report.new, report.unassigned) == (2, 1)  # 华信建材 has no accountant
    [digest] = pushed(rt.fake, "wanggang")
    assert "征期提醒：2026-10 的申报 2026-11-16 截止" in digest  # the 15th is a Sunday
    assert "还有 <font color=\"warning\">4</font> 天" in digest
    assert "锦程贸易：增值税、附加税费" in digest and "华夏科技：个人所得税" in digest
    assert "企业所得税" not in digest  # September's quarterly return is not this deadline's


async def test_filing_deadline_silent_outside_the_window_and_after_filing(rt):
    await rt.db(_filings)
    rt.clock.set(THURSDAY.replace(day=5))  # 11 days before: beyond the 5-day step
    assert (await _run(rt, "filing_deadline")).found == 0
    rt.clock.set(THURSDAY.replace(day=17))  # after the deadline
    assert (await _run(rt, "filing_deadline")).found == 0
    rt.clock.set(THURSDAY)
    await run_job(JOB["filing_deadline"], rt.ctx, rt.outbox, send=False)
    await rt.db(lambda: models.TaxFiling.update(status="filed").where(models.TaxFiling.tax == "vat").execute())
    await rt.outbox.send_due()
    [digest] = pushed(rt.fake, "wanggang")
    assert "锦程贸易：附加税费" in digest and "增值税" not in digest


async def test_holiday_extension_from_config_moves_the_deadline(db_url, fake_server):
    cfg = FilingCalendar(overrides=(("2026-11", 23),))  # config.yaml `filings.overrides`
    assert deadline_in("2026-11", cfg) == date(2026, 11, 23)
    assert deadline_in("2026-11", FilingCalendar()) == date(2026, 11, 16)
    rt = await start_runtime(db_url, fake_server, Clock(THURSDAY.replace(day=19)))
    rt.ctx.config = rt.ctx.config.replace(filings=cfg)
    try:
        await rt.db(_filings)
        report = await _run(rt, "filing_deadline")
        assert report.new == 2
        assert "2026-11-23 截止" in pushed(rt.fake, "wanggang")[0]
    finally:
        await rt.close()


def test_the_admins_summary_of_a_big_agency_fits_one_message():
    """120 members with new reminders: the summary names the 30 with the most and counts the rest, within WeCom's
    2,048 bytes (markdown) and 512 (textcard), instead of dropping the whole list."""
    from bot.jobruns import _summary_items
    from bot.outbox.digest import MARKDOWN_LIMIT, DigestTemplates, render_message
    from bot.texts import text_environment
    counts = [(f"user{n}", f"员工{n:03d}", 1 + n % 7) for n in range(120)]
    ctx = SimpleNamespace(config=SimpleNamespace(jobs=SimpleNamespace(admin_summary=True)))
    [item] = _summary_items(JOB["arrears"], ctx, TODAY, counts, 400, 3, [("admin", "张总")])
    templates = DigestTemplates("reminders/summary.md", "reminders/summary.card.txt")
    markdown = render_message(text_environment(), templates, "markdown", [item.data], {"url": "http://x/r"})
    text = markdown["markdown"]["content"]
    assert len(text.encode()) <= MARKDOWN_LIMIT and "本次新发出" in text
    assert text.count("> 员工") == 30 and "员工006：7 条" in text and "另有 90 人共" in text
    assert f"另有 90 人共 {sum(c for _, _, c in sorted(counts, key=lambda m: -m[2])[30:])} 条" in text
    card = render_message(text_environment(), templates, "textcard", [item.data], {"url": "http://x/r"})
    assert "新发出" in card["textcard"]["description"] and "等 120 人" in card["textcard"]["description"]
