"""缺票 flags set and resolved from the sidebar (服务 and 收票 tabs share the endpoints): the same rule as the console
(one flag per client and period; flagging again reopens it), the chat's scope, CSRF, and the audit log."""
import models
from tests.conftest import run_sync
from tests.sidebar_tabs import audits, li, tabs, wang  # noqa: F401 - fixtures


async def test_flag_and_resolve_from_the_sidebar(li, tabs):
    stack, ids = tabs
    base = f"/sidebar/api/clients/{ids['huaxia']}"
    status, body = await li.post(base + "/missing", json={"period": "2027-01", "note": "缺少1月进项发票"})
    assert status == 201 and body["period"] == "2027-01"
    _, overview = await li.get(base + "/services")
    assert any(m["id"] == body["id"] and m["note"] == "缺少1月进项发票" for m in overview["missing"])
    status, done = await li.post(base + f"/missing/{body['id']}/resolve", json={})
    assert status == 200 and done["changed"] is True
    _, overview = await li.get(base + "/services")
    assert all(m["id"] != body["id"] for m in overview["missing"])
    # flagging the period again reopens the same flag with the new note
    status, again = await li.post(base + "/missing", json={"period": "2027-01", "note": "还缺2张"})
    assert status == 201 and again["id"] == body["id"]
    flag = await run_sync(stack, models.MissingInvoiceFlag.get_by_id, body["id"])
    assert flag.resolved_at is None and flag.note == "还缺2张"
    actions = [a for a in await audits(stack) if a.startswith("missing_flag")]
    assert actions[-3:] == ["missing_flag.create", "missing_flag.resolve", "missing_flag.create"]


async def test_refusals_write_nothing(li, wang, tabs):
    stack, ids = tabs
    before = await run_sync(stack, models.MissingInvoiceFlag.select().count)
    base = f"/sidebar/api/clients/{ids['huaxia']}"
    status, body = await li.post(base + "/missing", json={"period": "2027-13"})
    assert status == 400 and "期间格式" in body["error"]
    status, body = await li.post(base + "/missing", json={"period": "2027-01"}, csrf="forged")
    assert status == 403
    status, body = await wang.post(base + "/missing", json={"period": "2027-01"})  # not linked to his chat
    assert status == 403
    other = await run_sync(stack, lambda: models.MissingInvoiceFlag.create(client=ids["jincheng"], period="2027-02"))
    status, _ = await li.post(base + f"/missing/{other.id}/resolve", json={})
    assert status == 404
    assert await run_sync(stack, models.MissingInvoiceFlag.select().count) == before + 1
    assert (await run_sync(stack, models.MissingInvoiceFlag.get_by_id, other.id)).resolved_at is None
