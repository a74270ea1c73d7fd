"""The fake's member privacy: the app's visible range and the user_tickets of snsapi_privateinfo sign-ins.

WeCom (doc/91023, doc/95833): with scope snsapi_privateinfo and the member inside the app's visible range,
auth/getuserinfo also answers a ``user_ticket`` valid 1800 s; user/getuserdetail exchanges it for the
sensitive fields, which it fills only when the member agreed on the consent page. Apps created after
2022-06-20 no longer get those fields from user/get (doc/90196).
"""
from __future__ import annotations

from typing import Callable

from bot.sandbox.fake.records import WeComError, new_id

USER_TICKET_TTL = 1800
# Withheld by user/get from apps created after 2022-06-20 20:00 (doc/90196): only user/getuserdetail has them.
SENSITIVE_FIELDS = ("avatar", "thumb_avatar", "gender", "mobile", "email", "biz_mail", "qr_code", "address")
DETAIL_FIELDS = ("gender", "avatar", "qr_code", "mobile", "email", "biz_mail", "address")


class PrivateInfo:
    """Who is outside the visible range, which OAuth codes were privateinfo sign-ins, and the issued tickets."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self.outside_range: set[str] = set()
        self._codes: dict[str, bool] = {}  # OAuth code -> did the member agree on the consent page
        self._tickets: dict[str, tuple[str, bool, float]] = {}  # ticket -> (userid, agreed, expires_at)

    def in_range(self, userid: str) -> bool:
        return userid not in self.outside_range

    def mark_code(self, code: str, agreed: bool) -> None:
        """This OAuth code came from a snsapi_privateinfo sign-in (the member agreed or refused)."""
        self._codes[code] = agreed

    def ticket_for_code(self, code: str, userid: str) -> str | None:
        """A user_ticket for a redeemed privateinfo code of a member in range, else None (snsapi_base)."""
        agreed = self._codes.pop(code, None)
        if agreed is None or not self.in_range(userid):
            return None
        ticket = new_id(48)
        self._tickets[ticket] = (userid, agreed, self.clock() + USER_TICKET_TTL)
        return ticket

    def redeem(self, ticket: object) -> tuple[str, bool]:
        """(userid, agreed) for a valid ticket: 84090 missing, 84015 unknown, 84014 expired."""
        if not ticket:
            raise WeComError(84090)
        found = self._tickets.get(ticket) if isinstance(ticket, str) else None
        if found is None:
            raise WeComError(84015)
        userid, agreed, expires_at = found
        if self.clock() > expires_at:
            raise WeComError(84014)
        return userid, agreed
