"""The demo as a person uses it: /sandbox answers a typed 帮助, shows pushes, and opens the sidebar."""
import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.config.settings import load_config
from bot.sandbox.demo import demo_config, prepare_database
from bot.sandbox.fake.app import create_fake_wecom_app
from bot.sandbox.fake.records import FakeConfig
from bot.sandbox.fake.state import FakeWeCom
from bot.sandbox.page import SANDBOX_FAKE
from seed.world import demo_directory
from tests.conftest import _issued_fakes


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """Seed once per module (a few seconds); each test gets its own copy of the file."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    base = load_config(require_wecom=False).replace(demo={"database": str(path)})
    counts = prepare_database(demo_config(base), keep=False)
    return path, counts


@pytest.fixture
async def demo(seeded, tmp_path, unused_tcp_port_factory):
    source, counts = seeded
    copy = tmp_path / "demo.sqlite3"
    copy.write_bytes(source.read_bytes())
    fake_port, port = unused_tcp_port_factory(), unused_tcp_port_factory()
    base = load_config(require_wecom=False)
    base = base.replace(demo={"database": str(copy), "sandbox_port": fake_port})
    config = demo_config(base, port).replace(jobs={"misfire_grace": 1})  # no catch-up run: the tests click
    assert prepare_database(config, keep=True) == {}  # kept: already seeded
    fake = FakeWeCom(FakeConfig(corp_id=config.wecom.corp_id, agent_id=config.wecom.agent_id,
                                secret=config.wecom.secret), directory=demo_directory())
    _issued_fakes.append(fake)
    fake_server = TestServer(create_fake_wecom_app(fake), port=fake_port)
    await fake_server.start_server()
    app = create_app(config)
    app[SANDBOX_FAKE] = fake
    server = TestServer(app, port=port)
    await server.start_server()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        yield server, http, fake, counts
    await server.close()
    await fake_server.close()


async def _send(server, http, userid, content):
    async with http.post(server.make_url("/sandbox/api/send"), json={"userid": userid, "content": content},
                         headers={"Origin": str(server.make_url("/").origin())}) as r:
        return r.status, await r.json()


async def test_demo_data_is_a_believable_agency(demo):
    _, _, _, counts = demo
    assert 45 <= counts["client"] <= 60 and counts["customer_group"] >= 30 and counts["invoice"] > 500


async def test_sandbox_page_loads(demo):
    server, http, _, _ = demo
    async with http.get(server.make_url("/sandbox")) as r:
        assert r.status == 200 and "企业微信模拟器" in await r.text()


async def test_typed_help_is_answered_through_the_encrypted_callback(demo):
    server, http, _, _ = demo
    status, body = await _send(server, http, "admin", "帮助")
    assert status == 200 and body["status"] == 200
    assert "客户 <名称>" in body["reply"]


async def test_admin_asks_for_a_demo_client(demo):
    server, http, _, _ = demo
    _, body = await _send(server, http, "admin", "客户 华夏")
    assert "华夏" in body["reply"] and "客户经理" in body["reply"]


async def test_unbound_newbie_is_told_to_bind(demo):
    server, http, _, _ = demo
    _, body = await _send(server, http, "newbie", "客户 华夏")
    assert "绑定" in body["reply"]


async def test_empty_message_is_refused_with_a_reason(demo):
    server, http, _, _ = demo
    status, body = await _send(server, http, "admin", "   ")
    assert status == 400 and "请输入" in body["error"]


async def test_open_sidebar_as_a_member_for_a_followed_contact(demo):
    server, http, fake, _ = demo
    member = "lixiaomei"
    contact = next(c for c in fake.directory["contacts"]
                   if any(f["userid"] == member for f in c["follow_users"]))
    url = server.make_url("/sandbox/open-sidebar").with_query(userid=member,
                                                              external_userid=contact["external_userid"])
    async with http.get(url) as r:
        page = await r.text()
        assert r.status == 200 and "ww-stub.js" in page
    async with http.get(server.make_url("/sidebar/api/context"),
                        params={"external_userid": contact["external_userid"]}) as r:
        body = await r.json()
    assert r.status == 200 and body["chat"]["name"] == contact["name"] and body["clients"]


async def test_media_dropped_into_the_chat_can_be_viewed_in_the_simulator(demo):
    server, http, fake, _ = demo
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    media_id = fake.store_media("image", "收据.png", "image/png", png)
    async with http.get(server.make_url(f"/sandbox/api/media/{media_id}")) as r:
        assert r.status == 200 and await r.read() == png and r.content_type == "image/png"
    async with http.get(server.make_url("/sandbox/api/media/nope")) as r:
        assert r.status == 404


async def _run_job(server, http, job):
    async with http.post(server.make_url("/sandbox/api/jobs/run"), json={"job": job},
                         headers={"Origin": str(server.make_url("/").origin())}) as r:
        return r.status, await r.json()


async def _digests(fake, seconds=10.0):
    import asyncio
    for _ in range(int(seconds / 0.05)):
        found = [m for m, dropped in fake.timeline if m.msgtype in ("markdown", "textcard") and not dropped]
        if found:
            await asyncio.sleep(0.3)  # let the rest of the run's digests arrive
            return [m for m, dropped in fake.timeline if m.msgtype in ("markdown", "textcard") and not dropped]
        await asyncio.sleep(0.05)
    return []


async def test_run_a_reminder_now_from_the_simulator_at_any_hour(demo):
    server, http, fake, _ = demo
    async with http.get(server.make_url("/sandbox")) as r:
        page = await r.text()
    assert page.count("立即运行提醒") >= 4 and 'data-job="service_expiry"' in page and 'data-job="arrears"' in page
    assert [m for m, _ in fake.timeline] == []  # nothing was pushed before the click
    status, body = await _run_job(server, http, "service_expiry")
    assert status == 200 and body["title"] == "服务到期提醒" and body["found"] > 0 and body["new"] == body["found"]
    digests = await _digests(fake)
    assert digests and all("到期" in (m.content.get("content") or m.content.get("title", "")) for m in digests)
    status, again = await _run_job(server, http, "service_expiry")
    assert status == 200 and again["found"] == body["found"] and again["new"] == 0
    import asyncio
    await asyncio.sleep(0.5)
    assert len([m for m, _ in fake.timeline if m.msgtype in ("markdown", "textcard")]) == len(digests)  # no doubles


async def test_running_an_unknown_job_or_a_form_post_is_refused(demo):
    server, http, _, _ = demo
    status, body = await _run_job(server, http, "no_such_job")
    assert status == 404 and "no_such_job" in body["error"]
    async with http.post(server.make_url("/sandbox/api/jobs/run"), data={"job": "arrears"},
                         headers={"Origin": str(server.make_url("/").origin())}) as r:
        assert r.status == 415


def test_demo_on_a_busy_port_says_so_in_one_line(unused_tcp_port_factory, tmp_path):
    import os
    import socket
    import subprocess
    import sys
    from pathlib import Path
    port, sandbox_port = unused_tcp_port_factory(), unused_tcp_port_factory()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", sandbox_port))
        taken.listen()
        proc = subprocess.run([sys.executable, "-m", "bot", "demo", "--port", str(port), "--sandbox-port",
                               str(sandbox_port)], cwd=Path(__file__).resolve().parent.parent,
                              env={**os.environ}, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert f"端口 {sandbox_port} 已被占用" in proc.stderr and "Traceback" not in proc.stderr
