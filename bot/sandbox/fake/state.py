"""State of the fake WeCom: tokens, faults, directory, media, deliveries and the rules on them.

The HTTP shell lives in app.py; the records it keeps in records.py. Every rule that depends on time reads the injected
clock, so tests can move time forward instead of sleeping.
"""
from __future__ import annotations

import copy
import hashlib
import time
from collections import defaultdict, deque
from datetime import datetime
from typing import Any, Callable

from bot.sandbox.fake.faults import Fault, Faults
from bot.sandbox.fake.handover import Handover
from bot.sandbox.fake.identity import PrivateInfo
from bot.sandbox.fake.records import (
    CHINA_TZ,
    HOUR,
    MEDIA_TTL,
    MINUTE,
    OAUTH_CODE_TTL,
    TEMPLATE_MONTHLY_CAP,
    TICKET_HOURLY_CAP,
    Call,
    Delivered,
    FakeConfig,
    Media,
    WeComError,
    mask,
    new_id,
    path_matches,
)


class FakeWeCom:
    """The fake's state; usable directly from tests and served over HTTP by app.py."""

    def __init__(self, config: FakeConfig, directory: dict | None = None,
                 clock: Callable[[], float] = time.time):
        self.config = config
        self.clock = clock
        self.directory: dict = copy.deepcopy(directory) if directory else {"corp_name": ""}
        for key in ("members", "contacts", "groups"):
            self.directory.setdefault(key, [])
        self.calls: list[Call] = []
        self.delivered: list[Delivered] = []
        self.dropped: list[Delivered] = []
        self.timeline: list[tuple[Delivered, bool]] = []  # (message, dropped) in arrival order
        self.media: dict[str, Media] = {}
        self.msg_templates: list[dict] = []
        self._tokens: dict[str, float] = {}  # token -> expires_at
        self._current_token: str | None = None
        self.faults = Faults()
        self._oauth_codes: dict[str, tuple[str, float]] = {}
        self._sent_at: dict[str, deque[float]] = defaultdict(deque)  # userid -> deliveries, last hour
        self._recent: dict[str, tuple[float, str]] = {}  # duplicate-check key -> (sent_at, msgid)
        self._tickets: dict[str, tuple[str, float]] = {}
        self._ticket_fetches: dict[str, deque[float]] = defaultdict(deque)
        self._template_counts: dict[tuple[str, str], int] = defaultdict(int)
        self.privacy = PrivateInfo(lambda: self.clock())  # visible range, privateinfo tickets (identity.py)
        self.handover = Handover(self)  # customer transfers and their outcomes (handover.py)
        self.left_at: dict[str, float] = {}  # userid -> when the member left (remove_member)

    # --- tokens, faults, call log -------------------------------------------------------

    def issue_token(self, corpid: str | None, secret: str | None) -> tuple[str, int]:
        """gettoken: the current token while it is valid (WeCom re-serves it), else a new one."""
        if not corpid:
            raise WeComError(41002)
        if corpid != self.config.corp_id:
            raise WeComError(40013)
        if not secret:
            raise WeComError(41004)
        if secret != self.config.secret:
            raise WeComError(40001)
        now = self.clock()
        token = self._current_token
        if token is None or now >= self._tokens[token]:
            token = new_id(96)
            self._tokens[token] = now + self.config.token_ttl
            self._current_token = token
        return token, int(self._tokens[token] - now)

    def check_token(self, token: str | None) -> None:
        if not token:
            raise WeComError(41001)
        expires_at = self._tokens.get(token)
        if expires_at is None:
            raise WeComError(40014)
        if self.clock() > expires_at:
            raise WeComError(42001)

    def expire_tokens(self) -> None:
        """Every issued access token becomes expired (next use answers 42001)."""
        for token in self._tokens:
            self._tokens[token] = float("-inf")

    def inject(self, path_suffix: str, errcode: int, times: int = 1, errmsg: str | None = None,
               after_delivery: bool = False) -> None:
        """The next `times` calls to that endpoint answer `errcode`; they do nothing else unless
        `after_delivery` (WeCom's "system busy" after it carried the call out)."""
        self.faults.add(Fault(path_suffix, times, errcode, errmsg, after_delivery=after_delivery))

    def inject_status(self, path_suffix: str, status: int, times: int = 1, after_delivery: bool = False) -> None:
        """The next `times` calls get an HTTP `status` page from the gateway (before or after WeCom acted)."""
        self.faults.add(Fault(path_suffix, times, status=status, after_delivery=after_delivery))

    def inject_stall(self, path_suffix: str, seconds: float, times: int = 1, after_delivery: bool = True) -> None:
        """The next `times` calls hang `seconds` before answering (the client times out), by default after
        WeCom acted: a timeout tells the caller nothing about delivery."""
        self.faults.add(Fault(path_suffix, times, stall=seconds, after_delivery=after_delivery))

    def take_fault(self, path: str) -> Fault | None:
        """The next injected fault for this endpoint (consumed), or None."""
        return self.faults.take(path)

    def record(self, path: str, method: str, query: dict, body: dict | None, errcode: int) -> None:
        self.calls.append(Call(path, method, mask(query), body, errcode, self.clock()))

    def calls_to(self, path_suffix: str) -> list[Call]:
        return [c for c in self.calls if path_matches(c.path, path_suffix)]

    # --- OAuth codes and JS tickets -----------------------------------------------------

    def issue_oauth_code(self, userid: str, privateinfo: bool | None = None) -> str:
        """A single-use code valid 5 minutes, as the OAuth redirect would carry it. ``privateinfo``: the
        sign-in asked for snsapi_privateinfo and the member agreed (True) or refused (False)."""
        code = new_id(24)
        self._oauth_codes[code] = (userid, self.clock() + OAUTH_CODE_TTL)
        if privateinfo is not None:
            self.privacy.mark_code(code, privateinfo)
        return code

    def redeem_oauth_code(self, code: str | None) -> str:
        if not code:
            raise WeComError(41008)
        userid, expires_at = self._oauth_codes.pop(code, ("", 0.0))
        if not userid or self.clock() > expires_at:
            raise WeComError(40029)
        return userid

    def fetch_ticket(self, kind: str) -> tuple[str, int]:
        """A JS-SDK ticket of `kind`; rate limited per hour like WeCom's."""
        now = self.clock()
        fetches = self._ticket_fetches[kind]
        while fetches and fetches[0] <= now - HOUR:
            fetches.popleft()
        if len(fetches) >= TICKET_HOURLY_CAP:
            raise WeComError(45009)
        fetches.append(now)
        ticket, expires_at = self._tickets.get(kind, ("", 0.0))
        if now >= expires_at:
            ticket, expires_at = new_id(64), now + self.config.jsapi_ticket_ttl
            self._tickets[kind] = (ticket, expires_at)
        return ticket, int(expires_at - now)

    # --- media --------------------------------------------------------------------------

    def store_media(self, type: str, filename: str, content_type: str, data: bytes) -> str:
        media_id = "3" + new_id(48)
        self.media[media_id] = Media(type, filename, content_type, data, self.clock())
        return media_id

    def usable_media(self, media_id: Any, type: str) -> Media:
        """The media if it exists, is of `type` and has not expired (3 days), else 40007."""
        if not media_id:
            raise WeComError(41006)
        media = self.media.get(media_id) if isinstance(media_id, str) else None
        if media is None or media.type != type or self.clock() > media.created_at + MEDIA_TTL:
            raise WeComError(40007)
        return media

    # --- application messages -----------------------------------------------------------

    def send(self, userids: list[str], msgtype: str, content: dict,
             duplicate_check: tuple[str, int] | None = None) -> str:
        """Deliver to members under WeCom's duplicate check and per-member caps; returns msgid."""
        now = self.clock()
        if duplicate_check:
            key, interval = duplicate_check
            previous = self._recent.get(key)
            if previous and now - previous[0] < interval:
                return previous[1]
        msgid = new_id(24)
        if duplicate_check:
            self._recent[duplicate_check[0]] = (now, msgid)
        for userid in userids:
            message = Delivered(msgid, userid, msgtype, copy.deepcopy(content), now)
            allowed = self._within_caps(userid, now)
            (self.delivered if allowed else self.dropped).append(message)
            self.timeline.append((message, not allowed))
        return msgid

    def _within_caps(self, userid: str, now: float) -> bool:
        # Sliding windows over delivered messages; excess is dropped without an error.
        sent = self._sent_at[userid]
        while sent and sent[0] <= now - HOUR:
            sent.popleft()
        last_minute = sum(1 for at in sent if at > now - MINUTE)
        if last_minute >= self.config.per_member_minute_cap or len(sent) >= self.config.per_member_hour_cap:
            return False
        sent.append(now)
        return True

    def messages_for(self, userid: str) -> list[Delivered]:
        return [m for m in self.delivered if m.touser == userid]

    # --- customer mass messages (add_msg_template) --------------------------------------

    def create_template_task(self, chat_type: str, sender: str | None, external_userids: list[str],
                             text: dict | None, attachments: list) -> tuple[str, list[str]]:
        """Record a mass-message task; returns (msgid, fail_list)."""
        if chat_type == "group":
            targets = [g["chat_id"] for g in self.directory["groups"] if g.get("owner") == sender]
            failed: list[str] = []
        else:
            wanted = list(dict.fromkeys(external_userids)) or [
                c["external_userid"] for c, _ in self.follow_pairs(sender or "")]
            targets = [e for e in wanted if self._reachable(e, sender)]
            failed = [e for e in wanted if e not in targets]
        month = datetime.fromtimestamp(self.clock(), CHINA_TZ).strftime("%Y-%m")
        accepted = [t for t in targets if self._template_counts[(t, month)] < TEMPLATE_MONTHLY_CAP]
        for target in accepted:
            self._template_counts[(target, month)] += 1
        if chat_type == "single":
            failed += [t for t in targets if t not in accepted]
        msgid = "msg" + new_id(20)
        self.msg_templates.append({
            "msgid": msgid, "chat_type": chat_type, "sender": sender,
            "external_userid": accepted if chat_type == "single" else [],
            "chat_id_list": accepted if chat_type == "group" else [],
            "text": text, "attachments": copy.deepcopy(attachments),
            "fail_list": failed, "create_time": int(self.clock())})
        return msgid, failed

    def _reachable(self, external_userid: str, sender: str | None) -> bool:
        contact = self.contact(external_userid)
        followers = [f["userid"] for f in contact.get("follow_users", [])] if contact else []
        return bool(followers) and (sender is None or sender in followers)

    # --- directory: queries -------------------------------------------------------------

    def member(self, userid: str) -> dict | None:
        return next((m for m in self.directory["members"] if m["userid"] == userid), None)

    def require_member(self, userid: str) -> dict:
        member = self.member(userid)
        if member is None:
            raise WeComError(60111)
        return member

    def contact(self, external_userid: str) -> dict | None:
        return next((c for c in self.directory["contacts"]
                     if c["external_userid"] == external_userid), None)

    def group(self, chat_id: str) -> dict | None:
        return next((g for g in self.directory["groups"] if g["chat_id"] == chat_id), None)

    def follow_pairs(self, userid: str) -> list[tuple[dict, dict]]:
        """(contact, follow relation) for every customer that member `userid` follows."""
        return [(c, f) for c in self.directory["contacts"]
                for f in c.get("follow_users", []) if f["userid"] == userid]

    # --- directory: changes for sync tests (WeCom sends no callback for API changes) -----

    def add_member(self, member: dict) -> None:
        self._upsert("members", "userid", member)

    def remove_member(self, userid: str) -> None:
        """The member left: their customers stay followed by them until a resigned transfer (离职继承)."""
        self._remove("members", "userid", userid)
        self.left_at[userid] = self.clock()

    def add_contact(self, contact: dict) -> None:
        self._upsert("contacts", "external_userid", contact)

    def remove_contact(self, external_userid: str) -> None:
        self._remove("contacts", "external_userid", external_userid)

    def add_group(self, group: dict) -> None:
        self._upsert("groups", "chat_id", group)

    def remove_group(self, chat_id: str) -> None:
        self._remove("groups", "chat_id", chat_id)

    def set_follow(self, external_userid: str, userid: str, **fields: Any) -> None:
        """Add member `userid` as a follower of the customer, or update that relation."""
        contact = self.contact(external_userid)
        if contact is None:
            raise KeyError(external_userid)
        follows = contact.setdefault("follow_users", [])
        relation = next((f for f in follows if f["userid"] == userid), None)
        if relation is None:
            relation = {"userid": userid, "remark": "", "description": "", "tags": [],
                        "createtime": int(self.clock()), "state": "", "add_way": 0}
            follows.append(relation)
        relation.update(copy.deepcopy(fields))

    def remove_follow(self, external_userid: str, userid: str) -> None:
        contact = self.contact(external_userid)
        if contact is not None:
            contact["follow_users"] = [f for f in contact.get("follow_users", []) if f["userid"] != userid]

    def _upsert(self, kind: str, key: str, item: dict) -> None:
        items = self.directory[kind]
        index = next((i for i, x in enumerate(items) if x[key] == item[key]), len(items))
        items[index:index + 1] = [copy.deepcopy(item)]

    def _remove(self, kind: str, key: str, value: str) -> None:
        self.directory[kind] = [x for x in self.directory[kind] if x[key] != value]


def member_version(group: dict) -> str:
    """Changes whenever the group's membership changes, like WeCom's member_version."""
    ids = sorted(m.get("userid", "") for m in group.get("member_list", []))
    return hashlib.md5("|".join(ids).encode()).hexdigest()
