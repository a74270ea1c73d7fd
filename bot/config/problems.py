"""Checks of single settings, kept apart from settings.py: pure functions that say what is wrong, or None."""
from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import urlparse


def wecom_problem(w) -> str | None:
    """The first missing or malformed WeCom secret of section ``w``, as the one line start-up prints; or None."""
    if not w.corp_id:
        return "wecom.corp_id (WECOM_CORP_ID): missing"
    if w.agent_id <= 0:
        return "wecom.agent_id (WECOM_AGENT_ID): missing or not a positive number"
    if not w.secret:
        return "wecom.secret (WECOM_SECRET): missing"
    if not re.fullmatch(r"[A-Za-z0-9]{1,32}", w.token or ""):
        return "wecom.token (WECOM_TOKEN): missing, or not 1-32 letters and digits"
    problem = aes_key_problem(w.aes_key)
    return f"wecom.aes_key (WECOM_AES_KEY): {problem}" if problem else None


def aes_key_problem(aes_key: str) -> str | None:
    """Why an EncodingAESKey is unusable, or None: it must be 43 base64 characters that decode to 32 bytes."""
    if not aes_key:
        return "missing"
    if len(aes_key) != 43:
        return f"must be 43 characters, got {len(aes_key)}"
    try:
        key = base64.b64decode(aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        return "is not base64 (letters, digits, + and / only)"
    return None if len(key) == 32 else "does not decode to a 32-byte key"


def is_http_url(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in {"http", "https"} and bool(parsed.netloc)


def db_url_problem(url: str) -> str | None:
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return None
    if url.startswith(("postgresql://", "postgres://")) and urlparse(url).hostname:
        return None
    return "must be sqlite:///path or postgresql://user@host:port/database"
