"""The signed-in console fixture of the entry tests: a small agency and members opened on demand."""
import pytest

import models
from tests.conftest import run_sync, start_stack, stop_stack
from tests.console_client import open_console
from tests.factories import small_agency


@pytest.fixture
async def console(db_url, fake_server):
    stack = await start_stack(db_url, fake_server)
    ids = await run_sync(stack, small_agency)
    opened = []

    async def open_as(userid):
        opened.append(await open_console(stack, userid))
        return opened[-1]
    yield stack, ids, open_as
    for client in opened:
        await client.close()
    await stop_stack(stack)


def actions() -> list[str]:
    return [a.action for a in models.AuditLog.select().where(models.AuditLog.action != "console.signin")
            .order_by(models.AuditLog.id)]


def only(userid: str, permissions: list[str]):
    """Set a member's permissions (a database function for run_sync)."""
    return lambda: models.Staff.update(permissions=permissions).where(models.Staff.wecom_userid == userid).execute()
