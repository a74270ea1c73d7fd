"""Image and file commands over the real callback path: an empty 200, then one upload and one message/send."""
import asyncio
import io

import openpyxl
import pytest

from tests.cmd_data import rich_agency
from tests.cmdbot import NOW
from tests.conftest import run_sync, start_stack, stop_stack


@pytest.fixture
async def stack(db_url, fake_server):
    """The server on the tests' fixed day (26 November 2026), with the demo-like records."""
    s = await start_stack(db_url, fake_server, clock=lambda: NOW)
    await run_sync(s, rich_agency)
    yield s
    await stop_stack(s)


async def _wait_for(predicate, seconds=10.0):
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return predicate()


async def test_receipt_command_uploads_one_png_and_sends_it(stack):
    delivery = await stack.driver.send_text("lixiaomei", "收据 华夏")
    assert (delivery.status, delivery.body, delivery.reply) == (200, "", None)
    assert await _wait_for(lambda: stack.fake.calls_to("message/send"))
    await asyncio.sleep(0.1)  # nothing else follows
    assert len(stack.fake.calls_to("media/upload")) == 1 and len(stack.fake.calls_to("message/send")) == 1
    (media_id, media), = stack.fake.media.items()
    assert media.type == "image" and media.filename == "收据-2026-000002.png"
    assert media.data.startswith(b"\x89PNG\r\n\x1a\n") and len(media.data) < 300_000
    sent, = stack.fake.messages_for("lixiaomei")
    assert sent.msgtype == "image" and sent.content["media_id"] == media_id


async def test_reports_command_sends_the_xlsx_as_a_file(stack):
    delivery = await stack.driver.send_text("lixiaomei", "报表 华夏")
    assert (delivery.status, delivery.body) == (200, "")
    assert await _wait_for(lambda: stack.fake.messages_for("lixiaomei"))
    (media_id, media), = stack.fake.media.items()
    assert media.type == "file" and media.filename == "华夏科技-2026-10-报表.xlsx"
    assert openpyxl.load_workbook(io.BytesIO(media.data)).sheetnames == ["资产负债表", "利润表"]
    sent, = stack.fake.messages_for("lixiaomei")
    assert sent.msgtype == "file" and sent.content["media_id"] == media_id
