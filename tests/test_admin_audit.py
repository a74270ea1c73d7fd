"""操作日志: every write is there with who, when, before and after, in Chinese, and the filters narrow it by person,
kind and agency date."""
from datetime import datetime, timezone

import pytest

import models
from tests.conftest import run_sync, start_stack, stop_stack
from tests.console_client import open_console
from tests.factories import small_agency


def _history(ids: dict) -> None:
    models.AuditLog.delete().execute()
    at = datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc)  # 23:30 on the 20th in Shanghai
    models.AuditLog.create(at=at, actor=ids["admin"], actor_label="admin", action="staff.permissions",
                           entity="Staff", entity_id=str(ids["li"].id), before={"permissions": []},
                           after={"permissions": ["wecom.billing"]})
    models.AuditLog.create(at=datetime(2026, 11, 20, 16, 30, tzinfo=timezone.utc), actor=ids["li"],
                           actor_label="lixiaomei", action="payment.record", entity="Payment", entity_id="7",
                           after={"amount_fen": 30000})


@pytest.fixture
async def console(db_url, fake_server):
    stack = await start_stack(db_url, fake_server)
    ids = await run_sync(stack, small_agency)
    await run_sync(stack, _history, ids)
    yield stack, ids
    await stop_stack(stack)


async def test_the_log_names_who_did_what_with_before_and_after(console):
    stack, _ = console
    admin = await open_console(stack, "admin")
    try:
        status, page, _ = await admin.get("/admin/audit", kind="staff")
        assert status == 200 and "修改权限" in page and "张总" in page and "wecom.billing" in page
        assert "登记收款" not in page  # the other kind is filtered out
    finally:
        await admin.close()


async def test_filters_by_person_and_by_the_agencys_date(console):
    stack, ids = console
    admin = await open_console(stack, "admin")
    try:
        _, page, _ = await admin.get("/admin/audit", actor=str(ids["li"].id))
        assert "登记收款" in page and "修改权限" not in page
        # 16:30 UTC on the 20th is 00:30 on the 21st in Shanghai: the day filter follows the agency's day.
        _, page, _ = await admin.get("/admin/audit", **{"from": "2026-11-21", "to": "2026-11-21"})
        assert "登记收款" in page and "修改权限" not in page
        _, page, _ = await admin.get("/admin/audit", **{"from": "2026-11-20", "to": "2026-11-20"})
        assert "修改权限" in page and "登记收款" not in page
        status, page, _ = await admin.get("/admin/audit", **{"from": "2026-13-40", "actor": "x"})
        assert status == 200 and "共 " in page  # nonsense filters are ignored, not a 500
    finally:
        await admin.close()
