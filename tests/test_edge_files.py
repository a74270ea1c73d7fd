"""Issue 10 item 7, files: no live formula in any XLSX we write; uploads kept and offered under the type their
bytes show (a GIF/HTML polyglot named x.html is a .gif), image dimensions capped, and a daily upload quota per
member. Every refusal is a 4xx with a reason and leaves no traceback in the log."""
import io
import re
import struct
import zipfile
import zlib

import pytest
from openpyxl import Workbook, load_workbook
from PIL import Image

import models
from bot.render.xlsx import neutralise_formulas, render_reports_xlsx
from tests.cmd_data import rich_agency
from tests.conftest import run_sync, stop_stack
from tests.edge_kit import assert_no_traceback
from tests.sidebar_client import open_sidebar
from tests.sidebar_tabs import count, li, start_tabs_stack, tabs  # noqa: F401 - fixtures
from tests.test_followups_sidebar import PDF, form, stored_files

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1",
           "=cmd|' /C calc'!A0"]


# ---- XLSX ------------------------------------------------------------------------------------------------

def _cells(data: bytes) -> list:
    wb = load_workbook(io.BytesIO(data))
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row if cell.value is not None]


def test_formula_leading_text_in_a_statement_stays_text():
    lines = [{"section": "asset", "code": "1", "name": name, "amount_fen": 100} for name in HOSTILE]
    data = render_reports_xlsx(HOSTILE[0], HOSTILE[1], "2026-10", lines, [dict(line, section="") for line in lines])
    sheets = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("xl/worksheets/")]
    assert sheets and all(b"<f>" not in zipfile.ZipFile(io.BytesIO(data)).read(n) for n in sheets)  # no formula
    cells = _cells(data)
    assert all(cell.data_type != "f" for cell in cells)
    hostile = [cell for cell in cells if isinstance(cell.value, str) and cell.value.startswith(tuple("=+-@\t\r\n"))]
    # Shown as written (XML reads a CR back as LF)...
    assert {cell.value for cell in hostile} >= {name.replace("\r", "\n") for name in HOSTILE[1:]}
    assert all(cell.quotePrefix for cell in hostile)  # ...and kept text even when someone edits the cell
    amounts = [cell for cell in cells if cell.number_format == "#,##0.00"]
    assert amounts and all(cell.data_type == "n" for cell in amounts)  # numbers are still numbers


def test_neutralise_formulas_catches_what_openpyxl_stores_as_a_formula():
    wb = Workbook()
    wb.active["A1"], wb.active["A2"], wb.active["A3"] = "=1+1", "-5", 12
    assert neutralise_formulas(wb) == 2
    assert [c.data_type for c in wb.active["A"]] == ["s", "s", "n"]


# ---- uploads: the sniffed type's extension -------------------------------------------------------------------

def _gif() -> bytes:
    buf = io.BytesIO()
    Image.new("P", (2, 2)).save(buf, "GIF")
    return buf.getvalue()


GIF_HTML = _gif() + b"<html><script>alert(document.cookie)</script></html>"  # a browser sniffing it sees a page


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def base(tabs):
    return f"/sidebar/api/clients/{tabs[1]['huaxia']}/followups"


async def test_a_gif_html_polyglot_named_html_is_kept_and_served_as_a_gif(li, tabs, base, tmp_path, caplog):
    stack, _ = tabs
    status, _ = await li.post(base, data=form("截图", ("x.html", GIF_HTML, "text/html")))
    assert status == 201
    _, listing = await li.get(base)
    [attachment] = listing["followups"][0]["attachments"]
    assert attachment["filename"] == "x.gif"
    async with li.session.get(stack.url(attachment["url"])) as r:
        assert r.status == 200 and await r.read() == GIF_HTML
        assert r.headers["Content-Type"] == "image/gif" and r.headers["X-Content-Type-Options"] == "nosniff"
        assert "x.gif" in r.headers["Content-Disposition"] and "html" not in r.headers["Content-Disposition"]
        assert "sandbox" in r.headers["Content-Security-Policy"]
    [stored] = stored_files(tmp_path)
    assert stored.suffix == ".gif"
    assert_no_traceback(caplog)


@pytest.mark.parametrize("name, body, shown", [
    ("invoice.html", PDF, "invoice.pdf"), ("合同.exe", PDF, "合同.pdf"), ("photo.JPEG", None, "photo.JPEG"),
    ("photo.svg", None, "photo.jpg"), ("扫描件", PDF, "扫描件.pdf"), ("a.b.c.php", PDF, "a.b.c.pdf"),
])
async def test_uploads_are_named_for_what_their_bytes_are(li, base, tmp_path, name, body, shown):
    status, _ = await li.post(base, data=form("附件", (name, body or _jpeg(), "application/octet-stream")))
    assert status == 201
    _, listing = await li.get(base)
    assert listing["followups"][0]["attachments"][0]["filename"] == shown
    [stored] = stored_files(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{32}\.(pdf|jpg)", stored.name)


# ---- uploads: decompression bombs ------------------------------------------------------------------------

def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height (1-bit grey), with one tiny IDAT: small file, huge image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _gif_header(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00" + b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


@pytest.mark.parametrize("name, body, reason", [
    ("bomb.png", _png_header(30000, 30000), "尺寸过大"), ("huge.png", _png_header(12000, 12000), "尺寸过大"),
    ("strip.png", _png_header(1, 25000), "尺寸过大"), ("wide.gif", _gif_header(65535, 65535), "尺寸过大"),
    ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "损坏"),
])
async def test_images_with_too_many_pixels_are_refused_and_nothing_is_kept(li, tabs, base, tmp_path, caplog,
                                                                         name, body, reason):
    stack, _ = tabs
    status, answer = await li.post(base, data=form("图片", (name, body, "image/png")))
    assert status == 400 and reason in answer["error"] and name in answer["error"]
    assert await count(stack, models.FollowUpAttachment) == 0 and stored_files(tmp_path) == []
    assert_no_traceback(caplog)


async def test_a_big_but_reasonable_photo_is_accepted(li, base):
    buf = io.BytesIO()
    Image.new("L", (6000, 4000)).save(buf, "PNG")  # 24 megapixels, a phone photo
    status, _ = await li.post(base, data=form("照片", ("photo.png", buf.getvalue(), "image/png")))
    assert status == 201


# ---- uploads: the daily quota ------------------------------------------------------------------------------

@pytest.fixture
async def quota(db_url, fake_server, tmp_path):
    stack = await start_tabs_stack(db_url, fake_server, tmp_path / "uploads", upload_daily_files=3, upload_daily_mb=1)
    ids = await run_sync(stack, rich_agency)
    client = await open_sidebar(stack, "lixiaomei", external_userid="wmHuaxiaBoss")
    yield stack, client, f"/sidebar/api/clients/{ids['huaxia'].id}/followups"
    await client.close()
    await stop_stack(stack)


async def test_uploads_past_the_daily_count_are_refused_with_a_message(quota, tmp_path, caplog):
    stack, li, base = quota
    status, _ = await li.post(base, data=form("上午", ("a.pdf", PDF, "application/pdf"), ("b.pdf", PDF, "application/pdf")))
    assert status == 201
    status, body = await li.post(base, data=form("下午", ("c.pdf", PDF, "application/pdf"), ("d.pdf", PDF, "application/pdf")))
    assert status == 429 and "已达上限" in body["error"] and "3 个" in body["error"]
    assert await count(stack, models.FollowUpAttachment) == 2 and len(stored_files(tmp_path)) == 2
    status, _ = await li.post(base, data=form("只有文字的跟进不受影响"))
    assert status == 201
    assert_no_traceback(caplog)


async def test_uploads_past_the_daily_size_are_refused(quota, tmp_path):
    stack, li, base = quota
    big = PDF + b"%" * (600 * 1024)
    assert (await li.post(base, data=form("一", ("a.pdf", big, "application/pdf"))))[0] == 201
    status, body = await li.post(base, data=form("二", ("b.pdf", big, "application/pdf")))
    assert status == 429 and "1 MB" in body["error"]
    assert len(stored_files(tmp_path)) == 1
