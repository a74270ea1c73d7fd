"""Client-facing pushes: off by default; when on, one add_msg_template task per customer, sent by the member
who follows them, within the monthly cap, and never for a matter already settled."""
from datetime import timedelta

import pytest

import models
from bot.config.jobs import ArrearsJob, MissingInvoicesJob
from bot.scheduler import run_job
from handlers.reminders.jobs import JOBS
from tests.factories import small_agency
from tests.reminder_helpers import THURSDAY, Clock, start_runtime

JOB = {job.name: job for job in JOBS}
TODAY = THURSDAY.date()


def _data() -> dict:
    people = small_agency(TODAY)
    models.Client.update(accountant=people["li"]).where(models.Client.id == people["huaxia"].id).execute()
    models.Service.update(start_date=TODAY - timedelta(days=100)).execute()
    models.MissingInvoiceFlag.create(client=people["huaxia"], period="2026-10", note="缺10月进项发票2张")
    return people


async def _runtime(db_url, fake_server, **jobs):
    rt = await start_runtime(db_url, fake_server, Clock(THURSDAY), **jobs)
    await rt.db(_data)
    return rt


async def test_off_by_default(db_url, fake_server):
    rt = await _runtime(db_url, fake_server)
    try:
        await run_job(JOB["arrears"], rt.ctx, rt.outbox)
        assert rt.fake.msg_templates == [] and len(rt.fake.messages_for("lixiaomei")) == 1
    finally:
        await rt.close()


async def test_payment_reminder_task_for_the_customer(db_url, fake_server):
    rt = await _runtime(db_url, fake_server, arrears=ArrearsJob(client_push=True))
    try:
        report = await run_job(JOB["arrears"], rt.ctx, rt.outbox)
        assert report.new == 1  # the staff reminder; the client task is counted apart
        [task] = rt.fake.msg_templates
        assert task["sender"] == "lixiaomei" and task["external_userid"] == ["wmHuaxiaBoss"]
        text = task["text"]["content"]
        assert text.startswith("陈总您好，这里是") and "杭州华夏科技有限公司" in text
        assert "代理记账费 2026-01～2026-06：¥1,499.50" in text and "合计 ¥1,499.50" in text
        assert len(rt.fake.messages_for("lixiaomei")) == 1  # and the staff digest as usual
        await run_job(JOB["arrears"], rt.ctx, rt.outbox)
        assert len(rt.fake.msg_templates) == 1  # once a month per customer
    finally:
        await rt.close()


async def test_monthly_cap_counts_every_kind(db_url, fake_server):
    rt = await _runtime(db_url, fake_server, arrears=ArrearsJob(client_push=True),
                        missing_invoices=MissingInvoicesJob(client_push=True), client_monthly_cap=1)
    try:
        await run_job(JOB["missing_invoices"], rt.ctx, rt.outbox)
        await run_job(JOB["arrears"], rt.ctx, rt.outbox)
        [task] = rt.fake.msg_templates
        assert "缺10月进项发票2张" in task["text"]["content"]
        rt.clock.set(THURSDAY + timedelta(days=20))  # December: a new month, a new allowance
        await run_job(JOB["arrears"], rt.ctx, rt.outbox)
        assert len(rt.fake.msg_templates) == 2 and "¥1,499.50" in rt.fake.msg_templates[1]["text"]["content"]
    finally:
        await rt.close()


@pytest.mark.parametrize("paid", [True, False])
async def test_settled_before_sending_no_task(db_url, fake_server, paid):
    rt = await _runtime(db_url, fake_server, arrears=ArrearsJob(client_push=True))
    try:
        await run_job(JOB["arrears"], rt.ctx, rt.outbox, send=False)
        if paid:
            await rt.db(lambda: models.Receivable.update(paid_fen=180000, status="paid").execute())
        report = await rt.outbox.send_due()
        assert len(rt.fake.msg_templates) == (0 if paid else 1)
        assert report.dropped == (2 if paid else 0)  # the staff reminder and the client task
    finally:
        await rt.close()
