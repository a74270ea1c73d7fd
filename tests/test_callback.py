"""End to end through HTTP: encrypted callbacks in, verified passive replies or message/send out."""
import asyncio
import time

import pytest

import models
from bot import keys
from bot.router import Reply, Router
from bot.sandbox.driver import event_xml, next_msg_id, text_xml
from tests.conftest import AGENT_ID, CORP_ID, start_stack, stop_stack


def _bind(userid="lixiaomei", role="staff", name="李小梅"):
    return models.Staff.create(name=name, role=role, wecom_userid=userid, active=True)


async def test_url_verification_answers_the_bare_echo(stack):
    status, body = await stack.driver.verify_url("8347823749823749")
    assert (status, body) == (200, "8347823749823749")


async def test_url_verification_with_a_bad_signature_is_refused(stack):
    async with stack.http.get(stack.driver.url, params={"msg_signature": "0" * 40, "timestamp": str(int(time.time())),
                                                        "nonce": "1", "echostr": "abc"}) as resp:
        assert resp.status == 403


async def test_help_gets_a_passive_reply_that_verifies(stack):
    delivery = await stack.driver.send_text("newbie", "帮助")
    assert delivery.status == 200
    assert delivery.reply["MsgType"] == "text"
    assert delivery.reply["ToUserName"] == "newbie"
    assert delivery.reply["FromUserName"] == CORP_ID
    assert "帮助" in delivery.reply["Content"] and "客户" in delivery.reply["Content"]


async def test_full_width_command_is_understood(stack):
    delivery = await stack.driver.send_text("newbie", "帮助　客户")  # full-width space
    assert "名称" in delivery.reply["Content"]


def _post_args(stack, plaintext, **kw):
    params, body = stack.driver.envelope(plaintext, **kw)
    return params, body


@pytest.mark.parametrize("case", ["bad_signature", "stale", "future", "tampered", "garbage", "no_encrypt",
                                  "missing_params", "entity_bomb", "doctype_inside"])
async def test_bad_callbacks_are_refused_with_4xx(stack, case):
    plaintext = text_xml(CORP_ID, "newbie", "帮助", next_msg_id(), AGENT_ID)
    params, body = stack.driver.envelope(plaintext)
    if case == "bad_signature":
        params["msg_signature"] = "f" * 40
    elif case == "stale":
        params, body = stack.driver.envelope(plaintext, timestamp=int(time.time()) - 301)
    elif case == "future":
        params, body = stack.driver.envelope(plaintext, timestamp=int(time.time()) + 301)
    elif case == "tampered":
        body = body.replace("<Encrypt><![CDATA[", "<Encrypt><![CDATA[AAAA")
        enc = body.split("CDATA[")[-1].split("]]")[0]
        params["msg_signature"] = stack.driver.crypto.sign(params["timestamp"], params["nonce"], enc)
    elif case == "garbage":
        body = "\x00\x01 this is not xml"
    elif case == "no_encrypt":
        body = "<xml><ToUserName>x</ToUserName></xml>"
    elif case == "missing_params":
        params.pop("nonce")
    elif case == "entity_bomb":
        body = ('<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                "<xml><Encrypt>&b;</Encrypt></xml>")
    elif case == "doctype_inside":
        evil = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>'
        params, body = stack.driver.envelope(evil)
    delivery = await stack.driver.post_raw(params, body)
    assert 400 <= delivery.status < 500, delivery
    assert "帮助" not in delivery.body and "passwd" not in delivery.body


async def test_other_corp_id_is_refused(stack):
    from bot.sandbox.driver import CallbackDriver
    from tests.conftest import AES_KEY, TOKEN
    other = CallbackDriver(stack.driver.url, TOKEN, AES_KEY, "wwanothercorp", AGENT_ID, stack.http)
    delivery = await other.send_text("newbie", "帮助")
    assert delivery.status == 403


async def test_oversize_body_is_413(stack):
    params, _ = stack.driver.envelope("<xml/>")
    delivery = await stack.driver.post_raw(params, "<xml><Encrypt>" + "A" * 70000 + "</Encrypt></xml>")
    assert delivery.status == 413


async def _count_inbox(stack):
    return await stack.app[keys.DB].run(lambda: models.CallbackInbox.select().count())


def _probe_router(seen, release=None):
    release = release or asyncio.Event()
    router = Router("probe")

    @router.command("探针", needs_staff=False)
    async def probe(msg, args, ctx):
        """探针"""
        seen.append(msg.msg_id)
        return Reply.of_text("收到")

    @router.command("慢", needs_staff=False)
    async def slow(msg, args, ctx):
        """慢: answers only once the test releases it (or after 5 s)"""
        try:
            await asyncio.wait_for(release.wait(), 5)
        except asyncio.TimeoutError:
            pass
        return Reply.of_text("慢慢来的答复")

    @router.event("change_external_contact")
    async def on_change(msg, ctx):
        seen.append((msg.change_type, msg.external_user_id))

    return router


@pytest.fixture
async def probed(db_url, fake_server):
    seen, release = [], asyncio.Event()
    stack = await start_stack(db_url, fake_server, routers=[_probe_router(seen, release)], reply_deadline=0.2)
    stack.seen, stack.release = seen, release
    yield stack
    await stop_stack(stack)


async def test_same_message_four_times_is_processed_once(probed):
    plaintext = text_xml(CORP_ID, "newbie", "探针", next_msg_id(), AGENT_ID)
    replies = []
    for _ in range(4):  # WeCom re-encrypts each retry with a fresh random prefix
        delivery = await probed.driver.post(plaintext)
        assert delivery.status == 200
        replies.append(delivery.reply)
    assert len(probed.seen) == 1
    assert replies[0]["Content"] == "收到"
    assert replies[1:] == [None, None, None]
    assert await _count_inbox(probed) == 1


async def test_same_contact_event_four_times_is_processed_once_but_distinct_events_are_not_merged(probed):
    ts = int(time.time())
    first = event_xml(CORP_ID, "sys", "change_external_contact",
                      {"ChangeType": "add_external_contact", "UserID": "lixiaomei", "ExternalUserID": "wmA"},
                      create_time=ts)
    second = event_xml(CORP_ID, "sys", "change_external_contact",  # same sender and second, other contact
                       {"ChangeType": "add_external_contact", "UserID": "lixiaomei", "ExternalUserID": "wmB"},
                       create_time=ts)
    for _ in range(4):
        assert (await probed.driver.post(first)).status == 200
    assert (await probed.driver.post(second)).status == 200
    assert sorted(probed.seen) == [("add_external_contact", "wmA"), ("add_external_contact", "wmB")]


async def _wait_for(predicate, seconds=3.0):
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return predicate()


async def test_slow_handler_gets_empty_200_then_one_message_send(probed):
    delivery = await probed.driver.send_text("newbie", "慢")
    assert (delivery.status, delivery.body, delivery.reply) == (200, "", None)
    assert probed.fake.calls_to("message/send") == []  # answered while the handler is still working
    probed.release.set()
    assert await _wait_for(lambda: probed.fake.calls_to("message/send"))
    await asyncio.sleep(0.2)
    assert len(probed.fake.calls_to("message/send")) == 1
    assert [m.content["content"] for m in probed.fake.messages_for("newbie")] == ["慢慢来的答复"]


async def test_shutdown_drains_a_late_reply(db_url, fake_server):
    release = asyncio.Event()
    stack = await start_stack(db_url, fake_server, routers=[_probe_router([], release)], reply_deadline=0.1)
    delivery = await stack.driver.send_text("newbie", "慢")
    assert delivery.body == "" and stack.fake.calls_to("message/send") == []
    release.set()
    await stop_stack(stack)  # cleanup drains background tasks before the database closes
    assert [m.content["content"] for m in stack.fake.messages_for("newbie")] == ["慢慢来的答复"]


async def test_enter_agent_greets_an_unbound_member_with_how_to_bind(stack):
    delivery = await stack.driver.send_event("newbie", "enter_agent", {"EventKey": ""})
    assert "绑定" in delivery.reply["Content"]


async def test_enter_agent_welcomes_a_bound_member_by_name(stack):
    await stack.app[keys.DB].run(_bind)
    delivery = await stack.driver.send_event("lixiaomei", "enter_agent", {"EventKey": ""})
    assert "李小梅" in delivery.reply["Content"]


async def test_unbound_member_asking_for_a_client_is_told_how_to_bind(stack):
    delivery = await stack.driver.send_text("newbie", "客户 华夏")
    assert "绑定" in delivery.reply["Content"] and "管理员" in delivery.reply["Content"]


async def test_reply_text_cannot_inject_xml(stack):
    delivery = await stack.driver.send_text("newbie", "]]><MsgType>image</MsgType>")
    assert delivery.reply["MsgType"] == "text"
    assert "]]><MsgType>image</MsgType>"[:20] in delivery.reply["Content"]
