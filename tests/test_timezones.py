"""Every date the product shows or counts is the agency's date (agency.timezone, Asia/Shanghai by default), not the
machine's (UTC): the same date logic asked at 23:30 and at 00:30 local time, where the two disagree."""
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

import models
from bot import keys
from bot.context import Context
from handlers.billing import reminders as billing_jobs
from handlers.sidebar.kit import today as sidebar_today
from tests.cmdbot import Bot, agency  # noqa: F401 (fixture)
from tests.conftest import make_config

# (UTC instant, the agency's local date and time there)
LATE_EVENING = datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc)  # 23:30 on 30 November in Shanghai
PAST_MIDNIGHT = datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc)  # 00:30 on 1 December in Shanghai


@pytest.mark.parametrize("now, local_day, work_month, days_left", [
    (LATE_EVENING, "2026-11-30", "2026年10月", 21),
    (PAST_MIDNIGHT, "2026-12-01", "2026年11月", 20),
])
async def test_commands_count_days_from_the_agencys_date(agency, db_url, now, local_day, work_month, days_left):
    bot = Bot(db_url, now=now)
    assert f"截至 {local_day}" in await bot.send("lixiaomei", "欠费")
    # 华夏科技's bookkeeping ends 2026-12-21: days are counted from the local date
    assert f"2026-12-21 到期｜还剩 {days_left} 天" in await bot.send("lixiaomei", "到期")
    assert work_month in await bot.send("lixiaomei", "缺票")  # the work period is the month before the local one


@pytest.mark.parametrize("now, local_day", [(LATE_EVENING, "2026-11-30"), (PAST_MIDNIGHT, "2026-12-01")])
def test_the_sidebar_the_jobs_and_the_bot_share_the_local_date(db_url, now, local_day):
    config = make_config(db_url)
    request = SimpleNamespace(app={keys.CLOCK: lambda: now, keys.CONFIG: config})
    ctx = Context(config=config, db=None, wecom=None, texts=None, clock=lambda: now)
    assert sidebar_today(request).isoformat() == local_day
    assert ctx.today().isoformat() == local_day


def test_another_agency_timezone_is_honoured(db_url):
    config = make_config(db_url)
    config = config.replace(agency={"timezone": "Asia/Tokyo"})
    ctx = Context(config=config, db=None, wecom=None, texts=None, clock=lambda: LATE_EVENING)
    assert ctx.today().isoformat() == "2026-12-01"  # 00:30 in Tokyo


def test_a_bill_due_on_the_local_date_is_not_yet_overdue_past_utc_midnight(agency, db_url):
    """At 00:30 on 1 December in Shanghai a bill due 1 December is due today: no arrears reminder yet."""
    models.Receivable.create(client=agency["huaxin"], item="工商服务费", period_start="2026-11", period_end="2026-11",
                             amount_fen=50000, due_date=datetime(2026, 12, 1).date())
    ctx = Context(config=make_config(db_url), db=None, wecom=None, texts=None, clock=lambda: PAST_MIDNIGHT)
    items = billing_jobs.plan(ctx.today(), ctx.config.jobs.arrears)
    assert not any(i.data["item"] == "工商服务费" for i in items)
