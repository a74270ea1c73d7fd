"""服务 tab API: services with term and status, 到期提醒 and 缺票提醒 texts with the client's real figures."""
from datetime import date

import models
from tests.conftest import run_sync
from tests.sidebar_tabs import li, tabs, wang  # noqa: F401 - fixtures


async def test_services_show_term_status_and_the_open_missing_flag(li, tabs):
    _, ids = tabs
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/services")
    assert status == 200
    [service] = body["services"]
    assert (service["kind_label"], service["name"], service["end"]) == ("记账", "代理记账", "2026-12-21")
    assert service["status_label"] == "服务中" and service["days_left"] == 25 and service["soon"]
    assert [(m["period_label"], m["note"]) for m in body["missing"]] == [("2026年10月", "缺少10月进项发票3张")]


async def test_expiry_reminder_text_names_the_service_end_and_fee(li, tabs):
    _, ids = tabs
    _, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/services")
    service_id = body["services"][0]["id"]
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/services/{service_id}/reminder")
    assert status == 200
    text = body["text"]
    assert text.startswith("【服务到期提醒】杭州华夏科技有限公司")
    assert "将于 2026-12-21 到期，还剩 25 天" in text and "¥3,600.00/按年" in text


async def test_a_renewed_term_gets_no_reminder(li, tabs):
    stack, ids = tabs

    def renew():
        models.Service.create(client=ids["huaxia"], kind="bookkeeping", name="代理记账", start_date=date(2026, 12, 22),
                              end_date=date(2027, 12, 21), fee_fen=360000)
        first = models.Service.select().where(models.Service.client == ids["huaxia"]).order_by(models.Service.id)
        return first.first().id

    old_id = await run_sync(stack, renew)
    _, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/services")
    assert [s["status_label"] for s in body["services"]][-1] == "已续费"
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/services/{old_id}/reminder")
    assert status == 409 and "已续费" in body["error"]


async def test_missing_invoice_reminder_quotes_the_accountants_note(li, tabs):
    _, ids = tabs
    _, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/services")
    flag_id = body["missing"][0]["id"]
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/missing/{flag_id}/reminder")
    assert status == 200
    assert body["text"].startswith("【缺票提醒】杭州华夏科技有限公司")
    assert "2026年10月" in body["text"] and "缺少10月进项发票3张" in body["text"]


async def test_another_clients_service_or_flag_is_not_found(li, wang, tabs):
    stack, ids = tabs
    _, body = await wang.get(f"/sidebar/api/clients/{ids['jincheng']}/services")
    jincheng_service = body["services"][0]["id"]
    jincheng_flag = body["missing"][0]["id"]
    status, _ = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/services/{jincheng_service}/reminder")
    assert status == 404
    status, _ = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/missing/{jincheng_flag}/reminder")
    assert status == 404


async def test_a_resolved_flag_is_not_offered(tabs):
    stack, ids = tabs
    from tests.sidebar_client import open_sidebar
    admin = await open_sidebar(stack, "admin", chat_id="wrHuaxiaGroup")
    try:
        await admin.post("/sidebar/api/links", json={"client_id": ids["huaxin"]})
        status, body = await admin.get(f"/sidebar/api/clients/{ids['huaxin']}/services")
        assert status == 200 and body["missing"] == []
    finally:
        await admin.close()
