"""Late command replies (past the passive-reply deadline) go through the outbox: delivered after a 502, a
timeout or a restart, in order, and never twice, whatever WeCom answers."""
import asyncio
import signal
from datetime import datetime, timezone

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

import models
from bot import keys
from bot.app import create_app
from bot.edge.replies import parts_of
from bot.outbox import health
from bot.outbox.replies import REPLIES
from bot.router import Reply, Router
from bot.sandbox.driver import CallbackDriver, next_msg_id, text_xml
from tests.cmd_data import rich_agency
from tests.conftest import AES_KEY, AGENT_ID, CORP_ID, TOKEN, Stack, make_config, stop_stack
from tests.reminder_helpers import Clock, bot_command, child_env, write_config

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
LONG = "\n".join(f"第{n:03d}行：这是一条很长的答复，用来撑满企业微信一条消息的字数上限。" for n in range(60))


def _router(release: asyncio.Event) -> Router:
    router = Router("late")

    async def slowly(reply: Reply) -> Reply:
        await asyncio.wait_for(release.wait(), 10)
        return reply

    @router.command("慢", needs_staff=False)
    async def slow(msg, args, ctx):
        """慢"""
        return await slowly(Reply.of_text("慢慢来的答复"))

    @router.command("长", needs_staff=False)
    async def long(msg, args, ctx):
        """长"""
        return await slowly(Reply.of_text(LONG))

    @router.command("图", needs_staff=False)
    async def image(msg, args, ctx):
        """图"""
        return await slowly(Reply.of_image(PNG, "收据.png"))

    return router


async def _start(db_url, fake_server, clock: Clock, **wecom) -> Stack:
    fake, api_base = fake_server
    fake.clock = clock.epoch  # WeCom's duplicate check on the same clock as the outbox
    release = asyncio.Event()
    config = make_config(db_url, api_base, reply_deadline=0.05, **wecom).replace(server={"shutdown_timeout": 0.3})
    app = create_app(config, clock=clock, routers=[_router(release)])
    server = TestServer(app)
    await server.start_server()
    http = aiohttp.ClientSession()
    driver = CallbackDriver(str(server.make_url(config.wecom.callback_path)), TOKEN, AES_KEY, CORP_ID, AGENT_ID, http)
    stack = Stack(app, server, fake, http, driver)
    stack.release = release
    return stack


async def _wait(predicate, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out waiting")


async def _ask(stack: Stack, text: str, calls: int = 1) -> None:
    """The member sends `text`; the handler finishes past the deadline; wait for `calls` message/send calls."""
    delivery = await stack.driver.send_text("newbie", text)
    assert (delivery.status, delivery.body) == (200, "")  # past the deadline: an empty 200, the reply follows
    stack.release.set()
    await _wait(lambda: len(stack.fake.calls_to("message/send")) >= calls)


def _received(stack: Stack) -> list[str]:
    return [m.content.get("content") or m.content.get("media_id") for m in stack.fake.messages_for("newbie")]


def _reply_states() -> set[str]:
    out = models.ReminderOutbox
    return {state for (state,) in out.select(out.state).where(out.kind == "reply").tuples()}


async def _settled(stack: Stack) -> None:
    """Wait until the first attempt's outcome is recorded (the reply waits for its retry)."""
    def recorded() -> bool:
        out = models.ReminderOutbox
        return out.select().where((out.kind == "reply") & out.last_error.is_null(False)).exists()
    for _ in range(1000):
        if await stack.app[keys.DB].run(recorded):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the first attempt never finished")


@pytest.fixture
def clock():
    return Clock(datetime.now(timezone.utc))


@pytest.mark.parametrize("after_delivery", [False, True], ids=["502-before", "502-after"])
async def test_a_late_reply_is_delivered_once_after_a_502(db_url, fake_server, clock, after_delivery):
    stack = await _start(db_url, fake_server, clock)
    try:
        stack.fake.inject_status("message/send", 502, after_delivery=after_delivery)
        await _ask(stack, "慢")
        await _settled(stack)
        await clock.sleep(6)  # the first retry of a late reply: jobs.reply_retry_base (5 s)
        await stack.app[REPLIES].send_due()
        assert _received(stack) == ["慢慢来的答复"]
        assert len(stack.fake.calls_to("message/send")) == 2
        assert await stack.app[keys.DB].run(_reply_states) == {"sent"}
    finally:
        await stop_stack(stack)


async def test_a_late_reply_is_delivered_once_after_a_timeout(db_url, fake_server, clock):
    stack = await _start(db_url, fake_server, clock, request_timeout=0.3)
    try:
        stack.fake.inject_stall("message/send", 1.0)  # WeCom delivered; the answer is lost on the way
        await _ask(stack, "慢")
        await _settled(stack)  # the client gave up after request_timeout
        await clock.sleep(6)
        await stack.app[REPLIES].send_due()
        assert _received(stack) == ["慢慢来的答复"] and len(stack.fake.calls_to("message/send")) == 2
    finally:
        await stop_stack(stack)


async def test_busy_after_delivery_then_rate_limited_is_not_doubled(db_url, fake_server, clock):
    stack = await _start(db_url, fake_server, clock)
    try:
        stack.fake.inject("message/send", -1, after_delivery=True)
        stack.fake.inject("message/send", 45009, times=3)
        await _ask(stack, "慢", calls=4)
        await _settled(stack)
        for _ in range(3):  # retries while 45009 lasts, then WeCom swallows the identical repeat
            await clock.sleep(60)
            await stack.app[REPLIES].send_due()
        assert _received(stack) == ["慢慢来的答复"]
        assert await stack.app[keys.DB].run(_reply_states) == {"sent"}
    finally:
        await stop_stack(stack)


async def test_the_parts_of_a_long_reply_arrive_in_order_after_a_502(db_url, fake_server, clock):
    stack = await _start(db_url, fake_server, clock)
    try:
        stack.fake.inject_status("message/send", 502)
        await _ask(stack, "长")
        await _settled(stack)
        assert len(stack.fake.calls_to("message/send")) == 1  # the second part waits for the first
        await clock.sleep(6)
        await stack.app[REPLIES].send_due()
        # The server's own sender may hold the next part in flight when send_due returns: wait for the rest.
        whole = LONG.replace("\n", "")
        await _wait(lambda: "".join(_received(stack)).replace("\n", "") == whole)
        assert len(_received(stack)) >= 2
    finally:
        await stop_stack(stack)


async def test_an_image_reply_is_uploaded_again_after_a_failed_upload(db_url, fake_server, clock):
    stack = await _start(db_url, fake_server, clock)
    try:
        stack.fake.inject_status("media/upload", 502)
        delivery = await stack.driver.send_text("newbie", "图")
        assert delivery.body == ""
        stack.release.set()
        await _wait(lambda: stack.fake.calls_to("media/upload"))
        await _settled(stack)
        assert stack.fake.calls_to("message/send") == []
        await clock.sleep(6)
        await stack.app[REPLIES].send_due()
        [message] = stack.fake.messages_for("newbie")
        assert message.msgtype == "image" and stack.fake.media[message.content["media_id"]].data == PNG
    finally:
        await stop_stack(stack)


@pytest.mark.parametrize("delivered", [True, False], ids=["delivered", "not-delivered"])
async def test_a_reply_cut_off_by_a_shutdown_is_delivered_once_after_the_restart(db_url, fake_server, clock,
                                                                                  delivered):
    stack = await _start(db_url, fake_server, clock)
    stack.fake.inject_stall("message/send", 1.0, after_delivery=delivered)
    await _ask(stack, "慢")
    await stop_stack(stack)  # shutdown_timeout 0.3 s: the send in flight is cut off, its outcome unknown
    assert len(stack.fake.messages_for("newbie")) == (1 if delivered else 0)
    await clock.sleep(121)  # past jobs.in_flight_timeout: nobody is sending it any more
    again = await _start(db_url, fake_server, clock)
    try:
        await _wait(lambda: len(again.fake.calls_to("message/send")) == 2)  # picked up at start-up
        await _wait(lambda: _received(again))
        assert _received(again) == ["慢慢来的答复"]
    finally:
        await stop_stack(again)


async def test_a_reply_pending_for_longer_than_the_duplicate_window_is_reported_not_resent(db_url, fake_server,
                                                                                           clock):
    stack = await _start(db_url, fake_server, clock)
    stack.fake.inject_stall("message/send", 1.0)
    await _ask(stack, "慢")
    await stop_stack(stack)
    await clock.sleep(5 * 3600)  # the server stayed down past WeCom's duplicate check
    again = await _start(db_url, fake_server, clock)
    try:
        await again.app[REPLIES].send_due()
        assert _received(again) == ["慢慢来的答复"] and len(again.fake.calls_to("message/send")) == 1
        [row] = await again.app[keys.DB].run(health.uncertain_rows)
        assert (row.kind, row.recipient, row.what) == ("reply", "newbie", "命令回复：慢慢来的答复")
    finally:
        await stop_stack(again)


async def test_a_reply_is_written_once_per_callback(db_url, fake_server, clock):
    stack = await _start(db_url, fake_server, clock)
    try:
        await _ask(stack, "慢")
        await _wait(lambda: _received(stack))
        key = (await stack.app[keys.DB].run(lambda: models.ReminderOutbox.get().dedupe_key)).split("|")[1]
        await stack.app[REPLIES].submit(key, "newbie", parts_of(Reply.of_text("另一份答复")))  # same callback
        assert _received(stack) == ["慢慢来的答复"]
    finally:
        await stop_stack(stack)


# ---- a real kill -9 of `python -m bot serve` ----------------------------------------------------------------

def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _serve(config, env, port: int, log):
    child = await asyncio.create_subprocess_exec(*bot_command(config, "serve", "--port", str(port)), env=env,
                                                 stdout=log, stderr=log)
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        return child
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise AssertionError("serve did not start")


@pytest.mark.slow
@pytest.mark.real_clock
@pytest.mark.parametrize("delivered", [True, False], ids=["delivered", "not-delivered"])
async def test_sigkill_mid_send_then_restart_delivers_the_reply_once(database, db_url, fake_server, tmp_path,
                                                                     delivered):
    fake, api_base = fake_server
    rich_agency()  # 收据 华夏 answers with an image: never a passive reply, always message/send
    config = write_config(tmp_path / "c.yaml", db_url, api_base, enabled=False, in_flight_timeout=1,
                          wecom={"request_timeout": 30})
    env, port, children = child_env(db_url, api_base), _free_port(), []
    with open(tmp_path / "serve.log", "ab") as log:
        try:
            children.append(await _serve(config, env, port, log))
            fake.inject_stall("message/send", 3.0, after_delivery=delivered)
            async with aiohttp.ClientSession() as http:
                driver = CallbackDriver(f"http://127.0.0.1:{port}/wecom/callback", TOKEN, AES_KEY, CORP_ID,
                                        AGENT_ID, http)
                plaintext = text_xml(CORP_ID, "lixiaomei", "收据 华夏", next_msg_id(), AGENT_ID)
                assert (await driver.post(plaintext)).body == ""
                await _wait(lambda: fake.calls_to("message/send"))
                children[0].send_signal(signal.SIGKILL)  # WeCom holds the request; nothing after it is recorded
                await children[0].wait()
                assert len(fake.messages_for("lixiaomei")) == (1 if delivered else 0)
                children.append(await _serve(config, env, port, log))
                await _wait(lambda: len(fake.calls_to("message/send")) == 2, seconds=30)
                assert (await driver.post(plaintext)).body == ""  # WeCom's own resend: a duplicate, ignored
                await asyncio.sleep(0.5)
            children[1].terminate()
            assert await children[1].wait() == 0
        finally:
            for child in children:
                if child.returncode is None:
                    child.kill()
                    await child.wait()
    [reply] = fake.messages_for("lixiaomei")
    assert reply.msgtype == "image" and fake.media[reply.content["media_id"]].filename.startswith("收据-")
    assert len(fake.calls_to("message/send")) == 2 and len(fake.calls_to("media/upload")) == 1
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
