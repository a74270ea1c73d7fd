"""跟进 tab (B5): a client's follow-up notes, adding one with attachments, and the checked attachment download.

Attachments are streamed to disk with per-file and per-note limits, typed by their bytes, and stored under random
names (handlers/sidebar/uploads.py). Downloads go through one endpoint that checks the member may see the client."""
from __future__ import annotations

from urllib.parse import quote

from aiohttp import web
from peewee import JOIN

import models
from bot import keys
from handlers.access import can_see_client
from handlers.followups.rules import MAX_CONTENT, add_followup
from handlers.sidebar.kit import API, CLIENT, tab_client
from handlers.sidebar.scope import json_error, require_perm, require_staff
from handlers.sidebar.uploads import (Stored, check_daily_quota, discard, is_image, place, receive_file, stored_path,
                                      upload_root)

PERM = "wecom.followup"
MAX_FILES = 5
SHOWN = 20
ATTACHMENT = API + "/attachments/{attachment_id:\\d+}"


def setup(app: web.Application) -> None:
    app.router.add_get(CLIENT + "/followups", followups)
    app.router.add_post(CLIENT + "/followups", add)
    app.router.add_get(ATTACHMENT, download)


def followup_list(client_id: int, tz) -> list[dict]:
    """The latest follow-ups, newest first, each with its attachments."""
    notes = list(models.FollowUp.select(models.FollowUp, models.Staff)
                 .join(models.Staff, JOIN.LEFT_OUTER, on=(models.FollowUp.staff == models.Staff.id))
                 .where(models.FollowUp.client == client_id)
                 .order_by(models.FollowUp.created_at.desc(), models.FollowUp.id.desc()).limit(SHOWN))
    files: dict[int, list[dict]] = {}
    if notes:
        for a in (models.FollowUpAttachment.select()
                  .where(models.FollowUpAttachment.followup.in_([n.id for n in notes]))
                  .order_by(models.FollowUpAttachment.id)):
            files.setdefault(a.followup_id, []).append(
                {"id": a.id, "filename": a.filename, "size": a.size, "image": is_image(a.content_type),
                 "url": ATTACHMENT.replace("{attachment_id:\\d+}", str(a.id))})
    return [{"id": n.id, "at": n.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
             "by": n.staff.name if n.staff_id else "", "content": n.content, "attachments": files.get(n.id, [])}
            for n in notes]


async def followups(request: web.Request) -> web.Response:
    """GET: 跟进记录."""
    _, client = await tab_client(request, PERM)
    rows = await request.app[keys.DB].run(followup_list, client.id, request.app[keys.CONFIG].agency.tz)
    return web.json_response({"followups": rows, "max_files": MAX_FILES,
                              "max_mb": request.app[keys.CONFIG].sidebar.upload_max_mb})


async def _text_field(part) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(4096):
        data += chunk
        if len(data) > MAX_CONTENT * 4 + 16:  # UTF-8 needs at most 4 bytes a character
            raise json_error(400, f"跟进内容最多 {MAX_CONTENT} 字")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise json_error(400, "跟进内容不是有效的文字") from None


async def _read_form(request: web.Request, root, max_bytes: int, stored: list[Stored]) -> str:
    """The note's text; files are appended to ``stored`` as they arrive (the caller cleans up on error)."""
    if request.content_type != "multipart/form-data":
        raise json_error(400, "请以表单方式提交跟进记录")
    content = ""
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if part.name == "content" and not part.filename:
                content = await _text_field(part)
            elif part.name == "files" and part.filename is not None:
                if len(stored) >= MAX_FILES:
                    raise json_error(400, f"每条跟进最多 {MAX_FILES} 个附件")
                stored.append(await receive_file(part, root, max_bytes,
                                                 request.app[keys.CONFIG].sidebar.upload_max_megapixels))
            else:
                await part.release()
    except (ValueError, AssertionError):  # a malformed multipart body
        raise json_error(400, "上传内容不完整，请重试") from None
    return content.strip()


def save_followup(staff, client_id: int, content: str, stored: list[Stored], now) -> int:
    """Inside one write transaction: the note (audited as the 跟进 command does) and its attachments."""
    note = add_followup(staff, client_id, content, now)
    for item in stored:
        models.FollowUpAttachment.create(followup=note, filename=item.filename, content_type=item.content_type,
                                         size=item.size, storage_key=item.storage_key, sha256=item.sha256)
    if stored:
        models.audit(staff, "followup.attach", note, after={"files": [
            {"filename": s.filename, "content_type": s.content_type, "size": s.size, "sha256": s.sha256}
            for s in stored]})
    return note.id


async def add(request: web.Request) -> web.Response:
    """POST multipart {content, files…}: 新增跟进 with attachments; nothing is kept if anything is refused."""
    scope, client = await tab_client(request, PERM)
    config = request.app[keys.CONFIG]
    root, stored = upload_root(config), []
    try:
        content = await _read_form(request, root, config.sidebar.upload_max_mb * 1024 * 1024, stored)
        await check_daily_quota(request, scope.staff, stored)
        if not content:
            raise json_error(400, "请填写跟进内容")
        if len(content) > MAX_CONTENT:
            raise json_error(400, f"跟进内容最多 {MAX_CONTENT} 字")
        now = request.app[keys.CLOCK]()
        place(stored, root, now.astimezone(config.agency.tz).strftime("%Y-%m"))
        note_id = await request.app[keys.DB].atomic(save_followup, scope.staff, client.id, content, stored, now)
    except BaseException:
        discard(stored, root)
        raise
    return web.json_response({"id": note_id, "attachments": len(stored)}, status=201)


def _attachment(staff, attachment_id: int):
    found = (models.FollowUpAttachment.select(models.FollowUpAttachment, models.FollowUp)
             .join(models.FollowUp).where(models.FollowUpAttachment.id == attachment_id).first())
    # Someone who may not see the client learns nothing, not even that the file exists.
    if found is None or not can_see_client(staff, found.followup.client_id):
        raise json_error(404, "附件不存在或你无权查看")
    return found


async def download(request: web.Request) -> web.StreamResponse:
    """GET: an attachment, for staff who may see its client; typed as sniffed, never rendered as a page."""
    staff = await require_staff(request)
    require_perm(staff, PERM)
    attachment = await request.app[keys.DB].run(_attachment, staff, int(request.match_info["attachment_id"]))
    path = stored_path(upload_root(request.app[keys.CONFIG]), attachment.storage_key)
    if path is None:
        raise json_error(404, "附件文件已丢失，请联系管理员")
    disposition = "inline" if is_image(attachment.content_type) else "attachment"
    return web.FileResponse(path, headers={
        "Content-Type": attachment.content_type,
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(attachment.filename)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox"})
