"""The filing-season board's rules (X4): a return's state (未申报 / 已申报 / 零申报 / 逾期) and the days to its deadline
from the one filing calendar in the agency's day; marking 已申报 / 零申报, correcting and 撤销申报, each audited;
and the 征期 digest that sends each accountant what is still 未申报 with a link to the board filtered to them."""
from datetime import date, datetime, timedelta, timezone

import pytest

import models
from bot.config.filings import FilingCalendar
from bot.scheduler import run_job
from handlers.filings import board
from handlers.filings.marks import MarkError, amount_for, mark_filed, parse_day, unmark
from handlers.filings.rules import board_state, days_left, deadline, is_overdue
from handlers.reminders.jobs import JOBS
from tests.factories import small_agency
from tests.reminder_helpers import Clock, pushed, start_runtime

SHANGHAI = timezone(timedelta(hours=8))
CAL = FilingCalendar()
NOV_16 = date(2026, 11, 16)  # October's returns: the published 2026 table ends November's period on the 16th


# ---- states and days ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("status, fen, today, state", [
    ("pending", 0, date(2026, 11, 16), "pending"),   # the deadline day itself is still on time
    ("pending", 0, date(2026, 11, 17), "overdue"),   # the day after is late
    ("pending", 5000, date(2026, 11, 17), "overdue"),  # an estimate on a pending return changes nothing
    ("filed", 5000, date(2026, 11, 17), "filed"),
    ("filed", 0, date(2026, 11, 10), "zero"),
    ("paid", 5000, date(2026, 12, 1), "filed"),      # 已缴款 is filed too
])
def test_board_state(status, fen, today, state):
    assert deadline("2026-10", CAL) == NOV_16
    assert board_state(status, fen, NOV_16, today) == state


def test_overdue_follows_the_agencys_day_not_the_machines():
    """23:59 on the 16th in Shanghai is 15:59 UTC; 00:01 on the 17th is still the 16th in UTC."""
    before = datetime(2026, 11, 16, 23, 59, tzinfo=SHANGHAI)
    after = datetime(2026, 11, 17, 0, 1, tzinfo=SHANGHAI)
    assert after.astimezone(timezone.utc).date() == date(2026, 11, 16)
    season = lambda moment: board.Season("2026-10", moment.astimezone(SHANGHAI).date(), CAL)  # noqa: E731
    assert season(before).state("pending", 0, "monthly", "vat") == "pending" and season(before).days_left == 0
    assert season(after).state("pending", 0, "monthly", "vat") == "overdue" and season(after).days_left == -1


def test_days_to_the_deadline_across_the_month_end():
    due = deadline("2026-11", CAL)  # November's returns: in December's filing period
    assert due == date(2026, 12, 15)
    assert days_left(due, date(2026, 11, 30)) == 15 and days_left(due, date(2026, 12, 1)) == 14
    # December's returns, across the year end: no 2027 table is shipped, so the rule's 15 January (a Friday).
    assert deadline("2026-12", CAL) == date(2027, 1, 15) and days_left(date(2027, 1, 15), date(2026, 12, 31)) == 15
    assert days_left(NOV_16, date(2026, 11, 18)) == -2


def test_yearly_and_quarterly_returns_use_their_own_deadlines():
    season = board.Season("2026-12", date(2027, 2, 1), CAL)
    assert season.due("quarterly", "cit") == season.due("monthly", "vat") == deadline("2026-12", CAL)
    assert season.due("yearly", "cit") == date(2027, 5, 31)  # 企业所得税汇算清缴
    assert season.state("pending", 0, "monthly", "vat") == "overdue"
    assert season.state("pending", 0, "yearly", "cit") == "pending"
    assert is_overdue("filed", date(2026, 1, 1), date(2027, 1, 1)) is False


# ---- marking -------------------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 13, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def season(database):
    ids = small_agency(NOW.date())
    ids["vat"] = models.TaxFiling.create(client=ids["jincheng"], period="2026-10", tax="vat", amount_fen=777)
    return ids


def _audits():
    return list(models.AuditLog.select().where(models.AuditLog.entity == "TaxFiling").order_by(models.AuditLog.id))


def test_mark_filed_then_correct_then_undo_each_audited(season):
    wang, vat = season["wang"], season["vat"].id
    mark_filed(vat, 120050, date(2026, 11, 12), wang, NOW, SHANGHAI, "console")
    filing = models.TaxFiling.get_by_id(vat)
    assert (filing.status, filing.amount_fen, filing.filed_by_id) == ("filed", 120050, wang.id)
    assert filing.filed_at.astimezone(SHANGHAI).date() == date(2026, 11, 12)
    mark_filed(vat, 120050, date(2026, 11, 12), wang, NOW, SHANGHAI, "console")  # the same again: nothing new
    mark_filed(vat, 0, date(2026, 11, 13), wang, NOW, SHANGHAI, "bot")
    assert models.TaxFiling.get_by_id(vat).filed_at == NOW  # marked today: the moment it was marked
    unmark(vat, "报错了税种", wang, SHANGHAI, "sidebar")
    filing = models.TaxFiling.get_by_id(vat)
    assert (filing.status, filing.filed_at, filing.filed_by_id, filing.amount_fen) == ("pending", None, None, 0)
    mark, correct, undo = _audits()
    assert (mark.action, mark.before["status"], mark.before["amount_fen"], mark.after["amount_fen"]) == \
        ("filing.mark", "pending", 777, 120050)
    assert (correct.action, correct.before["filed_on"], correct.after["filed_on"], correct.after["via"]) == \
        ("filing.correct", "2026-11-12", "2026-11-13", "bot")
    assert (undo.action, undo.before["status"], undo.after["status"], undo.after["reason"]) == \
        ("filing.undo", "filed", "pending", "报错了税种")
    assert all(a.actor_id == wang.id for a in (mark, correct, undo))


def test_a_paid_return_stays_paid_when_corrected(season):
    models.TaxFiling.update(status="paid", amount_fen=500).where(models.TaxFiling.id == season["vat"].id).execute()
    mark_filed(season["vat"].id, 600, date(2026, 11, 12), season["wang"], NOW, SHANGHAI, "console")
    assert models.TaxFiling.get_by_id(season["vat"].id).status == "paid"


@pytest.mark.parametrize("amount, day, message", [
    (-1, date(2026, 11, 12), "不能为负数"),
    (100, date(2026, 11, 14), "不能晚于今天"),
    (100, date(2026, 10, 31), "不能早于所属期结束后的 2026-11-01"),
])
def test_mark_refuses_and_writes_nothing(season, amount, day, message):
    with pytest.raises(MarkError, match=message):
        mark_filed(season["vat"].id, amount, day, season["wang"], NOW, SHANGHAI, "console")
    assert models.TaxFiling.get_by_id(season["vat"].id).status == "pending" and _audits() == []


def test_only_clients_the_member_may_see_and_only_with_the_right(season):
    with pytest.raises(MarkError, match="无权"):
        mark_filed(season["vat"].id, 0, NOW.date(), season["li"], NOW, SHANGHAI, "console")  # 锦程 is 王刚's
    wang = season["wang"]
    wang.permissions = ["wecom.link"]
    with pytest.raises(MarkError, match="报税情况"):
        mark_filed(season["vat"].id, 0, NOW.date(), wang, NOW, SHANGHAI, "console")
    mark_filed(season["vat"].id, 0, NOW.date(), season["admin"], NOW, SHANGHAI, "console")  # admins: every client
    with pytest.raises(MarkError, match="撤销原因"):
        unmark(season["vat"].id, "  ", season["admin"], SHANGHAI, "console")
    with pytest.raises(MarkError, match="不能超过 200"):
        unmark(season["vat"].id, "长" * 201, season["admin"], SHANGHAI, "console")


@pytest.mark.parametrize("text, expected", [("0", 0), ("1,200.50", 120050), ("1.2万", 1200000), ("88元", 8800)])
def test_amounts_are_exact_fen(text, expected):
    assert amount_for("zero", text) == 0
    if expected:
        assert amount_for("filed", text) == expected
    else:
        with pytest.raises(MarkError, match="零申报"):
            amount_for("filed", text)


@pytest.mark.parametrize("text, expected", [("2026-11-10", date(2026, 11, 10)), ("2026/11/9", date(2026, 11, 9)),
                                            ("11-10", date(2026, 11, 10)), ("11月3日", date(2026, 11, 3)),
                                            ("今天", date(2026, 11, 13)), ("昨天", date(2026, 11, 12))])
def test_filing_dates_as_people_write_them(text, expected):
    assert parse_day(text, date(2026, 11, 13)) == expected


def test_a_date_that_does_not_exist():
    with pytest.raises(MarkError, match="不是有效的申报日期"):
        parse_day("2026-02-30", date(2026, 11, 13))


# ---- the digest to each accountant ---------------------------------------------------------------------------

JOB = {job.name: job for job in JOBS}["filing_deadline"]


def _digest_data() -> dict:
    ids = small_agency(date(2026, 11, 11))
    models.Client.update(accountant=ids["li"]).where(models.Client.id == ids["huaxia"].id).execute()
    for client, tax in (("huaxia", "vat"), ("huaxia", "iit"), ("jincheng", "vat")):
        models.TaxFiling.create(client=ids[client], period="2026-10", tax=tax)
    models.TaxFiling.create(client=ids["huaxia"], period="2026-10", tax="surtax", status="filed", amount_fen=100)
    return ids


@pytest.fixture
async def rt(db_url, fake_server):
    runtime = await start_runtime(db_url, fake_server, Clock(datetime(2026, 11, 11, 9, 13, tzinfo=SHANGHAI)),
                                  quiet_hours="21:00-08:00")
    yield runtime
    await runtime.close()


async def test_each_accountant_gets_one_digest_linking_to_the_board_filtered_to_them(rt):
    ids = await rt.db(_digest_data)
    report = await run_job(JOB, rt.ctx, rt.outbox)  # 5 days before the 16th: the 5-day step
    assert report.new == 2
    [li] = pushed(rt.fake, "lixiaomei")
    assert "距申报截止还有 <font color=\"warning\">5</font> 天" in li and "华夏科技：增值税、个人所得税" in li
    assert "附加税费" not in li and "锦程贸易" not in li
    board_url = f"/admin/filings?period=2026-10&accountant={ids['li'].id}"
    assert "[在报税看板中标记申报](http" in li and f"{board_url})" in li
    [wang] = pushed(rt.fake, "wanggang")
    assert f"accountant={ids['wang'].id}" in wang and "锦程贸易：增值税" in wang

    await run_job(JOB, rt.ctx, rt.outbox)  # the same step again the same day: exactly once
    assert len(pushed(rt.fake, "lixiaomei")) == 1


async def test_the_next_step_holds_only_what_is_still_pending_and_waits_out_quiet_hours(rt):
    ids = await rt.db(_digest_data)
    await run_job(JOB, rt.ctx, rt.outbox)
    vat = await rt.db(lambda: models.TaxFiling.get((models.TaxFiling.client == ids["huaxia"])
                                                   & (models.TaxFiling.tax == "vat")).id)
    await rt.db(mark_filed, vat, 0, date(2026, 11, 13), ids["li"],
                datetime(2026, 11, 13, 22, 0, tzinfo=SHANGHAI), SHANGHAI, "console")
    rt.clock.set(datetime(2026, 11, 14, 22, 0, tzinfo=SHANGHAI))  # 2 days before, in the quiet hours
    report = await run_job(JOB, rt.ctx, rt.outbox)
    assert report.new == 2 and len(pushed(rt.fake, "lixiaomei")) == 1  # queued, not pushed at night
    rt.clock.set(datetime(2026, 11, 15, 8, 5, tzinfo=SHANGHAI))
    await rt.outbox.send_due()
    second = pushed(rt.fake, "lixiaomei")[1]
    assert "华夏科技：个人所得税" in second and "增值税" not in second
