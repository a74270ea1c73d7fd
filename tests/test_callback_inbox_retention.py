"""The callback inbox does not grow for ever: the scheduler leader deletes rows past WeCom's retry and replay
window (wecom.callback_inbox_retention), a bounded batch per statement, and a retry inside it is still a repeat."""
import asyncio
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestServer

import models
from bot import keys
from bot.app import create_app
from bot.config.settings import ConfigError, load_config
from bot.edge import inbox
from bot.sandbox.driver import CallbackDriver
from tests.conftest import AES_KEY, AGENT_ID, CORP_ID, TOKEN, make_config


def _rows(ages_in_hours: list[float]) -> None:
    now = models.utcnow()
    for n, hours in enumerate(ages_in_hours):
        models.CallbackInbox.create(dedupe_key=f"old-{n}", kind="text", state="done",
                                    received_at=now - timedelta(hours=hours))


def test_prune_deletes_the_oldest_rows_first_and_at_most_the_batch(database):
    _rows([50, 49, 48, 47, 1])
    before = models.utcnow() - timedelta(hours=24)
    assert inbox.prune(before, 2) == 2
    left = sorted(r.dedupe_key for r in models.CallbackInbox.select())
    assert left == ["old-2", "old-3", "old-4"]
    assert inbox.prune(before, 2) == 2 and inbox.prune(before, 2) == 0
    assert [r.dedupe_key for r in models.CallbackInbox.select()] == ["old-4"]  # inside the retention: kept


async def test_the_running_server_prunes_old_rows_and_still_knows_recent_ones(database, db_url, fake_server):
    _, api_base = fake_server
    _rows([30, 20, 10, 5, 2])  # five rows past an hour: three batches of at most two
    config = make_config(db_url, api_base).replace(
        jobs={"enabled": True, "lease_ttl": 2},
        wecom={"callback_inbox_retention": 3600, "callback_inbox_prune_batch": 2})
    app = create_app(config)
    server = TestServer(app)
    await server.start_server()
    try:
        db = app[keys.DB]
        driver = CallbackDriver(str(server.make_url(config.wecom.callback_path)), TOKEN, AES_KEY, CORP_ID,
                                AGENT_ID, server.app[keys.HTTP])
        first = await driver.send_text("stranger", "你好", msg_id="777")
        for _ in range(100):  # the leader prunes as soon as it holds the lease
            keys_left = await db.run(lambda: sorted(r.dedupe_key for r in models.CallbackInbox.select()))
            if not any(k.startswith("old-") for k in keys_left):
                break
            await asyncio.sleep(0.05)
        assert len(keys_left) == 1 and not keys_left[0].startswith("old-")  # only the fresh callback is left
        again = await driver.send_text("stranger", "你好", msg_id="777")  # WeCom's retry: still a repeat
        assert first.status == again.status == 200
        assert await db.run(lambda: models.CallbackInbox.select().count()) == 1
    finally:
        await server.close()


@pytest.mark.parametrize("yaml, key", [
    ("wecom:\n  callback_inbox_retention: 500\n", "wecom.callback_inbox_retention: must be at least twice"),
    ("wecom:\n  callback_inbox_prune_batch: 0\n", "wecom.callback_inbox_prune_batch: must be between"),
    ("binding:\n  max_failures: 0\n", "binding.max_failures: must be between"),
    ("binding:\n  lockout: 5\n", "binding.lockout: must be at least 60"),
    ("knowledge:\n  gaps_per_member_daily: -1\n", "knowledge.gaps_per_member_daily: must be between"),
])
def test_limits_out_of_range_stop_start_up_with_the_key(tmp_path, yaml, key):
    path = tmp_path / "c.yaml"
    path.write_text(yaml, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, require_wecom=False)
    assert str(err.value).startswith(key) and "\n" not in str(err.value)
