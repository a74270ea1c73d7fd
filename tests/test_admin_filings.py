"""报税看板 (X4) in the console: a period's returns by accountant with the days to the deadline, filters, export,
bulk 已申报 / 零申报, the per-return form (mark, correct, 撤销申报), who sees what, and the audit log."""
import io
import re
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest

import models
from tests.conftest import run_sync, start_stack, stop_stack
from tests.console_client import open_console
from tests.factories import small_agency
from tests.reminder_helpers import Clock

SHANGHAI = timezone(timedelta(hours=8))
FRIDAY = datetime(2026, 11, 13, 10, 0, tzinfo=SHANGHAI)  # October's returns are due Monday 16 November


def season_data() -> dict:
    """李小梅 keeps the books of 华夏科技, 王刚 of 锦程贸易; 华信建材 has no accountant. October's returns."""
    ids = small_agency(FRIDAY.date())
    models.Client.update(accountant=ids["li"]).where(models.Client.id == ids["huaxia"].id).execute()
    f = {}
    for key, client, tax, status, fen in (("hx_vat", "huaxia", "vat", "pending", 0),
                                          ("hx_surtax", "huaxia", "surtax", "pending", 0),
                                          ("hx_iit", "huaxia", "iit", "filed", 12000),
                                          ("hxin_vat", "huaxin", "vat", "filed", 0),
                                          ("jc_iit", "jincheng", "iit", "pending", 0)):
        filed_at = FRIDAY - timedelta(days=3) if status != "pending" else None
        f[key] = models.TaxFiling.create(client=ids[client], period="2026-10", tax=tax, status=status,
                                         amount_fen=fen, filed_at=filed_at).id
    f["jc_q3"] = models.TaxFiling.create(client=ids["jincheng"], period="2026-09", tax="vat", cycle="quarterly").id
    return {**ids, **f}


@pytest.fixture
async def world(db_url, fake_server):
    clock = Clock(FRIDAY)
    stack = await start_stack(db_url, fake_server, clock=clock)
    ids = await run_sync(stack, season_data)
    yield stack, ids, clock
    await stop_stack(stack)


def counts(line: str) -> list[int]:
    """The numbers in a summary line's cells, linked or not."""
    return [int(n) for n in re.findall(r'class="num[^"]*">(?:<a [^>]*>)?(\d+)', line)]


def _filing(filing_id):
    return models.TaxFiling.get_by_id(filing_id)


def _audits(action=None):
    query = models.AuditLog.select().where(models.AuditLog.entity == "TaxFiling").order_by(models.AuditLog.id)
    return [a for a in query if action is None or a.action == action]


async def test_the_board_counts_each_accountants_returns_and_the_days_to_the_deadline(world):
    stack, ids, _ = world
    admin = await open_console(stack, "admin")
    try:
        status, page, _ = await admin.get("/admin/filings")
        assert status == 200 and "报税看板" in page
        assert "2026年10月" in page and "2026-11-16" in page and "还剩 3 天" in page  # the current filing period
        assert "税总办征科函〔2025〕64号" in page  # the published calendar the date comes from
        summary = page.split("按会计汇总")[1].split("申报明细")[0]
        li_line = summary.split("李小梅")[1].split("</tr>")[0]
        assert counts(li_line) == [2, 0, 1, 0, 3]  # 未申报, 逾期, 已申报, 零申报, 合计
        assert "（未分配会计）" in summary and "王刚" in summary
        assert page.count('name="ids"') == 5 and "华夏科技" in page and "锦程贸易" in page
    finally:
        await admin.close()


async def test_pending_becomes_overdue_the_day_after_the_deadline_in_the_agencys_zone(world):
    stack, _, clock = world
    clock.set(datetime(2026, 11, 16, 23, 59, tzinfo=SHANGHAI))  # the deadline day, still on time
    admin = await open_console(stack, "admin")
    try:
        _, page, _ = await admin.get("/admin/filings", state="overdue")
        assert "今天截止" in page and "没有符合条件的申报" in page
        clock.set(datetime(2026, 11, 17, 0, 1, tzinfo=SHANGHAI))  # 16:01 UTC on the 16th: already the 17th here
        _, page, _ = await admin.get("/admin/filings", state="overdue", period="2026-10")
        assert "已过 1 天" in page and page.count('name="ids"') == 3 and "state-overdue" in page
    finally:
        await admin.close()


async def test_filters_search_and_an_export_with_the_same_filters(world):
    stack, ids, _ = world
    admin = await open_console(stack, "admin")
    try:
        _, page, _ = await admin.get("/admin/filings", accountant=str(ids["li"].id), state="pending")
        assert page.count('name="ids"') == 2 and "锦程贸易" not in page.split("申报明细")[1]
        _, page, _ = await admin.get("/admin/filings", accountant="0")
        assert page.count('name="ids"') == 1 and "华信建材" in page.split("申报明细")[1]
        _, page, _ = await admin.get("/admin/filings", tax="iit", q="锦程")
        assert page.count('name="ids"') == 1
        _, page, _ = await admin.get("/admin/filings", period="2026-09")
        assert page.count('name="ids"') == 1 and "逾期" in page and "已过 18 天" in page  # due 26 October
        status, body, headers = await admin.get("/admin/filings/export.xlsx", state="filed")
        assert status == 200 and "spreadsheetml" in headers["Content-Type"]
        sheet = openpyxl.load_workbook(io.BytesIO(body)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:5] == ("客户名称", "会计", "税种", "申报周期", "状态")
        assert [r[:6] for r in rows[1:]] == [("杭州华夏科技有限公司", "李小梅", "个人所得税", "按月", "已申报", 120)]
    finally:
        await admin.close()


async def test_staff_see_only_their_own_clients_returns(world):
    stack, ids, _ = world
    wang = await open_console(stack, "wanggang")
    try:
        _, page, _ = await wang.get("/admin/filings")
        assert "锦程贸易" in page and "华夏科技" not in page and "华信建材" not in page
        assert page.count('name="ids"') == 1
        status, page, _ = await wang.get(f"/admin/filings/{ids['hx_vat']}")
        assert status == 404 and "华夏" not in page
        before = await run_sync(stack, _audits)
        status, page, _ = await wang.post("/admin/filings", {"ids": str(ids["hx_vat"]), "kind": "zero",
                                                             "filed_on": "2026-11-12"})
        assert status == 400 and "无权" in page
        assert await run_sync(stack, _audits) == before and (await run_sync(stack, _filing, ids["hx_vat"])).status == "pending"
    finally:
        await wang.close()


async def test_a_member_without_the_filing_right_gets_403_and_no_menu_entry(world):
    stack, ids, _ = world
    await run_sync(stack, lambda: models.Staff.update(permissions=["wecom.link"])
                   .where(models.Staff.id == ids["wang"].id).execute())
    wang = await open_console(stack, "wanggang")
    try:
        _, home, _ = await wang.get("/admin")
        assert "报税看板" not in home
        status, page, _ = await wang.get("/admin/filings")
        assert status == 403 and "没有权限" in page
        status, _, _ = await wang.post("/admin/filings", {"ids": str(ids["jc_iit"]), "kind": "zero",
                                                          "filed_on": "2026-11-12"})
        assert status == 403 and (await run_sync(stack, _filing, ids["jc_iit"])).status == "pending"
    finally:
        await wang.close()
    li = await open_console(stack, "lixiaomei")
    try:
        _, home, _ = await li.get("/admin")
        assert 'href="/admin/filings"' in home
    finally:
        await li.close()


async def test_bulk_mark_filed_with_each_rows_amount_then_zero(world):
    stack, ids, _ = world
    li = await open_console(stack, "lixiaomei")
    try:
        await li.get("/admin/filings")
        status, _, headers = await li.post("/admin/filings?state=pending", [
            ("ids", str(ids["hx_vat"])), ("ids", str(ids["hx_surtax"])), ("kind", "filed"),
            ("filed_on", "2026-11-12"), (f"amount-{ids['hx_vat']}", "1,200.50"), (f"amount-{ids['hx_surtax']}", "144.06")])
        assert status == 302 and headers["Location"].startswith("/admin/filings?")
        _, page, _ = await li.get(headers["Location"])
        assert "已将 2 条申报标记为已申报（2026-11-12）" in page
        vat = await run_sync(stack, _filing, ids["hx_vat"])
        assert (vat.status, vat.amount_fen, vat.filed_by_id) == ("filed", 120050, ids["li"].id)
        assert vat.filed_at.astimezone(SHANGHAI).date().isoformat() == "2026-11-12"
        marks = await run_sync(stack, _audits, "filing.mark")
        assert len(marks) == 2 and marks[0].before["status"] == "pending"
        assert marks[0].after["amount_fen"] == 120050 and marks[0].after["via"] == "console"
        assert marks[0].actor_id == ids["li"].id

        status, _, _ = await li.post("/admin/filings", [("ids", str(ids["hx_surtax"])), ("kind", "zero"),
                                                        ("filed_on", "2026-11-13")])
        surtax = await run_sync(stack, _filing, ids["hx_surtax"])
        assert status == 302 and (surtax.status, surtax.amount_fen) == ("filed", 0)
        [correct] = await run_sync(stack, _audits, "filing.correct")
        assert (correct.before["amount_fen"], correct.after["amount_fen"]) == (14406, 0)
        _, page, _ = await li.get("/admin/filings")
        li_line = page.split("按会计汇总")[1].split("李小梅")[1].split("</tr>")[0]
        assert "3/3（100%）" in li_line
    finally:
        await li.close()


@pytest.mark.parametrize("fields, message", [
    ([("kind", "filed"), ("filed_on", "2026-11-12")], "请填写税额"),
    ([("kind", "filed"), ("filed_on", "2026-11-12"), ("AMOUNT", "0")], "没有应纳税额请标记为零申报"),
    ([("kind", "filed"), ("filed_on", "2026-11-12"), ("AMOUNT", "12.345")], "最多精确到分"),
    ([("kind", "filed"), ("filed_on", "2026-11-12"), ("AMOUNT", "-5")], "不是有效的税额"),
    ([("kind", "zero"), ("filed_on", "2026-11-14")], "不能晚于今天"),
    ([("kind", "zero"), ("filed_on", "2026-10-30")], "不能早于所属期结束后的 2026-11-01"),
    ([("kind", "zero"), ("filed_on", "明天吧")], "不是有效的申报日期"),
    ([("filed_on", "2026-11-12")], "请选择标记为已申报还是零申报"),
])
async def test_bulk_mark_refuses_bad_input_and_writes_nothing(world, fields, message):
    stack, ids, _ = world
    li = await open_console(stack, "lixiaomei")
    try:
        await li.get("/admin/filings")
        fields = [(f"amount-{ids['hx_vat']}" if k == "AMOUNT" else k, v) for k, v in fields]
        status, page, _ = await li.post("/admin/filings", [("ids", str(ids["hx_vat"])),
                                                           ("ids", str(ids["hx_surtax"])), *fields])
        assert status == 400 and message in page and "没有保存任何申报" in page
        assert await run_sync(stack, _audits) == []
        assert (await run_sync(stack, _filing, ids["hx_surtax"])).status == "pending"
    finally:
        await li.close()


async def test_bulk_mark_without_a_ticked_row(world):
    stack, _, _ = world
    li = await open_console(stack, "lixiaomei")
    try:
        await li.get("/admin/filings")
        status, page, _ = await li.post("/admin/filings", {"kind": "zero", "filed_on": "2026-11-12"})
        assert status == 400 and "请先勾选要标记的申报" in page
    finally:
        await li.close()


async def test_one_return_marked_corrected_and_undone_with_a_reason(world):
    stack, ids, _ = world
    li = await open_console(stack, "lixiaomei")
    path = f"/admin/filings/{ids['hx_vat']}"
    try:
        status, page, _ = await li.get(path, back="/admin/filings?state=pending")
        assert status == 200 and "杭州华夏科技有限公司 · 增值税" in page and "撤销申报" not in page
        status, _, headers = await li.post(path + "?back=/admin/filings%3Fstate%3Dpending",
                                           {"kind": "filed", "amount": "880", "filed_on": "2026-11-11"})
        assert status == 302 and headers["Location"] == "/admin/filings?state=pending"
        status, _, _ = await li.post(path, {"kind": "filed", "amount": "888.80", "filed_on": "2026-11-12"})
        assert status == 302
        status, page, _ = await li.post(path + "/undo", {"reason": " "})
        assert status == 400 and "请写明撤销原因" in page
        assert (await run_sync(stack, _filing, ids["hx_vat"])).status == "filed"
        status, _, _ = await li.post(path + "/undo", {"reason": "税额填错，已在电子税务局作废重报"})
        vat = await run_sync(stack, _filing, ids["hx_vat"])
        assert status == 302 and (vat.status, vat.filed_at, vat.amount_fen) == ("pending", None, 88880)
        actions = [(a.action, a.after.get("amount_fen"), a.after.get("reason")) for a in await run_sync(stack, _audits)]
        assert actions == [("filing.mark", 88000, None), ("filing.correct", 88880, None),
                           ("filing.undo", 88880, "税额填错，已在电子税务局作废重报")]
        _, page, _ = await li.get(path)
        assert "更正申报" in page and "税额填错" in page and "操作记录" in page
        assert "已申报，税额 ¥888.80，2026-11-12 申报（后台）" in page and "未申报（后台）" in page
        status, page, _ = await li.post(path + "/undo", {"reason": "再撤一次"})
        assert status == 400 and "无需撤销" in page
    finally:
        await li.close()


async def test_back_links_only_go_to_the_board(world):
    stack, ids, _ = world
    li = await open_console(stack, "lixiaomei")
    try:
        await li.get("/admin/filings")
        status, _, headers = await li.post(f"/admin/filings/{ids['hx_vat']}?back=https://evil.example/",
                                           {"kind": "zero", "filed_on": "2026-11-12"})
        assert status == 302 and headers["Location"] == "/admin/filings"
    finally:
        await li.close()
