"""发票 tab API: the period's invoices in both directions, estimated VAT, and the 开票数据提醒 text."""
import pytest

from tests.sidebar_tabs import li, tabs, wang  # noqa: F401 - fixtures


async def test_output_invoices_and_estimated_vat_of_a_general_taxpayer(li, tabs):
    _, ids = tabs
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/invoices", period="2026-10")
    assert status == 200 and body["direction"] == "output" and not body["more"]
    assert [(i["amount_fen"], i["status_label"], i["rate"]) for i in body["invoices"]] == [
        (100000, "正常", "13%"), (50000, "正常", "13%"), (70000, "作废", "13%")]
    e = body["estimate"]
    assert e["general"] and (e["output"]["count"], e["output"]["tax_fen"], e["input"]["tax_fen"]) == (2, 19500, 10400)
    assert e["payable_fen"] == 9100
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/invoices", period="2026-10", direction="input")
    assert [i["amount_fen"] for i in body["invoices"]] == [80000]


async def test_invoice_data_reminder_for_a_general_taxpayer(li, tabs):
    _, ids = tabs
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/invoices/reminder", period="2026-10")
    assert status == 200
    text = body["text"]
    assert text.startswith("【开票数据提醒】杭州华夏科技有限公司") and "2026年10月" in text
    assert "销项发票 2 张，不含税金额 ¥1,500.00，税额 ¥195.00" in text and "约 ¥91.00" in text
    assert "11月16日申报截止前" in text  # the 15th is a Sunday: the deadline rolls over to Monday


async def test_invoice_data_reminder_for_a_small_scale_taxpayer(wang, tabs):
    _, ids = tabs
    status, body = await wang.get(f"/sidebar/api/clients/{ids['jincheng']}/invoices/reminder", period="2026-10")
    assert status == 200
    assert "约 ¥12.35（按征收率 1% 估算）" in body["text"] and "进项税额不能抵扣" in body["text"]
    assert "1月15日申报截止前" in body["text"]  # filed with the quarter ending in December


@pytest.mark.parametrize("query, reason", [
    ({"period": "2026-13"}, "期间"), ({"direction": "both"}, "方向"), ({"offset": "-1"}, "翻页"),
])
async def test_bad_parameters_are_400_with_a_reason(li, tabs, query, reason):
    _, ids = tabs
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/invoices", **query)
    assert status == 400 and reason in body["error"]
