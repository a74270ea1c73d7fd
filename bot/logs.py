"""Logging set-up with a redaction filter: secrets, tokens, tickets and OAuth codes never reach a log line."""
from __future__ import annotations

import logging
import re
import sys
from typing import Iterable

_QUERY_SECRETS = re.compile(r"(?i)\b(access_token|corpsecret|secret|ticket|code|echostr|encrypt)=([^&\s\"']+)")


class RedactFilter(logging.Filter):
    """Masks configured secret values and secret-bearing query parameters in every record."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _QUERY_SECRETS.sub(lambda m: f"{m.group(1)}=***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def setup_logging(level: str, secrets: Iterable[str] = ()) -> RedactFilter:
    """One stderr handler on the root logger, with redaction on the handler (so every logger is covered)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    redact = RedactFilter(secrets)
    handler.addFilter(redact)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("peewee").setLevel(max(logging.INFO, root.level))  # its DEBUG lines carry SQL parameters
    return redact
