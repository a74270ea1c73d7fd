"""What every HTTP answer carries and what every request path is checked for, whatever the handler.

- Security headers on every response (pages, JSON, static files, errors): a CSP without inline scripts (the
  pages have none), nosniff, a referrer policy that keeps chat ids in our URLs to ourselves, and framing only
  by our own origin: WeCom opens the sidebar as a top-level page in its own webview, and the demo's simulator
  frames it from the same origin.
- Path ids: a ``{…_id}`` path segment made of digits must be an ASCII number a BIGINT holds; '٣', 2^63 and
  5,000-digit ids used to reach int() or the database and come back as 500s.
"""
from __future__ import annotations

import json
from typing import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from bot import keys
from bot.config.settings import Config
from bot.edge.inputs import parse_id


def content_security_policy(config: Config) -> str:
    """Scripts only from us (and the JS-SDK's host when jssdk_url points elsewhere); styles also inline (the
    reminder list's template has a <style> block); images also data:/blob: (receipts previewed in the page)."""
    scripts = ["'self'"]
    jssdk = urlsplit(config.sidebar.jssdk_url)
    if jssdk.scheme in ("http", "https") and jssdk.netloc:
        scripts.append(f"{jssdk.scheme}://{jssdk.netloc}")
    return "; ".join([
        "default-src 'self'", f"script-src {' '.join(scripts)}", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
        "form-action 'self'", "frame-src 'self'", "frame-ancestors 'self'",
    ])


def security_headers(config: Config) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    """An on_response_prepare hook; a handler's own stricter header (attachments: sandbox) is kept."""
    headers = {
        "Content-Security-Policy": content_security_policy(config),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "SAMEORIGIN",  # older webviews that ignore frame-ancestors
    }

    async def add_headers(_request: web.Request, response: web.StreamResponse) -> None:
        for name, value in headers.items():
            response.headers.setdefault(name, value)

    return add_headers


def client_address(request: web.Request) -> str:
    """The client's address: the connecting peer, or, when that is a configured trusted proxy, the last
    X-Forwarded-For entry (the one that proxy added; earlier entries are whatever the client claimed)."""
    remote = request.remote or "?"
    trusted = {item.strip() for item in request.app[keys.CONFIG].server.trusted_proxies.split(",") if item.strip()}
    if remote in trusted:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        if forwarded:
            return forwarded[:64]
    return remote


@web.middleware
async def path_ids(request: web.Request, handler):
    """400 for a numeric-looking ``…_id`` path parameter that is not a bounded ASCII number."""
    for name, value in request.match_info.items():
        if name.endswith("_id") and value.isdigit() and parse_id(value) is None:
            return web.json_response({"error": "编号不正确"}, status=400, dumps=_dumps)
    return await handler(request)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
