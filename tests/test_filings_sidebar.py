"""报税 tab API: status by period and tax (quarterly returns by quarter) and the 报税完成通知 text."""
import models
from tests.conftest import run_sync
from tests.sidebar_tabs import li, tabs, wang  # noqa: F401 - fixtures


async def test_status_by_period_and_tax(li, tabs):
    _, ids = tabs
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/filings")
    assert status == 200 and body["period"] == "2026-10" and body["taxpayer"] == "一般纳税人"
    monthly, quarterly = body["groups"]
    assert [(r["tax"], r["status_label"], r["amount_fen"], r["filed_on"]) for r in monthly["rows"]] == [
        ("增值税", "已申报", 9100, "2026-11-10"), ("附加税费", "已申报", 1092, "2026-11-10"), ("个人所得税", "未申报", 0, "")]
    assert quarterly["title"].startswith("上季度 2026年第3季度") and quarterly["rows"][0]["status_label"] == "已缴款"
    assert body["periods"][:2] == ["2026-10", "2026-09"] and len(body["periods"]) == 12


async def test_another_period_and_a_bad_one(li, tabs):
    _, ids = tabs
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/filings", period="2026-05")
    assert status == 200 and body["groups"] == [] and body["period_label"] == "2026年5月"
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/filings", period="十月")
    assert status == 400 and "期间" in body["error"]


async def test_filing_done_notice_lists_what_was_filed_and_what_is_still_pending(li, tabs):
    _, ids = tabs
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/filings/notice", period="2026-10")
    assert status == 200
    text = body["text"]
    assert text.startswith("【报税完成通知】杭州华夏科技有限公司") and "2026年10月的纳税申报已办理" in text
    assert "· 增值税：已申报，税额 ¥91.00（2026-11-10）" in text and "· 企业所得税：已缴款，税额 ¥2,500.00" in text
    assert "已申报待缴税款合计 ¥101.92" in text and "个人所得税尚在办理中" in text


async def test_no_notice_before_anything_is_filed(li, tabs):
    stack, ids = tabs
    await run_sync(stack, lambda: models.TaxFiling.update(status="pending").execute())
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/filings/notice", period="2026-10")
    assert status == 409 and "还没有已申报" in body["error"]
