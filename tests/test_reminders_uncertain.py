"""Messages that may or may not have arrived ("uncertain") are counted and listed: `python -m bot jobs`, the
/reminders page for admins (and the member's own row), and the summary the health page calls."""
import argparse
from datetime import timedelta

import aiohttp

import models
from bot.outbox import health
from handlers.reminders.cli import JobsCommand
from tests.conftest import make_config, run_sync
from tests.factories import small_agency
from tests.sidebar_client import signed_in_get


def _rows() -> None:
    people = small_agency()
    now = models.utcnow()
    common = {"created_at": now - timedelta(hours=6), "maybe_sent_at": now - timedelta(hours=6),
              "sent_at": now - timedelta(hours=6), "last_error": "message/send: errcode -1 system busy"}
    models.ReminderOutbox.create(
        dedupe_key=f"arrears|c{people['huaxia'].id}|lixiaomei", kind="arrears", client=people["huaxia"],
        recipient_userid="lixiaomei", state="uncertain", **common,
        payload={"client": "华夏科技", "item": "代理记账费", "periods": "2026-10", "outstanding_fen": 149950,
                 "due": "2026-11-01"})
    models.ReminderOutbox.create(
        dedupe_key="reply|msg:42|0", kind="reply", recipient_userid="wanggang", state="uncertain", **common,
        payload={"message": {"msgtype": "text", "text": {"content": "锦程贸易 10 月报表已生成"}}, "media": None})
    models.ReminderOutbox.create(  # a digest is a container: its items are what is counted
        dedupe_key="digest|x", kind="digest", recipient_userid="lixiaomei", state="uncertain", payload={}, **common)
    models.ReminderOutbox.create(dedupe_key="arrears|c0|wanggang", kind="arrears", recipient_userid="wanggang",
                                 state="sent", payload={"client": "锦程贸易"}, created_at=now)


async def _page(stack, userid: str) -> str:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        status, text, _ = await signed_in_get(stack, http, userid, "/reminders")
        assert status == 200
        return text


async def test_admins_see_every_uncertain_message_and_members_their_own(stack):
    await run_sync(stack, _rows)
    page = await _page(stack, "admin")
    assert "不确定是否送达：2 条" in page and "不会自动重发" in page
    assert "命令回复：锦程贸易 10 月报表已生成" in page and "王刚" in page
    assert "催款提醒" in page and "华夏科技 代理记账费" in page
    own = await _page(stack, "lixiaomei")
    assert "不确定是否送达：" not in own  # the agency-wide list is for admins
    assert "华夏科技" in own and "不确定是否送达" in own  # the member's own reminder, with its state


def test_the_jobs_cli_counts_and_lists_them(database, db_url, capsys):
    _rows()
    config = make_config(db_url)
    assert JobsCommand().run(argparse.Namespace(jobs_command="list"), config) == 0
    assert "不确定是否送达：2 条" in capsys.readouterr().out
    assert JobsCommand().run(argparse.Namespace(jobs_command="uncertain"), config) == 0
    out = capsys.readouterr().out
    assert "不确定是否送达的消息 2 条" in out
    assert "→ lixiaomei" in out and "华夏科技 代理记账费" in out and "errcode -1" in out
    assert "→ wanggang" in out and "命令回复：锦程贸易 10 月报表已生成" in out


def test_the_health_summary(database):
    assert health.outbox_health()["uncertain"] == 0
    _rows()
    summary = health.outbox_health()
    assert summary["uncertain"] == 2 and summary["uncertain_by_kind"] == {"arrears": 1, "reply": 1}
    assert summary["oldest_uncertain"] < models.utcnow() - timedelta(hours=5)
