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
    # The ¥104.00 input is on a 普票 and is not deducted (this used to be 9100).
    assert (e["payable_fen"], e["deductible_tax_fen"], e["undeducted_tax_fen"]) == (19500, 0, 10400)
    assert e["cycle"] == "monthly"
    assert e["notes"][0] == "以上为预估数，以实际申报为准。估算依据："
    assert "· 只有专票的进项税额可以抵扣，本期普票等凭证的进项税额 ¥104.00 未抵扣；" in e["notes"]
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/invoices", period="2026-10", direction="input")
    assert [i["amount_fen"] for i in body["invoices"]] == [80000]


async def test_invoice_data_reminder_for_a_general_taxpayer(li, tabs):
    _, ids = tabs
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/invoices/reminder", period="2026-10")
    assert status == 200
    text = body["text"]
    assert text.startswith("【开票数据提醒】杭州华夏科技有限公司") and "2026年10月" in text
    assert "销项发票 2 张，不含税金额 ¥1,500.00，税额 ¥195.00" in text
    assert "预计本期应纳增值税约 ¥195.00。" in text  # the 普票 input is not deducted (this used to say ¥91.00)
    assert "以上为预估数" in text and "本期普票等凭证的进项税额 ¥104.00 未抵扣" in text
    assert "11月16日申报截止前" in text  # the 15th is a Sunday: the deadline rolls over to Monday


async def test_invoice_data_reminder_for_a_small_scale_taxpayer(wang, tabs):
    _, ids = tabs
    status, body = await wang.get(f"/sidebar/api/clients/{ids['jincheng']}/invoices/reminder", period="2026-10")
    assert status == 200
    # ¥1,234.56 of 普票 sales is within the quarter's exemption (this used to say ¥12.35 at 1%).
    assert "预计2026年第4季度（10月）累计应纳增值税约 ¥0.00。" in body["text"]
    assert "销售额未超过季度免征额度 ¥300,000.00：普票销售额免征" in body["text"]
    assert "征收率 1%（2023年1月1日起至2027年12月31日适用" in body["text"] and "进项税额不能抵扣" in body["text"]
    assert "1月15日申报截止前" in body["text"]  # filed with the quarter ending in December


@pytest.mark.parametrize("query, reason", [
    ({"period": "2026-13"}, "期间"), ({"direction": "both"}, "方向"), ({"offset": "-1"}, "翻页"),
    ({"offset": "²"}, "翻页"), ({"offset": "9" * 5000}, "翻页"),
])
async def test_bad_parameters_are_400_with_a_reason(li, tabs, query, reason):
    _, ids = tabs
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/invoices", **query)
    assert status == 400 and reason in body["error"]
