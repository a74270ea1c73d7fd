"""The one filing calendar: the tax bureau's published 2026 table, the rule and the agency's overrides for a year
not shipped, the annual deadlines, where each date comes from (as staff read it), and the warning while next
year's table is missing."""
import logging
from datetime import date, datetime, timezone

import pytest
from aiohttp.test_utils import TestServer

import models
from bot.app import create_app
from bot.config.filings import ANNUAL_KINDS, FilingCalendar
from bot.config.settings import ConfigError, load_config
from bot.texts import text_environment
from handlers.filings.calendar_data import ANNUAL, PUBLISHED
from handlers.filings.rules import (annual_deadline, annual_season, deadline, deadline_in, missing_tables,
                                    month_deadline, return_deadline)
from tests.cmdbot import agency, bot  # noqa: F401 - fixtures
from tests.conftest import make_config
from tests.sidebar_tabs import li, tabs  # noqa: F401 - fixtures

DEFAULT = FilingCalendar()  # config.yaml's `filings` defaults: the 15th, rolled past weekends, no overrides

# 税总办征科函〔2025〕64号: the last day of the filing period, month by month (../shared/PRODUCT.md).
PUBLISHED_2026 = {1: 20, 2: 24, 3: 16, 4: 20, 5: 22, 6: 15, 7: 15, 8: 17, 9: 15, 10: 26, 11: 16, 12: 15}


# ---- monthly filing periods ----------------------------------------------------------------------------------

@pytest.mark.parametrize("month, day", sorted(PUBLISHED_2026.items()))
def test_every_month_of_2026_is_the_published_table(month, day):
    due = month_deadline(f"2026-{month:02d}", DEFAULT)
    assert (due.day, due.source, due.notice) == (date(2026, month, day), "published", "税总办征科函〔2025〕64号")
    # The returns of the month before (or of the quarter ending then) are due that day.
    assert deadline(models.shift_period(f"2026-{month:02d}", -1), DEFAULT) == date(2026, month, day)


def test_shipped_tables_are_whole_years_that_never_end_before_the_15th():
    assert PUBLISHED[2026].last_days == tuple(PUBLISHED_2026.values())
    for year, table in PUBLISHED.items():
        assert table.notice and len(table.last_days) == 12
        assert all(15 <= date(year, month, day).day for month, day in enumerate(table.last_days, 1))


# 2027 has no table yet: the 15th, moved past weekends (15 May 2027 is a Saturday, 15 August a Sunday).
RULE_2027 = {1: 15, 2: 15, 3: 15, 4: 15, 5: 17, 6: 15, 7: 15, 8: 16, 9: 15, 10: 15, 11: 15, 12: 15}


def test_a_year_not_shipped_follows_the_rule():
    for month, day in RULE_2027.items():
        due = month_deadline(f"2027-{month:02d}", DEFAULT)
        assert (due.day, due.source, due.nominal) == (date(2027, month, day), "rule", date(2027, month, 15))
    assert deadline_in("2027-05", FilingCalendar(weekend_rollover=False)) == date(2027, 5, 15)
    assert deadline_in("2027-05", FilingCalendar(deadline_day=20)) == date(2027, 5, 20)  # a Thursday


def test_configured_overrides_win_over_the_rule_and_the_shipped_table():
    calendar = FilingCalendar(overrides=(("2026-10", 30), ("2027-02", 24)))
    february = month_deadline("2027-02", calendar)
    assert (february.day, february.source) == (date(2027, 2, 24), "override")
    assert deadline_in("2026-10", calendar) == date(2026, 10, 30)  # a local extension beyond the national table
    assert deadline_in("2027-03", calendar) == date(2027, 3, 15)
    assert deadline_in("2026-11", calendar) == date(2026, 11, 16)


def test_the_filings_section_of_config_yaml(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text('filings:\n  overrides: {"2027-02": 24}\n  annual_overrides: {"cit/2025": 2025-06-03}\n'
                    "  deadline_day: 15\n", encoding="utf-8")
    calendar = load_config(path, env={}, require_wecom=False).filings
    assert deadline_in("2027-02", calendar) == date(2027, 2, 24)
    assert annual_deadline("cit", 2025, calendar).day == date(2025, 6, 3)
    shipped = load_config(env={}, require_wecom=False)
    assert shipped.filings == DEFAULT


@pytest.mark.parametrize("text, message", [
    ('filings:\n  overrides: {"2027-02": 30}\n', "filings.overrides.2027-02: 30 is not a day of that month"),
    ('filings:\n  overrides: {"2027-2": 24}\n', "filings.overrides: '2027-2' is not a month written YYYY-MM"),
    ('filings:\n  annual_overrides: {"vat/2027": "2027-06-01"}\n', "filings.annual_overrides: 'vat/2027' is not"),
    ('filings:\n  annual_overrides: {"cit/2027": "2028-06-01"}\n', "filings.annual_overrides.cit/2027: 2028-06-01"),
    ('filings:\n  annual_overrides: {"cit/2027": "June 1"}\n', "filings.annual_overrides.cit/2027: 'June 1' is not"),
    ("filings:\n  deadline_day: 31\n", "filings.deadline_day: must be between 1 and 28"),
    ("filings:\n  holidays: []\n", "filings.holidays: unknown setting"),
    ("jobs:\n  filing_deadline:\n    deadline_day: 15\n", "jobs.filing_deadline.deadline_day: moved to filings."),
])
def test_bad_calendar_settings_stop_start_up_with_one_line_naming_the_key(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path, env={}, require_wecom=False)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_a_replaced_config_carries_the_overrides():
    config = make_config("sqlite:///unused.sqlite3").replace(filings={"overrides": (("2026-11", 23),)})
    assert deadline("2026-10", config.filings) == date(2026, 11, 23)


# ---- annual deadlines ----------------------------------------------------------------------------------------

def test_annual_deadlines_by_law_rolled_only_where_the_rules_say():
    cit = annual_deadline("cit", 2026, DEFAULT)  # 31 May 2026 is a Sunday
    assert (cit.day, cit.source, cit.nominal) == (date(2026, 6, 1), "law", date(2026, 5, 31))
    assert cit.name == "企业所得税汇算清缴"
    assert annual_deadline("cit", 2027, DEFAULT).day == date(2027, 5, 31)
    assert annual_deadline("iit", 2026, DEFAULT).day == date(2026, 3, 31)
    assert annual_deadline("iit", 2026, DEFAULT).name == "个人所得税经营所得汇算"
    # 工商年报 is a fixed window (1 January - 30 June): 30 June 2029 is a Saturday and stays the last day.
    assert annual_deadline("annual_report", 2029, DEFAULT).day == date(2029, 6, 30)
    # A holiday the rule cannot know (端午 2025 ran to 2 June) is an override.
    moved = FilingCalendar(annual_overrides=(("cit/2025", date(2025, 6, 3)),))
    assert annual_deadline("cit", 2025, DEFAULT).day == date(2025, 6, 2)
    overridden = annual_deadline("cit", 2025, moved)
    assert (overridden.day, overridden.source) == (date(2025, 6, 3), "override")
    assert set(ANNUAL) == set(ANNUAL_KINDS)


@pytest.mark.parametrize("cycle, tax, due", [
    ("yearly", "cit", date(2026, 6, 1)),     # 企业所得税汇算清缴, not "quarter end + 15th"
    ("yearly", "iit", date(2026, 3, 31)),    # 个人所得税经营所得汇算
    ("yearly", "stamp", date(2026, 1, 20)),  # 印花税 by the year: within 15 days of the year's end, January's 征期
    ("quarterly", "cit", date(2026, 1, 20)),
    ("monthly", "vat", date(2026, 1, 20)),
])
def test_each_return_gets_its_own_deadline(cycle, tax, due):
    assert return_deadline("2025-12", cycle, tax, DEFAULT).day == due


async def test_yearly_returns_show_their_annual_deadline_and_the_season(bot, agency):
    models.TaxFiling.create(client=agency["huaxia"], period="2025-12", tax="cit", cycle="yearly", status="pending")
    bot.now = datetime(2026, 5, 29, 2, 0, tzinfo=timezone.utc)  # Friday 29 May, 10:00 in Shanghai
    text = await bot.send("lixiaomei", "报税 华夏 2026-04")
    assert "上年度 2025年度（按年）：\n· 企业所得税：未申报\n" in text  # not yet overdue on 29 May
    assert "企业所得税汇算清缴 2026-06-01 截止（法定期限 5月31日遇周末顺延，以税务局公布为准）" in text
    assert "年度事项：企业所得税汇算清缴 2026-06-01 截止；工商年报（企业年度报告） 2026-06-30 截止" in text
    assert "个人所得税经营所得汇算" not in text  # its window closed on 31 March
    bot.now = datetime(2026, 6, 2, 2, 0, tzinfo=timezone.utc)
    text = await bot.send("lixiaomei", "报税 华夏 2026-05")
    assert "· 企业所得税：未申报（已过申报期限）" in text
    assert "年度事项：工商年报（企业年度报告） 2026-06-30 截止\n" in text + "\n"  # 汇算清缴 closed yesterday


def test_the_season_of_annual_obligations():
    names = [d.name for d in annual_season(date(2026, 1, 5), DEFAULT)]
    assert names == ["个人所得税经营所得汇算", "企业所得税汇算清缴", "工商年报（企业年度报告）"]
    assert [d.name for d in annual_season(date(2026, 6, 30), DEFAULT)] == ["工商年报（企业年度报告）"]
    assert annual_season(date(2026, 7, 1), DEFAULT) == []


# ---- where the date comes from, as staff read it -------------------------------------------------------------

async def test_the_note_says_where_each_date_comes_from(bot, agency):
    text = await bot.send("lixiaomei", "报税 华夏 2026-10")
    assert "申报期限 2026-11-16（税务总局公布的2026年征期，税总办征科函〔2025〕64号）" in text
    assert "本季度的按季申报在 2027-01-15 前办理（2027年征期表尚未公布，按每月15日推算，以税务局公布为准）" in text
    assert "遇节假日顺延" not in text and "年度事项" not in text  # November: no annual window is open
    bot.config = bot.config.replace(filings={"overrides": (("2026-11", 23),)})
    text = await bot.send("lixiaomei", "报税 华夏 2026-10")
    assert "申报期限 2026-11-23（本机构设置的期限，以税务局通知为准）" in text
    assert "· 个人所得税：未申报（已过申报期限）" in text  # still past 23 November on the 26th


async def test_the_sidebar_gets_the_same_note_and_the_date_source(li, tabs):
    _, ids = tabs
    _, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/filings", period="2026-10")
    monthly, quarterly = body["groups"]
    assert monthly["note"] == "申报期限 2026-11-16（税务总局公布的2026年征期，税总办征科函〔2025〕64号）"
    assert monthly["deadlines"] == [{"day": "2026-11-16", "source": "published", "notice": "税总办征科函〔2025〕64号",
                                     "name": ""}]
    assert [r["deadline"] for r in monthly["rows"]] == ["2026-11-16"] * 3
    assert quarterly["deadlines"][0]["source"] == "rule" and quarterly["note"].endswith("以税务局公布为准）")
    assert body["season"] == []


# ---- the warning while a table is missing --------------------------------------------------------------------

def test_next_years_table_is_missing_from_1_december():
    assert missing_tables(date(2026, 11, 30), DEFAULT) == []
    assert missing_tables(date(2026, 12, 1), DEFAULT) == [2027]
    typed_in = FilingCalendar(overrides=tuple((f"2027-{m:02d}", d) for m, d in RULE_2027.items()))
    assert missing_tables(date(2026, 12, 1), typed_in) == []
    assert missing_tables(date(2027, 3, 1), DEFAULT) == [2027]  # still running without this year's table


def test_the_admin_views_text_names_the_year_and_what_to_do():
    text = text_environment().get_template("filings/calendar_missing.txt").render(
        years=missing_tables(date(2026, 12, 1), DEFAULT), deadline_day=15, weekend_rollover=True)
    assert text.startswith("2027年的申报纳税期限（征期表）尚未内置。") and "按每月15日、遇周末顺延推算" in text
    assert "filings.overrides" in text and "请升级账房" in text


@pytest.mark.parametrize("utc, warned", [
    (datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc), False),  # 23:30 on 30 November in Shanghai
    (datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc), True),   # 00:30 on 1 December in Shanghai
])
async def test_start_up_warns_once_next_years_table_is_missing(db_url, caplog, utc, warned):
    caplog.set_level(logging.WARNING, logger="handlers.filings.startup")
    server = TestServer(create_app(make_config(db_url), clock=lambda: utc))
    await server.start_server()
    await server.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "handlers.filings.startup"]
    if not warned:
        assert lines == []
        return
    [line] = lines
    assert "2027" in line and "filings.overrides" in line and "\n" not in line
