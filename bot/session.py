"""Signed sidebar sessions: an HMAC-signed cookie naming the WeCom member, with an expiry."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from aiohttp import web

from bot.config.settings import Config

COOKIE = "zf_session"


def session_key(config: Config) -> bytes:
    """The configured SESSION_SECRET, or a key derived from the app secret and AES key."""
    if config.sidebar.session_secret:
        return hashlib.sha256(b"zf-session|" + config.sidebar.session_secret.encode()).digest()
    material = f"{config.wecom.secret}|{config.wecom.aes_key}".encode()
    return hmac.new(material, b"zhangfang sidebar session v1", hashlib.sha256).digest()


def _sign(key: bytes, payload: str) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, payload.encode(), hashlib.sha256).digest()).decode().rstrip("=")


def issue(config: Config, userid: str, now: float | None = None) -> str:
    """Cookie value: userid|expires|csrf|signature (the csrf token is echoed by the page in a header)."""
    expires = int((now or time.time()) + config.sidebar.session_ttl)
    payload = f"{userid}|{expires}|{secrets.token_urlsafe(16)}"
    return f"{payload}|{_sign(session_key(config), payload)}"


def read(config: Config, value: str | None, now: float | None = None) -> tuple[str, str] | None:
    """(userid, csrf token) from a valid, unexpired cookie value, else None."""
    if not value or value.count("|") != 3:
        return None
    userid, expires, csrf, sig = value.split("|")
    if not hmac.compare_digest(sig, _sign(session_key(config), f"{userid}|{expires}|{csrf}")):
        return None
    if not expires.isdigit() or int(expires) < (now or time.time()):
        return None
    return userid, csrf


def set_cookie(response: web.StreamResponse, config: Config, value: str) -> None:
    response.set_cookie(COOKIE, value, max_age=config.sidebar.session_ttl, httponly=True, samesite="Lax",
                        secure=config.base_url.startswith("https://"), path="/")
