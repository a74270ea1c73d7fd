"""The async WeCom client against the fake WeCom: tokens, retries, errors, uploads."""
import asyncio
import dataclasses

import aiohttp
import pytest

import models
from bot.config.settings import DatabaseConfig, WeComConfig
from bot.db import Database, DbTokenStore
from bot.wecom import MemoryTokenStore, WeComClient, WeComConfigError, WeComError, WeComUnavailable
from tests.conftest import AGENT_ID, CORP_ID, SECRET

PNG = (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)


def _cfg(api_base: str, **kw) -> WeComConfig:
    return WeComConfig(corp_id=CORP_ID, agent_id=AGENT_ID, secret=kw.pop("secret", SECRET), token="t",
                       aes_key="x" * 43, api_base=api_base, backoff_base=0.01, **kw)


@pytest.fixture
async def client(fake_server):
    fake, base = fake_server
    async with aiohttp.ClientSession() as session:
        yield WeComClient(_cfg(base), session, MemoryTokenStore()), fake


async def test_token_is_fetched_once_and_reused(client):
    wecom, fake = client
    for _ in range(3):
        await wecom.send_text("lixiaomei", "你好")
    assert len(fake.calls_to("gettoken")) == 1
    assert len(fake.delivered) == 3


async def test_expired_token_42001_refreshes_and_repeats_the_call(client):
    wecom, fake = client
    await wecom.send_text("lixiaomei", "第一条")
    fake.expire_tokens()
    await wecom.send_text("lixiaomei", "第二条")
    assert len(fake.calls_to("gettoken")) == 2
    assert [c.errcode for c in fake.calls_to("message/send")] == [0, 42001, 0]
    assert [m.content["content"] for m in fake.delivered] == ["第一条", "第二条"]


async def test_injected_40014_refreshes_once_and_a_second_one_is_an_error(client):
    wecom, fake = client
    await wecom.access_token()
    fake.inject("message/send", 40014, times=2)
    with pytest.raises(WeComError) as err:
        await wecom.send_text("lixiaomei", "x")
    assert err.value.errcode == 40014  # no loop: one refresh, then the error surfaces
    assert len(fake.calls_to("message/send")) == 2


async def test_100_concurrent_calls_at_expiry_make_one_gettoken(client):
    wecom, fake = client
    await wecom.access_token()
    fake.expire_tokens()
    wecom._token.current = None  # as a fresh process would see it: only the (expired) shared store
    await asyncio.gather(*(wecom.user_get("lixiaomei") for _ in range(100)))
    assert len(fake.calls_to("gettoken")) == 2  # the first one, and exactly one refresh


async def test_45009_backs_off_and_loses_no_call(client):
    wecom, fake = client
    slept = []

    async def fake_sleep(seconds):
        slept.append(seconds)

    wecom.sleep = fake_sleep
    fake.inject("message/send", 45009, times=2)
    result = await wecom.send_text("lixiaomei", "限流后仍送达")
    assert result["errcode"] == 0
    assert [m.content["content"] for m in fake.delivered] == ["限流后仍送达"]
    assert len(slept) == 2 and slept[1] > slept[0] * 0.6  # growing, jittered backoff


async def test_busy_beyond_the_retry_budget_is_an_error_not_a_silent_drop(client):
    wecom, fake = client
    wecom.sleep = lambda s: asyncio.sleep(0)
    fake.inject("message/send", -1, times=10)
    with pytest.raises(WeComError) as err:  # with the duplicate check on, a repeat after -1 is harmless
        await wecom.send_text("lixiaomei", "x", duplicate_check=14400)
    assert err.value.errcode == -1 and err.value.maybe_delivered
    assert len(fake.calls_to("message/send")) == 1 + wecom.cfg.max_retries


async def test_system_busy_after_delivery_is_not_repeated_without_the_duplicate_check(client):
    wecom, fake = client
    wecom.sleep = lambda s: asyncio.sleep(0)
    fake.inject("message/send", -1, after_delivery=True)
    with pytest.raises(WeComError) as err:
        await wecom.send_text("lixiaomei", "只发一次")
    assert err.value.errcode == -1 and err.value.maybe_delivered
    assert [m.content["content"] for m in fake.messages_for("lixiaomei")] == ["只发一次"]
    assert len(fake.calls_to("message/send")) == 1


async def test_a_rate_limit_after_an_unsure_attempt_is_reported_as_maybe_delivered(client):
    """-1 after delivery, then 45009 until the budget runs out: the error must not read "nothing sent"."""
    wecom, fake = client
    wecom.sleep = lambda s: asyncio.sleep(0)
    fake.inject("message/send", -1, after_delivery=True)
    fake.inject("message/send", 45009, times=10)
    with pytest.raises(WeComError) as err:
        await wecom.send_text("lixiaomei", "x", duplicate_check=14400)
    assert err.value.errcode == 45009 and err.value.maybe_delivered
    assert len(fake.messages_for("lixiaomei")) == 1


async def test_a_repeat_stops_where_the_duplicate_check_ends(fake_server, monkeypatch):
    """The client's own backoff never repeats a possibly delivered message past the window it was given."""
    fake, base = fake_server
    monkeypatch.setattr("bot.wecom.random.random", lambda: 0.5)  # no jitter: backoff 1000 s, then 2000 s
    now = [1_800_000_000.0]

    async def sleep(seconds):
        now[0] += seconds
    async with aiohttp.ClientSession() as session:
        wecom = WeComClient(dataclasses.replace(_cfg(base), backoff_base=1000), session, MemoryTokenStore(), clock=lambda: now[0],
                            sleep=sleep)
        fake.inject("message/send", -1, after_delivery=True, times=10)
        with pytest.raises(WeComError) as err:
            await wecom.send_text("lixiaomei", "x", duplicate_check=14400, resend_within=2500)
    assert err.value.maybe_delivered
    assert len(fake.calls_to("message/send")) == 2  # at 0 and +1000 s; +3000 s would be past the window
    assert len(fake.messages_for("lixiaomei")) == 1


async def test_wrong_secret_is_a_configuration_error_without_retries(fake_server):
    fake, base = fake_server
    async with aiohttp.ClientSession() as session:
        wecom = WeComClient(_cfg(base, secret="wrong-secret-value"), session)
        with pytest.raises(WeComConfigError) as err:
            await wecom.send_text("lixiaomei", "x")
    assert err.value.errcode == 40001
    assert "Secret" in err.value.hint
    assert len(fake.calls_to("gettoken")) == 1


async def test_upload_retried_after_token_expiry_is_sent_whole(client):
    wecom, fake = client
    await wecom.access_token()
    fake.expire_tokens()
    data = PNG + bytes(range(256)) * 40
    media_id = await wecom.media_upload("image", "收据.png", data, "image/png")
    assert [c.errcode for c in fake.calls_to("media/upload")] == [42001, 0]
    stored = fake.media[media_id]
    assert stored.data == data and stored.filename == "收据.png"


async def test_timeout_is_reported_as_unavailable(fake_server):
    fake, base = fake_server
    fake.config.latency = 0.5
    async with aiohttp.ClientSession() as session:
        wecom = WeComClient(_cfg(base, request_timeout=0.1), session)
        with pytest.raises(WeComUnavailable):
            await wecom.access_token()


async def test_typed_error_carries_errcode_and_errmsg(client):
    wecom, fake = client
    with pytest.raises(WeComError) as err:
        await wecom.user_get("nobody")
    assert err.value.errcode == 60111 and err.value.errmsg


async def test_endpoints_answer_from_the_directory(client):
    wecom, fake = client
    assert sorted(await wecom.get_follow_user_list()) == ["lixiaomei", "wanggang"]
    assert await wecom.externalcontact_list("lixiaomei") == ["wmHuaxiaBoss"]
    page = await wecom.batch_get_by_user(["lixiaomei", "wanggang"])
    assert {e["external_contact"]["external_userid"] for e in page["external_contact_list"]} == {
        "wmHuaxiaBoss", "wmJinchengCashier"}
    groups = await wecom.groupchat_list()
    assert [g["chat_id"] for g in groups["group_chat_list"]] == ["wrHuaxiaGroup"]
    group = await wecom.groupchat_get("wrHuaxiaGroup")
    assert group["owner"] == "lixiaomei"
    code = fake.issue_oauth_code("lixiaomei")
    assert (await wecom.auth_getuserinfo(code))["userid"] == "lixiaomei"
    assert (await wecom.externalcontact_get("wmHuaxiaBoss"))["external_contact"]["name"] == "陈总"
    card = await wecom.send_textcard("wanggang", "到期提醒", "<div>3 个客户本月到期</div>", "http://x/y")
    assert card["errcode"] == 0


async def test_tickets_are_cached_and_fetched_once_under_concurrency(client):
    wecom, fake = client
    corp = await asyncio.gather(*(wecom.get_jsapi_ticket() for _ in range(50)))
    agent = await asyncio.gather(*(wecom.get_agent_ticket() for _ in range(50)))
    assert len(set(corp)) == 1 and len(set(agent)) == 1 and corp[0] != agent[0]
    assert len(fake.calls_to("get_jsapi_ticket")) == 1
    assert len(fake.calls_to("ticket/get")) == 1


async def test_token_shared_through_the_database_between_processes(fake_server, db_url, database):
    """Two clients with their own memory (two processes) share one token through the TokenCache table."""
    fake, base = fake_server
    db = Database(DatabaseConfig(url=db_url))
    try:
        async with aiohttp.ClientSession() as session:
            one = WeComClient(_cfg(base), session, DbTokenStore(db))
            two = WeComClient(_cfg(base), session, DbTokenStore(db))
            await one.send_text("lixiaomei", "a")
            await two.send_text("lixiaomei", "b")
        assert len(fake.calls_to("gettoken")) == 1
        row = await db.run(lambda: models.TokenCache.get())
        assert row.expires_at.tzinfo is not None
    finally:
        db.close()
