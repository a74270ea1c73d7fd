"""/reminders, the page a digest links to: sign-in, own reminders only (admins all), states shown."""
from datetime import timedelta

import aiohttp

import models
from tests.conftest import run_sync
from tests.factories import small_agency
from tests.sidebar_client import signed_in_get


def _reminders() -> None:
    people = small_agency()
    now = models.utcnow()
    for userid, client, state, fen in (("lixiaomei", people["huaxia"], "sent", 149950),
                                       ("lixiaomei", people["huaxin"], "dropped", 50000),
                                       ("wanggang", people["jincheng"], "pending", 30000)):
        models.ReminderOutbox.create(
            dedupe_key=f"arrears|c{client.id}|{userid}", kind="arrears", client=client, recipient_userid=userid,
            state=state, created_at=now - timedelta(hours=2), sent_at=now if state == "sent" else None,
            resolved_at=now if state == "dropped" else None,
            payload={"client": client.short_name, "item": "代理记账费", "periods": "2026-10",
                     "outstanding_fen": fen, "due": "2026-11-01"})


async def _page(stack, userid: str, **query) -> tuple[int, str]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        status, text, _ = await signed_in_get(stack, http, userid, "/reminders", **query)
        return status, text


async def test_a_member_sees_their_own_reminders_and_what_stopped(stack):
    await run_sync(stack, _reminders)
    status, page = await _page(stack, "lixiaomei", kind="arrears")
    assert status == 200 and "催款提醒" in page and "李小梅" in page
    assert "华夏科技" in page and "¥1,499.50" in page and "已发送" in page
    assert "华信建材" in page and "已办结，自动停止" in page
    assert "锦程贸易" not in page  # 王刚's


async def test_admins_see_everyones_with_the_recipient(stack):
    await run_sync(stack, _reminders)
    status, page = await _page(stack, "admin")
    assert status == 200 and "全机构" in page and "锦程贸易" in page and "王刚" in page and "待发送" in page


async def test_sign_in_is_required_and_bad_links_are_refused(stack):
    await run_sync(stack, _reminders)
    async with aiohttp.ClientSession() as http:
        async with http.get(stack.url("/reminders"), allow_redirects=False) as r:
            assert r.status == 302 and "oauth2/authorize" in r.headers["Location"]
            assert "redirect_uri=http%3A%2F%2Ftestserver%2Freminders&" in r.headers["Location"]
    status, page = await _page(stack, "lixiaomei", kind="nothing")
    assert status == 404 and "链接有误" in page
    status, page = await _page(stack, "newbie")
    assert status == 403 and "尚未绑定" in page
