"""报表 tab API: periods with statements, headline figures, and the XLSX uploaded as a file for the chat."""
import io

from openpyxl import load_workbook

from tests.sidebar_tabs import li, tabs  # noqa: F401 - fixtures


async def test_periods_and_headline_figures(li, tabs):
    _, ids = tabs
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/reports")
    assert status == 200 and body["periods"] == ["2026-10"] and body["period"] == "2026-10" and body["ready"]
    assert {f["name"]: f["amount_fen"] for f in body["figures"]} == {
        "资产合计": 50000000, "负债合计": 20000000, "所有者权益合计": 30000000, "营业收入": 15000000, "净利润": 6000000}
    status, body = await li.get(f"/sidebar/api/clients/{ids['huaxia']}/reports", period="2026-09")
    assert status == 200 and not body["ready"] and body["figures"] == []


async def test_send_file_uploads_both_statements_as_one_workbook(li, tabs):
    stack, ids = tabs
    status, body = await li.post(f"/sidebar/api/clients/{ids['huaxia']}/reports/2026-10/file")
    assert status == 200 and body["filename"] == "华夏科技-2026-10-报表.xlsx"
    media = stack.fake.media[body["media_id"]]
    assert media.type == "file"
    book = load_workbook(io.BytesIO(media.data))
    assert book.sheetnames == ["资产负债表", "利润表"]


async def test_no_file_for_a_period_without_statements(li, tabs):
    stack, ids = tabs
    status, body = await li.post(f"/sidebar/api/clients/{ids['huaxia']}/reports/2026-09/file")
    assert status == 404 and "还没有出" in body["error"]
    status, body = await li.post(f"/sidebar/api/clients/{ids['huaxia']}/reports/2026-00/file")
    assert status == 400
    assert stack.fake.media == {}
