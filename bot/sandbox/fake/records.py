"""The fake WeCom's vocabulary: its error codes and messages, configuration, and the records it keeps."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta, timezone

MINUTE, HOUR, DAY = 60, 3600, 86400



MEDIA_TTL = 3 * DAY


OAUTH_CODE_TTL = 5 * MINUTE


TEMPLATE_MONTHLY_CAP = 4  # corp mass messages per customer (or group) per natural month


TICKET_HOURLY_CAP = 100  # ticket fetches per app per hour (WeCom: ≤100/h per app)


CHINA_TZ = timezone(timedelta(hours=8))  # WeCom's "natural month" is Beijing time


# English errmsg texts as WeCom returns them (clients must branch on errcode, never on these).
ERRMSG = {
    -1: "system busy",
    40001: "invalid credential",
    40003: "invalid userid",
    40004: "invalid media type",
    40005: "invalid type",
    40006: "invalid file size",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40011: "invalid video size",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40029: "invalid code",
    40031: "invalid userid list",
    40032: "invalid userid list size",
    40050: "chatid not found",
    40056: "invalid agentid",
    40058: "invalid Request Parameter",
    40096: "invalid external userid",
    40097: "the handover member has not left",
    40128: "customer transferred too often",
    40129: "customer is being transferred",
    40130: "handover and takeover are the same member",
    40131: "handover_userid is not a follow user of the customer",
    41001: "access_token missing",
    41002: "corpid missing",
    41004: "corpsecret missing",
    41006: "media_id missing",
    41008: "missing code",
    41009: "missing userid",
    41010: "missing url",
    41011: "missing agentid",
    41016: "missing title",
    41033: "missing description",
    42001: "access_token expired",
    44001: "empty media data",
    44002: "empty post data",
    44004: "empty content",
    45002: "content size out of limit",
    45009: "api freq out of limit",
    45033: "api concurrent out of limit",
    47001: "data format error",
    48001: "api unauthorized",
    60011: "no privilege to access/modify contact/party/agent",
    60111: "userid not found",
    81013: "user & party & tag all invalid",
    82002: "invalid partyid list size",
    82003: "invalid tagid list size",
    84014: "user_ticket expired",
    84015: "invalid user_ticket",
    84061: "not external contact",
    84090: "user_ticket missing",
    90500: "group owner has not left",
    90502: "group owner has left",
    90504: "group owner unchanged",
}


class WeComError(Exception):
    """A refused request: WeCom answers with this errcode (HTTP 200)."""

    def __init__(self, errcode: int, errmsg: str | None = None):
        super().__init__(errcode)
        self.errcode = errcode
        self.custom_errmsg = errmsg
        self.errmsg = errmsg or ERRMSG.get(errcode, "unknown error")


@dataclass
class FakeConfig:
    corp_id: str
    agent_id: int
    secret: str
    token_ttl: int = 7200
    per_member_minute_cap: int = 30
    per_member_hour_cap: int = 1000
    latency: float = 0.0
    jsapi_ticket_ttl: int = 7200
    # Apps created after 2022-06-20 get no mobile, avatar, gender… from user/get (doc/90196). On by default, so
    # the product is built for the case a new customer's app is in; False gives an old app's full answers.
    app_created_after_2022: bool = True


@dataclass(frozen=True)
class Call:
    """One /cgi-bin request as the fake saw it (token and secret masked)."""

    path: str
    method: str
    query: dict
    body: dict | None
    errcode: int
    at: float


@dataclass(frozen=True)
class Delivered:
    """One message to one member, delivered (or silently dropped by the caps)."""

    msgid: str
    touser: str
    msgtype: str
    content: dict
    at: float


@dataclass(frozen=True)
class Media:
    type: str
    filename: str
    content_type: str
    data: bytes = field(repr=False)
    created_at: float


def path_matches(path: str, suffix: str) -> bool:
    """True if `path` ends with the whole path segments of `suffix`."""
    suffix = suffix.strip("/")
    return path.strip("/") == suffix or path.endswith("/" + suffix)


def mask(query: dict) -> dict:
    return {k: ("***" if k in ("access_token", "corpsecret") and v else v) for k, v in query.items()}


def new_id(nbytes: int) -> str:
    return secrets.token_urlsafe(nbytes)
