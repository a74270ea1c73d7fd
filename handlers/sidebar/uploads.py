"""Attachment storage for follow-ups: streamed to disk with a size limit, type sniffed from the bytes (never the
name or the browser's word), stored under random names inside the configured upload directory."""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from aiohttp import BodyPartReader

from handlers.sidebar.scope import json_error

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 64 * 1024
ALLOWED_TEXT = "图片（JPG、PNG、GIF、WEBP）、PDF、Word、Excel、PPT"
# The Office Open XML part that names the document kind, and the content type we then serve it as.
OOXML = {"word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


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


async def receive_file(part: BodyPartReader, root: Path, max_bytes: int) -> Stored:
    """Stream one multipart file to a temporary name under ``root``; 413/400 (and no file left) if unacceptable."""
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
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Stored(name, kind, size, digest.hexdigest(), str(tmp.relative_to(root)))


def place(stored: list[Stored], root: Path, year_month: str) -> None:
    """Move received files from tmp/ to their final random names (same filesystem: an atomic rename)."""
    target = root / year_month
    target.mkdir(parents=True, exist_ok=True)
    for item in stored:
        final = f"{year_month}/{secrets.token_hex(16)}"
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
