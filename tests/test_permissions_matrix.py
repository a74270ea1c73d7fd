"""Permissions per section (S3), in one table: every command, every section of the 客户 summary and every reminder
job against every permission. A member who lacks a permission sees nothing of that section anywhere, and keeps
everything else. The sidebar's tabs and writes are the ENDPOINTS table of tests/test_sidebar_access.py, walked
against every permission the same way."""
from dataclasses import replace
from datetime import date

import pytest

import models
from bot.config.filings import FilingCalendar
from bot.config.jobs import JobsConfig
from handlers.billing import reminders as billing_jobs
from handlers.filings import reminders as filing_jobs
from handlers.intake import reminders as intake_jobs
from handlers.services import reminders as service_jobs
from tests.cmd_data import TODAY
from tests.cmdbot import agency, bot  # noqa: F401 (fixtures)
from tests.test_sidebar_access import ENDPOINTS

REFUSED = "权限，请联系管理员开通"

# (what the member types, the permission it needs)
COMMANDS = [
    ("到期", "wecom.service"), ("缺票", "wecom.service"),
    ("欠费", "wecom.billing"), ("催款 华夏", "wecom.billing"), ("收款 华夏 100", "wecom.billing"),
    ("收据 华夏", "wecom.billing"),
    ("收票 华夏", "wecom.collection"), ("跟进 华夏", "wecom.followup"), ("报税 华夏", "wecom.filing"),
    ("报表 华夏", "wecom.report"), ("发票 华夏", "wecom.invoice"),
]
# (a line of the 客户 reply, the permission that shows it)
SUMMARY = [("服务：", "wecom.service"), ("欠费：", "wecom.billing"), ("收票：", "wecom.collection"),
           ("报税：", "wecom.filing"), ("「报表 华夏科技」", "wecom.report"), ("「发票 华夏科技」", "wecom.invoice")]
JOBS_CONFIG = JobsConfig()
EVERYONE = ("manager", "accountant")


def _filing_items():
    return filing_jobs.plan(date(2026, 11, 12), replace(JOBS_CONFIG.filing_deadline, recipients=EVERYONE),
                            FilingCalendar())


def _intake_items(what: str):
    items = intake_jobs.plan(TODAY, replace(JOBS_CONFIG.missing_invoices, recipients=EVERYONE))
    return [i for i in items if i.data["what"] == what]


# (the reminder, the items its job plans today for the rich agency, the permission a recipient needs)
REMINDERS = [
    ("到期提醒", lambda: service_jobs.plan(TODAY, replace(JOBS_CONFIG.service_expiry, recipients=EVERYONE)),
     "wecom.service"),
    ("催款提醒", lambda: billing_jobs.plan(TODAY, replace(JOBS_CONFIG.arrears, recipients=EVERYONE)), "wecom.billing"),
    ("征期提醒", _filing_items, "wecom.filing"),
    ("缺票提醒", lambda: _intake_items("flag"), "wecom.service"),
    ("收票提醒", lambda: _intake_items("collection"), "wecom.collection"),
]


def test_the_table_covers_every_permission():
    tables = [COMMANDS, SUMMARY, REMINDERS, ENDPOINTS]
    assert {row[-1] for table in tables for row in table} == set(models.WECOM_PERMISSIONS)


def _grant(userid: str, perms: list[str]) -> None:
    models.Staff.update(permissions=perms).where(models.Staff.wecom_userid == userid).execute()


@pytest.mark.parametrize("perm", [None, *models.WECOM_PERMISSIONS])
async def test_commands_and_the_summary_show_only_what_the_member_may_see(bot, agency, perm):
    """perm None: 李小梅 holds every permission; otherwise every one but ``perm``."""
    _grant("lixiaomei", [p for p in models.WECOM_PERMISSIONS if p != perm])
    for text, needed in COMMANDS:
        reply = await bot.reply("lixiaomei", text)
        refused = reply.kind == "text" and REFUSED in reply.text
        assert refused == (needed == perm), (text, reply.text if reply.kind == "text" else reply.kind)
        await bot.send("lixiaomei", "取消")  # leave no pending 确认 behind (收款)
    summary = await bot.send("lixiaomei", "客户 华夏")
    for line, needed in SUMMARY:
        assert (line in summary) == (needed != perm), (line, summary)
    assert "联系人：陈总" in summary  # the client's basic facts are for everyone who may see the client


async def test_a_member_with_no_permission_sees_the_client_but_no_section(bot, agency):
    _grant("lixiaomei", [])
    summary = await bot.send("lixiaomei", "客户 华夏")
    assert "杭州华夏科技有限公司" in summary and "客户经理：李小梅" in summary
    assert not any(line in summary for line, _ in SUMMARY) and "¥" not in summary


@pytest.mark.parametrize("title, plan, needed", REMINDERS)
@pytest.mark.parametrize("perm", models.WECOM_PERMISSIONS)
def test_reminders_reach_only_members_who_may_see_the_section(agency, title, plan, needed, perm):
    everyone_may = plan()
    assert any(i.recipient == "lixiaomei" for i in everyone_may), title  # the table is not vacuous
    _grant("lixiaomei", [p for p in models.WECOM_PERMISSIONS if p != perm])
    reached = any(i.recipient == "lixiaomei" for i in plan())
    assert reached == (needed != perm), (title, perm)
