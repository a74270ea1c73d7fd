"""API tokens: a random secret shown once, kept as its sha256; scope 'read' or 'write'; revoked, never deleted.

A token is looked up by its hash (one indexed query); ``last_used_at`` is written at most once a minute so a busy
client does not turn every read into a write.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import models
from bot.router import UserError

PREFIX = "zf_"  # tells a leaked token apart in logs and secret scanners
TOUCH_EVERY = dt.timedelta(minutes=1)
MAX_NAME = 48


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(name: str, scope: str, staff: models.Staff | None, now: dt.datetime) -> tuple[models.ApiToken, str]:
    """(the stored token, the secret to show once); a UserError for a bad or taken name."""
    name = (name or "").strip()
    if not name:
        raise UserError("请填写令牌名称（如 记账软件）。")
    if len(name) > MAX_NAME:
        raise UserError(f"令牌名称最多 {MAX_NAME} 个字。")
    if scope not in models.API_SCOPES:
        raise UserError("请选择权限：只读 或 读写。")
    if models.ApiToken.select().where(models.ApiToken.name == name).exists():
        raise UserError(f"已有名为「{name}」的令牌，请换一个名称。")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = models.ApiToken.create(name=name, token_hash=hash_token(secret), scope=scope, created_by=staff,
                                   created_at=now)
    models.audit(staff, "api.token_create", token, after={"name": name, "scope": scope})
    return token, secret


def revoke_token(token_id: int, staff: models.Staff, now: dt.datetime) -> models.ApiToken:
    """Revoke at once (the next request with it is refused); a UserError when unknown or already revoked."""
    token = models.ApiToken.get_or_none(models.ApiToken.id == token_id)
    if token is None:
        raise UserError("没有这个令牌。")
    if token.revoked_at is not None:
        raise UserError(f"令牌「{token.name}」已经吊销。")
    models.ApiToken.update(revoked_at=now, revoked_by=staff).where(models.ApiToken.id == token.id).execute()
    models.audit(staff, "api.token_revoke", token, before={"name": token.name, "revoked": False},
                 after={"name": token.name, "revoked": True})
    return token


def authenticate(secret: str, now: dt.datetime) -> models.ApiToken | None:
    """The live token whose hash matches ``secret`` (its last use noted), or None."""
    if not secret or len(secret) > 200:
        return None
    token = models.ApiToken.get_or_none(models.ApiToken.token_hash == hash_token(secret))
    if token is None or token.revoked_at is not None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        models.ApiToken.update(last_used_at=now).where(models.ApiToken.id == token.id).execute()
        token.last_used_at = now
    return token


def bearer(header: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header, or ''."""
    scheme, _, value = (header or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def actor_label(token: models.ApiToken) -> str:
    """How the audit log names writes made with ``token``."""
    return f"api:{token.name}"
