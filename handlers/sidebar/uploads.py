"""Attachment storage for follow-ups: streamed to disk with a size limit, type sniffed from the bytes (never the
name or the browser's word), stored under random names with that type's extension inside the configured upload
directory. Images are opened only far enough to read their size (bombs refused); each member has a daily quota."""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path

from aiohttp import BodyPartReader, web
from peewee import fn
from PIL import Image

import models
from bot import keys
from handlers.sidebar.scope import json_error

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 64 * 1024
MAX_SIDE = 20000  # pixels on either side, whatever the area: a 1×40,000,000 strip is a bomb too
ALLOWED_TEXT = "图片（JPG、PNG、GIF、WEBP）、PDF、Word、Excel、PPT"
# The Office Open XML part that names the document kind, and the content type we then serve it as.
OOXML = {"word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
# The extension a sniffed type is stored and offered under (first), and the others accepted as the same type.
EXTENSIONS = {"image/png": (".png",), "image/jpeg": (".jpg", ".jpeg"), "image/gif": (".gif",),
              "image/webp": (".webp",), "application/pdf": (".pdf",), OOXML["word/"]: (".docx",),
              OOXML["xl/"]: (".xlsx",), OOXML["ppt/"]: (".pptx",)}
PIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


def typed_filename(name: str, kind: str) -> str:
    """``name`` ending in the sniffed type's extension, whatever the uploader called it: a GIF named x.html is
    offered as x.gif (and stored as .gif), so nothing downstream takes it for a page."""
    stem, dot, ext = name.rpartition(".")
    accepted = EXTENSIONS[kind]
    if dot and ("." + ext).lower() in accepted:
        return name
    base = stem if dot and stem and len(ext) <= 9 else name
    return base[:100 - len(accepted[0])] + accepted[0]


def image_problem(path: Path, kind: str, max_megapixels: int) -> str | None:
    """Why an image may not be kept (too many pixels, or not readable as what it claims), else None.

    Only the header is read; Pillow's own bomb check is silenced here because ours is stricter."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=[PIL_FORMATS[kind]]) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        return f"图片尺寸过大（超过 {max_megapixels} 百万像素），请缩小后再上传"
    except (OSError, ValueError, SyntaxError):
        return "图片已损坏，无法读取"
    if width * height > max_megapixels * 1_000_000 or max(width, height) > MAX_SIDE:
        return f"图片尺寸过大（{width}×{height}，最多 {max_megapixels} 百万像素），请缩小后再上传"
    return None


def uploaded_since(staff_id: int, since: datetime) -> tuple[int, int]:
    """(files, bytes) this member attached to follow-ups since ``since``."""
    attachment, note = models.FollowUpAttachment, models.FollowUp
    files, size = (attachment.select(fn.COUNT(attachment.id), fn.COALESCE(fn.SUM(attachment.size), 0))
                   .join(note).where((note.staff == staff_id) & (note.created_at >= since)).tuples().get())
    return int(files), int(size)


async def check_daily_quota(request: web.Request, staff, incoming: list) -> None:
    """429 when today's uploads by this member (agency day) plus ``incoming`` pass the configured quota."""
    config = request.app[keys.CONFIG].sidebar
    tz = request.app[keys.CONFIG].agency.tz
    midnight = datetime.combine(request.app[keys.CLOCK]().astimezone(tz).date(), time.min, tzinfo=tz)
    files, size = await request.app[keys.DB].run(uploaded_since, staff.id, midnight)
    files, size = files + len(incoming), size + sum(item.size for item in incoming)
    if files > config.upload_daily_files or size > config.upload_daily_mb * 1024 * 1024:
        raise json_error(429, f"今天上传的附件已达上限（每人每天最多 {config.upload_daily_files} 个、共 "
                              f"{config.upload_daily_mb} MB），请明天再上传，或请管理员调整上限")


@dataclass
class Stored:
    """A file written under the upload directory, not yet recorded in the database."""
    filename: str
    content_type: str
    size: int
    sha256: str
    storage_key: str


def upload_root(config) -> Path:
    """config.sidebar.upload_dir as an absolute path (relative ones are under the project directory)."""
    path = Path(config.sidebar.upload_dir)
    return (path if path.is_absolute() else ROOT / path).resolve()


def safe_filename(raw: str | None) -> str:
    """The name shown and offered on download: no directories, control characters or quotes; at most 100 chars."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name)
                   if unicodedata.category(ch)[0] != "C" and ch not in '"<>|:*?')
    name = name.strip(" .")
    if len(name) > 100:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:90] + dot + ext[-9:]) if dot and len(ext) <= 9 else name[:100]
    return name or "附件"


def sniff(path: Path) -> str | None:
    """The content type the file's bytes show, among the accepted kinds; None for anything else."""
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return _ooxml(path)
    return None


def _ooxml(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None  # a plain ZIP (could hold anything) is not accepted
    for prefix, kind in OOXML.items():
        if any(n.startswith(prefix) for n in names):
            return kind
    return None


async def receive_file(part: BodyPartReader, root: Path, max_bytes: int, max_megapixels: int = 40) -> Stored:
    """Stream one multipart file to a temporary name under ``root``; 413/400 (and no file left) if unacceptable.
    The name it is offered under ends in the sniffed type's extension."""
    tmp_dir = root / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / secrets.token_hex(16)
    digest, size = hashlib.sha256(), 0
    name = safe_filename(part.filename)
    try:
        with tmp.open("wb") as out:
            while chunk := await part.read_chunk(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise json_error(413, f"附件「{name}」超过 {max_bytes // (1024 * 1024)} MB，请压缩后再上传")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise json_error(400, f"附件「{name}」是空文件")
        kind = sniff(tmp)
        if kind is None:
            raise json_error(400, f"附件「{name}」的格式不支持，可上传{ALLOWED_TEXT}")
        problem = image_problem(tmp, kind, max_megapixels) if is_image(kind) else None
        if problem:
            raise json_error(400, f"附件「{name}」：{problem}")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Stored(typed_filename(name, kind), kind, size, digest.hexdigest(), str(tmp.relative_to(root)))


def place(stored: list[Stored], root: Path, year_month: str) -> None:
    """Move received files from tmp/ to their final random names (same filesystem: an atomic rename)."""
    target = root / year_month
    target.mkdir(parents=True, exist_ok=True)
    for item in stored:
        final = f"{year_month}/{secrets.token_hex(16)}{EXTENSIONS[item.content_type][0]}"
        os.replace(root / item.storage_key, root / final)
        item.storage_key = final


def discard(stored: list[Stored], root: Path) -> None:
    """Remove files whose database rows were not written."""
    for item in stored:
        (root / item.storage_key).unlink(missing_ok=True)


def stored_path(root: Path, storage_key: str) -> Path | None:
    """The file behind a stored key, refusing anything that would resolve outside the upload directory."""
    path = (root / storage_key).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def is_image(content_type: str) -> bool:
    return content_type in IMAGE_TYPES
