"""运行状况 (X7): the health page and /metrics show what happened — callbacks in and refused, syncs, drift from
WeCom, the outbox, the scheduler, tokens (never their values) and the database — to admins and to a scraper
holding the bearer token."""
import re
from datetime import timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families

import models
from bot import keys, migrate
from bot.app import create_app
from bot.sandbox.driver import CallbackDriver
from handlers.health.drift import compare
from handlers.health.metrics import Exposition
from tests.conftest import AES_KEY, AGENT_ID, CORP_ID, TOKEN, Stack, make_config, run_sync, stop_stack
from tests.console_client import open_console
from tests.factories import small_agency

METRICS_TOKEN = "scrape-7f3a9c1e5b2d4f6a8c0e"
TOKEN_VALUE = "tokvalue-SHOULD-NEVER-SHOW-9d8c7b6a"


async def _start(db_url, fake_server, metrics_token=METRICS_TOKEN) -> Stack:
    fake, api_base = fake_server
    config = make_config(db_url, api_base).replace(admin={"metrics_token": metrics_token})
    app = create_app(config)
    server = TestServer(app)
    await server.start_server()
    http = aiohttp.ClientSession()
    driver = CallbackDriver(str(server.make_url(config.wecom.callback_path)), TOKEN, AES_KEY, CORP_ID, AGENT_ID, http)
    return Stack(app, server, fake, http, driver)


@pytest.fixture
async def health(db_url, fake_server):
    stack = await _start(db_url, fake_server)
    ids = await run_sync(stack, small_agency)
    admin = await open_console(stack, "admin")
    yield stack, ids, admin
    await admin.close()
    await stop_stack(stack)


async def _metrics(stack, token=METRICS_TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with stack.http.get(stack.url("/metrics"), headers=headers) as r:
        return r.status, await r.text(), r.headers


def _samples(text: str) -> tuple[dict, dict]:
    """({family name: type}, {(sample name, frozenset(labels)): value}) as Prometheus reads the text."""
    families, samples = {}, {}
    for family in text_string_to_metric_families(text):
        families[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return families, samples


def _value(samples: dict, name: str, **labels):
    return samples.get((name, frozenset(labels.items())))


async def test_last_callback_and_a_refused_one_show_on_the_page_and_in_metrics(health):
    stack, _, admin = health
    delivery = await stack.driver.send_text("lixiaomei", "帮助")
    assert delivery.status == 200
    params, body = stack.driver.envelope("<xml><MsgType>text</MsgType></xml>")
    params["msg_signature"] = "f" * 40
    assert (await stack.driver.post_raw(params, body)).status == 403

    status, page, _ = await admin.get("/admin/health")
    assert status == 200 and "运行状况" in page
    assert re.search(r"最近一次回调：<b>[^<]+</b>.*类型 <code>text</code>", page)
    assert re.search(r'签名不符</td><td><code>signature</code></td><td class="num">1<', page)
    assert re.search(r'解密失败</td><td><code>decrypt</code></td><td class="num">0<', page)
    assert "自本进程启动" in page

    status, text, headers = await _metrics(stack)
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families, samples = _samples(text)
    assert families["zhangfang_callback_refusals"] == "counter"
    assert _value(samples, "zhangfang_callback_refusals_total", reason="signature") == 1
    assert _value(samples, "zhangfang_callback_refusals_total", reason="timestamp") == 0
    assert _value(samples, "zhangfang_callbacks_total", kind="text") == 1
    assert _value(samples, "zhangfang_callbacks_last_24h", kind="text") == 1
    assert _value(samples, "zhangfang_last_callback_timestamp_seconds") > 0


def _outbox_and_runs(ids: dict) -> None:
    now = models.utcnow()
    for n in range(3):
        models.ReminderOutbox.create(dedupe_key=f"arrears|{n}", kind="arrears", recipient_userid="lixiaomei",
                                     payload={"client": "华夏科技"}, created_at=now - timedelta(minutes=30 + n))
    models.ReminderOutbox.create(dedupe_key="digest|x", kind="digest", recipient_userid="lixiaomei")  # container
    models.ReminderOutbox.create(dedupe_key="arrears|u", kind="arrears", recipient_userid="wanggang", state="uncertain",
                                 payload={"client": "锦程贸易", "item": "代理记账费"}, maybe_sent_at=now - timedelta(hours=5))
    models.ReminderOutbox.create(dedupe_key="arrears|f", kind="arrears", recipient_userid="wanggang", state="failed")
    models.SyncRun.create(kind="contacts", state="done", started_at=now - timedelta(hours=2),
                          finished_at=now - timedelta(hours=1), counts={"contacts_seen": 2, "relations_added": 1})
    models.SyncRun.create(kind="groups", state="failed", started_at=now - timedelta(hours=1),
                          finished_at=now - timedelta(minutes=50), error="groupchat/list: errcode 48002")
    models.TokenCache.create(key=f"jsapi_ticket:{CORP_ID}:{AGENT_ID}", value=TOKEN_VALUE,
                             expires_at=now - timedelta(minutes=5))
    models.SchedulerLease.create(name="scheduler", holder='host-"a"\\1:42', expires_at=now + timedelta(minutes=1))


async def test_outbox_sync_scheduler_tokens_and_database_figures(health):
    stack, ids, admin = health
    await run_sync(stack, _outbox_and_runs, ids)
    version = await run_sync(stack, migrate.current_version, models.db)
    access = f"access_token:{CORP_ID}:{AGENT_ID}"  # fetched from the fake WeCom when the admin signed in
    token = await run_sync(stack, lambda: models.TokenCache.get_by_id(access).value)
    status, page, _ = await admin.get("/admin/health")
    assert status == 200
    assert re.search(r'<td>待发送</td><td class="num[^"]*">3</td>', page)
    assert re.search(r'<td>不确定是否送达</td><td class="num bad">1</td>', page)
    assert "王刚" in page and "锦程贸易 代理记账费" in page  # the uncertain one, listed
    assert "已等待 32 分钟" in page  # the oldest pending one
    assert "联系人读取 2" in page and "跟进关系新增 1" in page and "groupchat/list: errcode 48002" in page
    assert access in page and "有效" in page and "已过期" in page
    assert TOKEN_VALUE not in page and token not in page
    assert f"迁移版本：<b>{version}</b>" in page and ("SQLite" in page or "PostgreSQL" in page)
    assert "征期提醒" in page and "host-&#34;a&#34;\\1:42" in page

    status, text, _ = await _metrics(stack)
    assert status == 200 and TOKEN_VALUE not in text and token not in text
    _, samples = _samples(text)
    assert _value(samples, "zhangfang_outbox_items", state="pending") == 3
    assert _value(samples, "zhangfang_outbox_items", state="uncertain") == 1
    assert _value(samples, "zhangfang_outbox_items", state="failed") == 1
    assert 30 * 60 <= _value(samples, "zhangfang_outbox_oldest_pending_seconds") < 40 * 60
    assert _value(samples, "zhangfang_sync_last_success_timestamp_seconds", kind="contacts") > 0
    assert _value(samples, "zhangfang_sync_last_success_timestamp_seconds", kind="groups") is None
    assert _value(samples, "zhangfang_sync_last_failed", kind="groups") == 1
    assert _value(samples, "zhangfang_scheduler_leader", holder='host-"a"\\1:42') == 1  # escaped and read back
    assert _value(samples, "zhangfang_token_expires_in_seconds", key=access) > 3600
    assert _value(samples, "zhangfang_token_expires_in_seconds", key=f"jsapi_ticket:{CORP_ID}:{AGENT_ID}") < 0
    assert _value(samples, "zhangfang_migration_version") == version == max(v for v, _, _ in migrate.MIGRATIONS)
    assert _value(samples, "zhangfang_database_up") == 1
    assert _value(samples, "zhangfang_job_next_run_timestamp_seconds", job="filing_deadline") > 0


async def test_staff_may_not_see_health_or_start_a_check(health):
    stack, _, _ = health
    li = await open_console(stack, "lixiaomei")
    try:
        status, page, _ = await li.get("/admin")
        assert 'href="/admin/health"' not in page
        status, page, _ = await li.get("/admin/health")
        assert status == 403 and "没有权限" in page
        status, _, _ = await li.post("/admin/health/drift")
        assert status == 403
    finally:
        await li.close()
    assert await run_sync(stack, lambda: models.DriftCheck.select().count()) == 0


async def test_metrics_needs_the_bearer_token(health, caplog):
    stack, _, _ = health
    assert (await _metrics(stack, token=None))[0] == 401
    status, _, headers = await _metrics(stack, token="wrong-token-0000000000")
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    async with stack.http.get(stack.url("/metrics"), headers={"Authorization": f"Basic {METRICS_TOKEN}"}) as r:
        assert r.status == 401
    assert (await _metrics(stack))[0] == 200
    assert not [r for r in caplog.records if METRICS_TOKEN in r.getMessage()]


async def test_metrics_is_off_without_a_token(db_url, fake_server):
    stack = await _start(db_url, fake_server, metrics_token="")
    try:
        assert (await _metrics(stack, token=""))[0] == 404
        assert (await _metrics(stack, token="anything-at-all-12345"))[0] == 404
    finally:
        await stop_stack(stack)


def _forget_cashier() -> None:
    """WeCom still lists 王刚's customer 刘出纳; we lost the relation (a missed add event)."""
    (models.FollowRelation.delete()
     .where(models.FollowRelation.userid == "wanggang").execute())


async def test_drift_check_finds_a_contact_wecom_has_and_we_lack(health):
    stack, _, admin = health
    await run_sync(stack, _forget_cashier)
    status, page, _ = await admin.get("/admin/health")
    assert "还没有检查过" in page
    form = re.search(r'<form method="post" action="/admin/health/drift".*?</form>', page, re.S).group(0)
    assert f'name="_csrf" value="{admin.csrf}"' in form  # the button works in a browser, not only here
    status, _, headers = await admin.post("/admin/health/drift")
    assert status == 302 and headers["Location"].startswith("/admin/health")
    await stack.app[keys.TASKS].drain(30)
    status, page, _ = await admin.get("/admin/health")
    assert "已开始检查差异" in page  # the flash
    assert re.search(r'差异 <b class="bad">1</b>（企业微信有、本系统无 1；本系统有、企业微信无 0）', page)
    assert "王刚 <small>wanggang</small>" in page and "wmJinchengCashier" in page
    entry = await run_sync(stack, lambda: models.AuditLog.get(models.AuditLog.action == "health.drift_check"))
    assert entry.actor_label == "admin" and entry.entity == "DriftCheck"
    _, samples = _samples((await _metrics(stack))[1])
    assert _value(samples, "zhangfang_contacts_drift") == 1


async def test_a_failed_drift_check_is_shown_with_its_reason(health):
    stack, _, admin = health
    stack.fake.inject("externalcontact/list", 48002)  # the app lost the 客户联系 permission
    await admin.post("/admin/health/drift")
    await stack.app[keys.TASKS].drain(30)
    _, page, _ = await admin.get("/admin/health")
    assert "检查失败" in page and "externalcontact/list: errcode 48002" in page
    _, samples = _samples((await _metrics(stack))[1])
    assert _value(samples, "zhangfang_contacts_drift") is None  # no figure rather than a wrong one


def test_compare_counts_both_directions():
    totals, details = compare({"li": {"a", "b"}, "wang": {"c"}}, {"li": {"a"}, "wang": {"c"}, "gone": {"d", "e"}})
    assert totals == {"members": 2, "wecom": 3, "ours": 4, "missing": 1, "extra": 2}
    assert [(d["userid"], d["missing"], d["extra"], d["listed"]) for d in details] == [("gone", 0, 2, False),
                                                                                      ("li", 1, 0, True)]


def test_exposition_escapes_labels_and_help():
    out = Exposition()
    out.family("zhangfang_x", "gauge", "line one\nback\\slash", [({"v": 'a"b\\c\nd'}, 2), ({"v": "plain"}, 0.5)])
    _, samples = _samples(out.text())
    assert _value(samples, "zhangfang_x", v='a"b\\c\nd') == 2 and _value(samples, "zhangfang_x", v="plain") == 0.5
