"""Signed sidebar sessions: an HMAC-signed cookie naming the WeCom member, with an expiry; and the OAuth
``state`` that ties a sign-in's return to the browser that started it."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

from aiohttp import web

from bot.config.settings import Config

COOKIE = "zf_session"
STATE_COOKIE = "zf_signin"
STATE_TTL = 600  # seconds from the redirect to WeCom until the member is back (WeCom's codes live 5 minutes)
MAX_COOKIE = 512  # a session cookie is ~120 characters; anything far longer is not ours
_STATE = re.compile(r"([0-9]{10})([0-9a-f]{32})")


def session_key(config: Config) -> bytes:
    """The configured SESSION_SECRET, or (tests, tools) a key derived from the app secret and AES key."""
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
    """(userid, csrf token) from a valid, unexpired cookie value, else None (whatever bytes the cookie holds)."""
    if not value or len(value) > MAX_COOKIE or not value.isascii() or value.count("|") != 3:
        return None
    userid, expires, csrf, sig = value.split("|")
    expected = _sign(session_key(config), f"{userid}|{expires}|{csrf}")
    if not hmac.compare_digest(sig.encode(), expected.encode()):
        return None
    if not re.fullmatch(r"[0-9]{1,12}", expires) or int(expires) < (now or time.time()):
        return None
    return userid, csrf


def secure(config: Config) -> bool:
    """Cookies are Secure whenever the public URL is https."""
    return config.base_url.startswith("https://")


def set_cookie(response: web.StreamResponse, config: Config, value: str) -> None:
    response.set_cookie(COOKIE, value, max_age=config.sidebar.session_ttl, httponly=True, samesite="Lax",
                        secure=secure(config), path="/")


def _state_for(config: Config, browser: str, expires: str) -> str:
    mac = hmac.new(session_key(config), f"oauth-state|{browser}|{expires}".encode(), hashlib.sha256)
    return expires + mac.hexdigest()[:32]


def _browser(value: str | None) -> str | None:
    return value if value and len(value) == 32 and re.fullmatch(r"[0-9a-f]{32}", value) else None


def start_signin(config: Config, request: web.Request, now: float | None = None) -> tuple[str, str]:
    """(state for the OAuth link, value for STATE_COOKIE): the state is a MAC over this browser's random
    cookie, so several tabs signing in at once share one cookie and each state still checks."""
    browser = _browser(request.cookies.get(STATE_COOKIE)) or secrets.token_hex(16)
    return _state_for(config, browser, str(int((now or time.time()) + STATE_TTL))), browser


def set_state_cookie(response: web.StreamResponse, config: Config, browser: str) -> None:
    # Lax: the member comes back from WeCom's authorize page by a top-level GET, which Lax cookies follow.
    response.set_cookie(STATE_COOKIE, browser, max_age=STATE_TTL, httponly=True, samesite="Lax",
                        secure=secure(config), path="/")


def state_ok(config: Config, request: web.Request, state: str | None, now: float | None = None) -> bool:
    """True when ``state`` came from a sign-in this browser started and has not expired (login CSRF guard)."""
    browser = _browser(request.cookies.get(STATE_COOKIE))
    found = _STATE.fullmatch(state or "")
    if browser is None or found is None or int(found.group(1)) < (now or time.time()):
        return False
    return hmac.compare_digest(_state_for(config, browser, found.group(1)).encode(), state.encode())
