"""接口令牌 in the console: an admin creates a token (its secret shown once, never cached), sees it listed with its
last use, revokes it (the API refuses it at once); both writes are in the audit log."""
from __future__ import annotations

import re

import models
from tests.api_kit import call
from tests.conftest import run_sync
from tests.console_client import open_console
from tests.factories import small_agency

SECRET = re.compile(r'value="(zf_[A-Za-z0-9_-]+)"')


async def test_admin_creates_lists_and_revokes_a_token(stack):
    await run_sync(stack, small_agency)
    console = await open_console(stack, "admin")
    try:
        status, page, _ = await console.get("/admin/api-tokens")
        assert status == 200 and "还没有令牌" in page
        status, page, headers = await console.post("/admin/api-tokens", {"name": "记账软件", "scope": "write"})
        assert status == 200 and headers["Cache-Control"] == "no-store" and "离开本页后将无法再次查看" in page
        secret = SECRET.search(page).group(1)
        assert (await call(stack, "GET", "/api/v1/clients", secret))[0] == 200

        status, page, _ = await console.get("/admin/api-tokens")
        assert secret not in page and "记账软件" in page and "读写" in page and "从未使用" not in page
        status, page, _ = await console.post("/admin/api-tokens", {"name": "记账软件", "scope": "read"})
        assert status == 422 and "已有名为「记账软件」的令牌" in page

        token_id = await run_sync(stack, lambda: models.ApiToken.get().id)
        status, _, headers = await console.post(f"/admin/api-tokens/{token_id}/revoke", {})
        assert status == 302 and headers["Location"] == "/admin/api-tokens"
        status, page, _ = await console.get("/admin/api-tokens")
        assert "已吊销令牌「记账软件」" in page and "已吊销" in page
        assert (await call(stack, "GET", "/api/v1/clients", secret))[0] == 401
        audits = await run_sync(stack, lambda: [(a.action, a.actor_label) for a in models.AuditLog.select().where(
            models.AuditLog.entity == "ApiToken").order_by(models.AuditLog.id)])
        assert audits == [("api.token_create", "admin"), ("api.token_revoke", "admin")]
    finally:
        await console.close()
