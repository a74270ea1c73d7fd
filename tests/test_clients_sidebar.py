"""基础资料 tab API: profile, linking (L4/L5), contacts, tags — with access, CSRF and input checks."""
import pytest

import models
from tests.conftest import run_sync
from tests.factories import small_agency
from tests.sidebar_client import open_sidebar


@pytest.fixture
async def ids(stack):
    agency = await run_sync(stack, small_agency)
    return {k: v.id for k, v in agency.items()}


@pytest.fixture
async def li(stack, ids):
    client = await open_sidebar(stack, "lixiaomei", external_userid="wmHuaxiaBoss")
    yield client
    await client.close()


async def _count(stack, model):
    return await run_sync(stack, lambda: model.select().count())


async def test_profile_of_the_linked_client(li, ids):
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/profile")
    assert status == 200
    assert body["name"] == "杭州华夏科技有限公司" and body["taxpayer"] == "一般纳税人"
    assert body["wecom_contacts"][0]["name"] == "陈总" and body["groups"][0]["name"] == "华夏科技服务群"


async def test_profile_of_a_client_not_linked_to_this_chat_is_forbidden(li, ids):
    status, body = await li.get(f"/sidebar/api/clients/{ids['jincheng']}/profile")
    assert status == 403 and "关联" in body["error"]
    status, _ = await li.get("/sidebar/api/clients/99999/profile")
    assert status == 403  # a forged id is refused the same way, nothing revealed


async def test_link_a_visible_client_then_unlink(li, ids, stack):
    status, found = await li.get("/sidebar/api/clients/search", q="华信")
    assert status == 200 and found[0]["id"] == ids["huaxin"] and not found[0]["linked"]
    status, body = await li.post("/sidebar/api/links", json={"client_id": ids["huaxin"]})
    assert status == 200 and body["created"]
    status, ctx = await li.get("/sidebar/api/context")
    assert {c["id"] for c in ctx["clients"]} == {ids["huaxia"], ids["huaxin"]}
    audits = await run_sync(stack, lambda: [a.action for a in models.AuditLog.select()])
    assert "link_single" in audits
    status, _ = await li.request("DELETE", f"/sidebar/api/links/{ids['huaxin']}")
    assert status == 200
    status, ctx = await li.get("/sidebar/api/context")
    assert [c["id"] for c in ctx["clients"]] == [ids["huaxia"]]


async def test_linking_another_staff_members_client_is_forbidden(li, ids, stack):
    before = await _count(stack, models.ContactClientLink)
    status, body = await li.post("/sidebar/api/links", json={"client_id": ids["jincheng"]})
    assert status == 403
    assert await _count(stack, models.ContactClientLink) == before


async def test_writes_need_the_csrf_token(li, ids, stack):
    before = await _count(stack, models.ClientContact)
    for token in ("", "wrong-token"):
        status, body = await li.post(f"/sidebar/api/clients/{ids['huaxia']}/contacts",
                                     json={"name": "王会计"}, csrf=token)
        assert status == 403 and "校验" in body["error"]
    assert await _count(stack, models.ClientContact) == before


@pytest.mark.parametrize("payload, reason", [
    ({"name": ""}, "姓名"), ({"name": "张三", "mobile": "12345"}, "手机号"), ({"name": "张" * 40}, "姓名"),
])
async def test_bad_contact_input_is_400_with_a_reason_and_writes_nothing(li, ids, stack, payload, reason):
    before = await _count(stack, models.ClientContact)
    status, body = await li.post(f"/sidebar/api/clients/{ids['huaxia']}/contacts", json=payload)
    assert status == 400 and reason in body["error"]
    assert await _count(stack, models.ClientContact) == before


async def test_add_contact_and_edit_tags(li, ids, stack):
    status, body = await li.post(f"/sidebar/api/clients/{ids['huaxia']}/contacts",
                                 json={"name": "王会计", "title": "财务", "mobile": "13912345678"})
    assert status == 201 and body["name"] == "王会计"
    status, body = await li.request("PUT", f"/sidebar/api/clients/{ids['huaxia']}/tags", json={"tags": ["重点", "高新"]})
    assert status == 200
    _, profile = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/profile")
    assert profile["tags"] == ["重点", "高新"] and profile["contacts"][0]["mobile"] == "13912345678"
    status, body = await li.request("PUT", f"/sidebar/api/clients/{ids['huaxia']}/tags", json={"tags": ["x" * 20]})
    assert status == 400 and "12" in body["error"]


async def test_group_chat_scope_links_groups(stack, ids):
    client = await open_sidebar(stack, "lixiaomei", chat_id="wrHuaxiaGroup")
    try:
        status, body = await client.post("/sidebar/api/links", json={"client_id": ids["huaxin"]})
        assert status == 200
        linked = await run_sync(stack, lambda: models.GroupClientLink.select().count())
        assert linked == 2
    finally:
        await client.close()


async def test_staff_without_the_link_permission_cannot_link(stack, ids):
    await run_sync(stack, lambda: models.Staff.update(permissions=[]).where(
        models.Staff.wecom_userid == "wanggang").execute())
    client = await open_sidebar(stack, "wanggang", external_userid="wmJinchengCashier")
    try:
        status, body = await client.post("/sidebar/api/links", json={"client_id": ids["jincheng"]})
        assert status == 403 and "权限" in body["error"]
    finally:
        await client.close()
