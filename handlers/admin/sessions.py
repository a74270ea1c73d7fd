"""Console sessions: a random token in an HttpOnly cookie, its hash and state on the server.

Server-side because the console needs what a signed cookie cannot give: sign-out that ends the session
everywhere it was copied, an idle timeout, and deactivation that locks a member out on their next request.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import models
from bot.config.settings import AdminConfig
from bot.edge.inbox import find_staff
from models import ConsoleSession

COOKIE = "zf_console"
TOUCH_EVERY = timedelta(seconds=60)  # last_seen is written at most this often: one write per minute, not per click


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Signed:
    """The signed-in member behind a console request."""
    staff: models.Staff
    session_id: int
    csrf: str


def open_session(staff: models.Staff, userid: str, via: str, address: str, now: datetime) -> str:
    """A new session for ``staff``; the cookie's token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    with models.db.atomic():
        ConsoleSession.create(token_hash=_hash(token), staff=staff, userid=userid, csrf=secrets.token_urlsafe(24),
                              via=via, created_at=now, last_seen_at=now, address=address[:64])
        models.audit(staff, "console.signin", "ConsoleSession", after={"via": via, "address": address[:64]})
    return token


def current(token: str | None, limits: AdminConfig, now: datetime) -> Signed | None:
    """The live session for a cookie token, touched; None when unknown, ended, idle too long, too old, or its
    member is no longer an active staff member bound to the same WeCom account."""
    if not token or len(token) > 128 or not token.isascii():
        return None
    row = ConsoleSession.get_or_none(ConsoleSession.token_hash == _hash(token))
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at > timedelta(seconds=limits.idle_timeout) or \
            now - row.created_at > timedelta(seconds=limits.max_session):
        end(row.id, now)
        return None
    staff = find_staff(row.userid)
    if staff is None or staff.id != row.staff_id:
        end(row.id, now)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        ConsoleSession.update(last_seen_at=now).where(ConsoleSession.id == row.id).execute()
    return Signed(staff, row.id, row.csrf)


def end(session_id: int, now: datetime) -> None:
    ConsoleSession.update(ended_at=now).where((ConsoleSession.id == session_id)
                                              & ConsoleSession.ended_at.is_null()).execute()


def end_all_for(staff_id: int, now: datetime) -> int:
    """End every open session of a member (deactivated, unbound, role lowered); how many were open."""
    return (ConsoleSession.update(ended_at=now)
            .where((ConsoleSession.staff == staff_id) & ConsoleSession.ended_at.is_null()).execute())
