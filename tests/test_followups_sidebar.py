"""跟进 tab API: notes with attachments — limits, sniffed types, random names under the upload directory, and a
download that only staff who may see the client get."""
import io
import re
import zipfile

import aiohttp
import pytest
from PIL import Image

import models
from bot.render.xlsx import render_reports_xlsx
from tests.conftest import run_sync
from tests.sidebar_client import open_sidebar
from tests.sidebar_tabs import audits, count, li, tabs, wang  # noqa: F401 - fixtures


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return buf.getvalue()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def form(content: str, *files: tuple[str, bytes, str]) -> aiohttp.MultipartWriter:
    """A multipart body as a browser sends it: file names as raw UTF-8 (aiohttp's FormData would %-encode them)."""
    writer = aiohttp.MultipartWriter("form-data")
    writer.append(content).set_content_disposition("form-data", name="content")
    for name, body, kind in files:
        part = writer.append(io.BytesIO(body), {"Content-Type": kind})
        part.headers["Content-Disposition"] = f'form-data; name="files"; filename="{name}"'
    return writer


@pytest.fixture
def base(tabs):
    return f"/sidebar/api/clients/{tabs[1]['huaxia']}/followups"


def stored_files(tmp_path) -> list:
    root = tmp_path / "uploads"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_add_a_note_with_attachments_and_download_them(li, tabs, base, tmp_path):
    stack, _ = tabs
    status, body = await li.post(base, data=form("电话沟通10月收票，客户本周寄出", ("发票照片.png", png(), "image/png"),
                                                 ("合同.pdf", PDF, "application/octet-stream")))
    assert status == 201 and body["attachments"] == 2
    _, listing = await li.get(base)
    [note] = listing["followups"]
    assert note["content"] == "电话沟通10月收票，客户本周寄出" and note["by"] == "李小梅" and note["at"] == "2026-11-26 10:00"
    image, pdf = note["attachments"]
    assert (image["filename"], image["image"], pdf["filename"], pdf["image"]) == ("发票照片.png", True, "合同.pdf", False)
    status, data = await li.get(pdf["url"])
    assert status == 200 and data == PDF
    async with li.session.get(stack.url(pdf["url"])) as r:
        assert r.headers["Content-Type"] == "application/pdf"  # typed by its bytes, not by what the browser said
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Content-Disposition"].startswith("attachment")
    files = stored_files(tmp_path)
    # Random names, nothing of the uploader's, ending in the sniffed type's extension.
    assert len(files) == 2 and all(f.parent.name == "2026-11" for f in files)
    assert sorted(f.suffix for f in files) == [".pdf", ".png"]
    assert all(re.fullmatch(r"[0-9a-f]{32}\.(png|pdf)", f.name) for f in files)
    assert await audits(stack) == ["followup.add", "followup.attach"]


async def test_office_files_are_recognised_and_plain_zips_refused(li, base):
    xlsx = render_reports_xlsx("代账", "华夏", "2026-10", [], [])
    status, _ = await li.post(base, data=form("报表", ("报表.xlsx", xlsx, "application/octet-stream")))
    assert status == 201
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("run.exe", b"MZ")
    status, body = await li.post(base, data=form("压缩包", ("资料.zip", buf.getvalue(), "application/zip")))
    assert status == 400 and "格式不支持" in body["error"]


@pytest.mark.parametrize("files, status, reason", [
    ([("照片.png", b"<html><script>alert(1)</script></html>", "image/png")], 400, "格式不支持"),
    ([("大图.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024), "image/png")], 413, "超过 1 MB"),
    ([("空.pdf", b"", "application/pdf")], 400, "空文件"),
    ([(f"{n}.pdf", PDF, "application/pdf") for n in range(6)], 400, "最多 5 个附件"),
])
async def test_refused_attachments_leave_nothing_behind(li, tabs, base, tmp_path, files, status, reason):
    stack, _ = tabs
    got, body = await li.post(base, data=form("跟进", *files))
    assert got == status and reason in body["error"]
    assert await count(stack, models.FollowUp) == 0 and await count(stack, models.FollowUpAttachment) == 0
    assert stored_files(tmp_path) == []


@pytest.mark.parametrize("content, reason", [("", "请填写"), ("字" * 1001, "最多 1000")])
async def test_bad_content_is_refused_and_uploaded_files_are_removed(li, tabs, base, tmp_path, content, reason):
    stack, _ = tabs
    status, body = await li.post(base, data=form(content, ("a.pdf", PDF, "application/pdf")))
    assert status == 400 and reason in body["error"]
    assert await count(stack, models.FollowUp) == 0 and stored_files(tmp_path) == []


async def test_a_json_body_is_not_a_form(li, base):
    status, body = await li.post(base, json={"content": "hi"})
    assert status == 400 and "表单" in body["error"]


async def test_path_tricks_in_the_filename_are_dropped(li, base, tmp_path):
    status, _ = await li.post(base, data=form("x", ("../..\\etc/pass\u202ewd.pdf", PDF, "application/pdf")))
    assert status == 201
    _, listing = await li.get(base)
    assert listing["followups"][0]["attachments"][0]["filename"] == "passwd.pdf"
    assert all((tmp_path / "uploads") in f.parents for f in stored_files(tmp_path))


async def test_only_staff_who_may_see_the_client_download(li, wang, tabs, base):
    stack, _ = tabs
    await li.post(base, data=form("合同", ("合同.pdf", PDF, "application/pdf")))
    _, listing = await li.get(base)
    url = listing["followups"][0]["attachments"][0]["url"]
    status, body = await wang.get(url)
    assert status == 404 and "无权" in body["error"]
    admin = await open_sidebar(stack, "admin")
    try:
        status, data = await admin.get(url)
        assert status == 200 and data == PDF
    finally:
        await admin.close()
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(stack.url(url)) as r:
            assert r.status == 401


async def test_attachment_missing_on_disk_is_a_clear_404(li, tabs, base, tmp_path):
    stack, _ = tabs
    await li.post(base, data=form("合同", ("合同.pdf", PDF, "application/pdf")))
    for f in stored_files(tmp_path):
        f.unlink()
    _, listing = await li.get(base)
    status, body = await li.get(listing["followups"][0]["attachments"][0]["url"])
    assert status == 404 and "丢失" in body["error"]
    assert await run_sync(stack, lambda: models.FollowUpAttachment.select().count()) == 1
