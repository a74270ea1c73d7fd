"""The checks on the HTTP edge's settings (timeouts, trusted proxies, the session secret, upload limits), kept
beside settings.py so that module stays one screenful of sections; validate() runs them with the rest."""
from __future__ import annotations

import ipaddress
from typing import Any

GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def addresses_ok(text: str) -> bool:
    """True for '' or IP addresses separated by commas."""
    try:
        [ipaddress.ip_address(item.strip()) for item in text.split(",") if item.strip()]
    except ValueError:
        return False
    return True


def edge_checks(server: Any, sidebar: Any, min_secret: int) -> list[tuple[str, bool, str]]:
    """(setting, ok, problem) for the edge's settings of the server and sidebar sections."""
    secret = sidebar.session_secret
    return [
        ("server.idle_timeout", 1 <= server.idle_timeout <= 600, "must be between 1 and 600 seconds"),
        ("server.body_timeout", 1 <= server.body_timeout <= 120, "must be between 1 and 120 seconds"),
        ("server.trusted_proxies", addresses_ok(server.trusted_proxies), "must be IP addresses separated by commas"),
        ("sidebar.session_secret", not secret or len(secret.encode()) >= min_secret,
         f"must be at least {min_secret} bytes ({GENERATE})"),
        ("sidebar.upload_max_megapixels", 1 <= sidebar.upload_max_megapixels <= 200, "must be between 1 and 200"),
        ("sidebar.upload_daily_files", sidebar.upload_daily_files >= 1, "must be at least 1"),
        ("sidebar.upload_daily_mb", sidebar.upload_daily_mb >= 1, "must be at least 1"),
        ("sidebar.signin_max_failures", sidebar.signin_max_failures >= 1, "must be at least 1"),
        ("sidebar.signin_window", sidebar.signin_window >= 1, "must be at least 1 second"),
    ]
