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


# ---- marking a return from the tab (handlers/filings/marks.py, shared with the console and the bot) ----------

def _iit(ids):
    return models.TaxFiling.get((models.TaxFiling.client == ids["huaxia"]) & (models.TaxFiling.tax == "iit"))


def _filing_audits():
    return list(models.AuditLog.select().where(models.AuditLog.entity == "TaxFiling").order_by(models.AuditLog.id))


async def test_mark_a_return_filed_with_its_tax_and_date(li, tabs):
    stack, ids = tabs
    iit = await run_sync(stack, _iit, ids)
    path = f"/sidebar/api/clients/{ids['huaxia']}/filings/{iit.id}/mark"
    status, body = await li.post(path, {"kind": "filed", "amount": "1,234.56", "filed_on": "2026-11-20"})
    assert status == 200 and body == {"id": iit.id, "status": "filed", "amount_fen": 123456, "filed_on": "2026-11-20"}
    _, tab = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/filings", period="2026-10")
    row = [r for r in tab["groups"][0]["rows"] if r["tax"] == "个人所得税"][0]
    assert (row["status_label"], row["amount_fen"], row["filed_on"], row["state"]) == ("已申报", 123456, "2026-11-20",
                                                                                       "filed")
    [entry] = await run_sync(stack, _filing_audits)
    assert (entry.action, entry.actor_label, entry.before["status"], entry.after["via"]) == \
        ("filing.mark", "lixiaomei", "pending", "sidebar")


async def test_mark_a_return_zero_today(li, tabs):
    stack, ids = tabs
    iit = await run_sync(stack, _iit, ids)
    status, body = await li.post(f"/sidebar/api/clients/{ids['huaxia']}/filings/{iit.id}/mark", {"kind": "zero"})
    assert status == 200 and (body["amount_fen"], body["filed_on"]) == (0, "2026-11-26")
    _, tab = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/filings", period="2026-10")
    assert [r["state"] for r in tab["groups"][0]["rows"] if r["tax"] == "个人所得税"] == ["zero"]


async def test_marking_refuses_bad_input_other_clients_forged_tokens_and_members_without_the_right(li, tabs):
    stack, ids = tabs
    iit = await run_sync(stack, _iit, ids)
    path = f"/sidebar/api/clients/{ids['huaxia']}/filings/{iit.id}/mark"
    for payload, words in (({"kind": "filed", "amount": "", "filed_on": "2026-11-20"}, "请填写税额"),
                           ({"kind": "filed", "amount": "0"}, "零申报"),
                           ({"kind": "filed", "amount": "abc"}, "不是有效的税额"),
                           ({"kind": "zero", "filed_on": "2026-11-27"}, "不能晚于今天"),
                           ({"kind": "later"}, "请选择")):
        status, body = await li.post(path, payload)
        assert status == 400 and words in body["error"], (payload, body)
    jincheng_vat = await run_sync(stack, lambda: models.TaxFiling.get(models.TaxFiling.client == ids["jincheng"]).id)
    status, body = await li.post(f"/sidebar/api/clients/{ids['huaxia']}/filings/{jincheng_vat}/mark", {"kind": "zero"})
    assert status == 400 and "没有这条申报记录" in body["error"]
    status, body = await li.post(f"/sidebar/api/clients/{ids['jincheng']}/filings/{jincheng_vat}/mark", {"kind": "zero"})
    assert status == 403  # 锦程贸易 is not linked to 陈总's chat
    status, _ = await li.request("POST", path, json={"kind": "zero"}, csrf="forged")
    assert status == 403
    await run_sync(stack, lambda: models.Staff.update(permissions=["wecom.link"])
                   .where(models.Staff.wecom_userid == "lixiaomei").execute())
    status, body = await li.post(path, {"kind": "zero"})
    assert status == 403 and "报税情况" in body["error"]
    assert await run_sync(stack, _filing_audits) == [] and (await run_sync(stack, _iit, ids)).status == "pending"
