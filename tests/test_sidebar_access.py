"""Every tab endpoint refuses what it must: another member's chat, a client not linked to the chat (or a forged id),
a write without the page's CSRF token, a member without the tab's permission, and a request without a session."""
import aiohttp
import pytest

import models
from tests.conftest import run_sync
from tests.sidebar_client import open_sidebar, signed_in_get
from tests.sidebar_tabs import count, li, tabs  # noqa: F401 - fixtures

# (method, path under /sidebar/api/clients/{id}, permission); ids in the paths are placeholders: access is checked
# before anything is looked up.
ENDPOINTS = [
    ("GET", "/services", "wecom.service"), ("GET", "/services/1/reminder", "wecom.service"),
    ("GET", "/missing/1/reminder", "wecom.service"),
    ("GET", "/billing", "wecom.billing"), ("POST", "/billing/reminder", "wecom.billing"),
    ("POST", "/payments/preview", "wecom.billing"), ("POST", "/payments", "wecom.billing"),
    ("GET", "/payments", "wecom.billing"), ("POST", "/payments/1/receipt", "wecom.billing"),
    ("GET", "/collections", "wecom.collection"), ("GET", "/collections/2026-10", "wecom.collection"),
    ("PUT", "/collections/2026-11", "wecom.collection"), ("POST", "/collections/2026-10/image", "wecom.collection"),
    ("GET", "/followups", "wecom.followup"), ("POST", "/followups", "wecom.followup"),
    ("GET", "/filings", "wecom.filing"), ("GET", "/filings/notice", "wecom.filing"),
    ("GET", "/reports", "wecom.report"), ("POST", "/reports/2026-10/file", "wecom.report"),
    ("GET", "/invoices", "wecom.invoice"), ("GET", "/invoices/reminder", "wecom.invoice"),
    ("POST", "/contacts", "wecom.link"), ("PUT", "/tags", "wecom.link"),  # the 基础资料 tab's writes
]
WRITES = [e for e in ENDPOINTS if e[0] != "GET"] + [("POST", "knowledge", "")]
BODY = {"items": [{"id": 1}], "amount": "1", "receivable_ids": [1], "plan": [[1, 100]]}
def _url(ids, client: str, path: str) -> str:
    if path == "knowledge":
        return "/sidebar/api/knowledge/1/send"
    return f"/sidebar/api/clients/{ids[client]}{path}"


async def _written(stack) -> list[int]:
    return [await count(stack, m) for m in (models.Payment, models.InvoiceCollection, models.FollowUp,
                                            models.ClientContact, models.AuditLog, models.KnowledgeEntry)]


async def test_another_members_chat_is_forbidden(tabs):
    stack, ids = tabs
    wang = await open_sidebar(stack, "wanggang", external_userid="wmHuaxiaBoss")
    try:
        for method, path, _ in ENDPOINTS:
            status, body = await wang.request(method, _url(ids, "huaxia", path), json=BODY)
            assert status == 403 and "无权" in body["error"], (method, path)
    finally:
        await wang.close()


async def test_a_client_not_linked_to_the_chat_or_a_forged_id_is_forbidden(li, tabs):
    stack, ids = tabs
    before = await _written(stack)
    for method, path, _ in ENDPOINTS:
        for client_id in (ids["jincheng"], 99999):
            status, body = await li.request(method, f"/sidebar/api/clients/{client_id}{path}", json=BODY)
            assert status == 403 and "关联" in body["error"], (method, path, client_id)
    assert await _written(stack) == before


async def test_writes_without_the_csrf_token_are_refused(li, tabs):
    stack, ids = tabs
    before = await _written(stack)
    for method, path, _ in WRITES:
        for token in ("", "forged-token"):
            status, body = await li.request(method, _url(ids, "huaxia", path), json=BODY, csrf=token)
            assert status == 403 and "校验" in body["error"], (method, path, token)
    assert await _written(stack) == before
    assert stack.fake.media == {}


@pytest.mark.parametrize("perm", models.WECOM_PERMISSIONS)
async def test_a_member_without_the_tabs_permission_is_refused(li, tabs, perm):
    stack, ids = tabs
    others = [p for p in models.WECOM_PERMISSIONS if p != perm]
    await run_sync(stack, lambda: models.Staff.update(permissions=others)
                   .where(models.Staff.wecom_userid == "lixiaomei").execute())
    for method, path, needed in ENDPOINTS:
        status, body = await li.request(method, _url(ids, "huaxia", path), json=BODY)
        if needed == perm:
            assert status == 403 and "权限" in body["error"], (method, path)
        else:
            assert status != 403, (method, path, body)


async def test_without_a_session_every_tab_answers_401(tabs):
    stack, ids = tabs
    async with aiohttp.ClientSession() as anonymous:
        for method, path, _ in ENDPOINTS + [("GET", "knowledge", "")]:
            url = "/sidebar/api/knowledge" if path == "knowledge" else _url(ids, "huaxia", path)
            async with anonymous.request(method, stack.url(url), params={"external_userid": "wmHuaxiaBoss"}) as r:
                assert r.status == 401, (method, path)


async def test_knowledge_needs_a_chat_the_member_may_see(tabs):
    stack, _ = tabs
    wang = await open_sidebar(stack, "wanggang", external_userid="wmHuaxiaBoss")
    try:
        status, _ = await wang.get("/sidebar/api/knowledge", q="增值税")
        assert status == 403
    finally:
        await wang.close()


async def test_an_unbound_member_is_told_how_to_bind(tabs):
    stack, _ = tabs
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        _, page, _ = await signed_in_get(stack, session, "newbie")
    assert "请向管理员索取绑定码，然后在企业微信中给账房应用发送「绑定 绑定码」" in page
