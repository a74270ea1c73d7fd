"""The async WeCom server-API client: one aiohttp session, a shared token cache, bounded retries.

Facts behind the choices are in ../shared/WECOM.md §4 (doc/90313 for error codes). Nothing here logs an
access token, a ticket or the secret; request URLs are logged by path only.
"""
from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from typing import Any, Awaitable, Callable
from urllib.parse import urljoin

import aiohttp

from bot.config.settings import WeComConfig
from bot.wecom_handover import HandoverCalls
from bot.wecom_tokens import CachedValue, MemoryTokenStore, TokenStore, SingleFlight

__all__ = ["CachedValue", "MemoryTokenStore", "TokenStore", "WeComClient", "WeComConfigError", "WeComError",
           "WeComUnavailable"]

log = logging.getLogger(__name__)

TOKEN_ERRORS = {40014, 42001}      # token invalid or expired: refresh once and repeat the call
RETRYABLE = {-1, 45009, 45033}     # system busy, rate limited, too many concurrent calls
# "System busy" may come back after WeCom carried the request out (a message delivered, a task created):
# such a request is repeated only while a repeat is known to be harmless (see call()).
UNSURE = {-1}
CONFIG_ERRORS = {40001: "应用 Secret 不正确（WECOM_SECRET）", 40013: "企业 ID 不正确（WECOM_CORP_ID）",
                 41004: "缺少应用 Secret（WECOM_SECRET）", 60020: "服务器 IP 不在应用的企业可信 IP 中",
                 48002: "应用没有调用此接口的权限", 40056: "应用 AgentId 不正确（WECOM_AGENT_ID）"}


class WeComError(Exception):
    """A WeCom API call that failed; carries WeCom's errcode and errmsg.

    ``maybe_delivered``: some attempt of the call ended without a definite answer (-1, a timeout, a 5xx, the
    connection lost after sending), so WeCom may have carried it out although the call failed."""

    def __init__(self, path: str, errcode: int, errmsg: str, maybe_delivered: bool = False):
        super().__init__(f"{path}: errcode {errcode} {errmsg}")
        self.path = path
        self.errcode = errcode
        self.errmsg = errmsg
        self.maybe_delivered = maybe_delivered


class WeComConfigError(WeComError):
    """The call failed because our configuration is wrong (bad secret, corp id, IP, permission)."""

    @property
    def hint(self) -> str:
        return CONFIG_ERRORS.get(self.errcode, "企业微信配置有误")


class WeComUnavailable(WeComError):
    """WeCom could not be reached or did not answer in time."""


class WeComClient(HandoverCalls):
    """Methods are named after the endpoints; each docstring names its doc page (handover calls: wecom_handover.py)."""

    def __init__(self, cfg: WeComConfig, session: aiohttp.ClientSession, store: TokenStore | None = None,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.cfg = cfg
        self.session = session
        self.clock = clock
        self.sleep = sleep
        self.base = cfg.api_base if cfg.api_base.endswith("/") else cfg.api_base + "/"
        store = store or MemoryTokenStore()
        ident = f"{cfg.corp_id}:{cfg.agent_id}"
        margin = cfg.token_refresh_margin
        self._token = SingleFlight(f"access_token:{ident}", store, self._fetch_token, margin, clock)
        self._corp_ticket = SingleFlight(f"jsapi_ticket:{ident}", store, self._fetch_corp_ticket, margin, clock)
        self._agent_ticket = SingleFlight(f"agent_ticket:{ident}", store, self._fetch_agent_ticket, margin, clock)

    # ---- transport -------------------------------------------------------------------------------
    async def _http(self, method: str, path: str, params: dict, json: Any = None,
                    form: Callable[[], aiohttp.MultipartWriter] | None = None) -> dict:
        timeout = aiohttp.ClientTimeout(total=self.cfg.request_timeout)
        try:
            async with self.session.request(method, urljoin(self.base, path), params=params, json=json,
                                             data=form() if form else None, timeout=timeout) as resp:
                if resp.status != 200:  # a gateway's 5xx may come after WeCom acted; a 4xx never reached it
                    raise WeComUnavailable(path, -2, f"HTTP {resp.status}", maybe_delivered=resp.status >= 500)
                return await resp.json(content_type=None)
        except asyncio.TimeoutError:
            raise WeComUnavailable(path, -3, "timed out", maybe_delivered=True) from None
        except aiohttp.ClientConnectorError as exc:  # no connection: nothing was sent
            raise WeComUnavailable(path, -2, type(exc).__name__) from None
        except (aiohttp.ClientError, ValueError) as exc:  # lost or garbled after the request went out
            raise WeComUnavailable(path, -2, type(exc).__name__, maybe_delivered=True) from None

    async def call(self, method: str, path: str, params: dict | None = None, json: Any = None,
                   form: Callable[[], aiohttp.MultipartWriter] | None = None,
                   resend_within: float = math.inf) -> dict:
        """One API call with the access token: refresh once on 40014/42001, back off on -1/45009/45033.

        ``form`` builds the multipart body afresh for every attempt, so a retried upload is sent whole.
        ``resend_within``: seconds from now during which repeating a request that may already have taken
        effect is harmless (reads: always; message/send: inside WeCom's duplicate check; 0: never). Past
        it, the call stops at the first unsure answer and raises with ``maybe_delivered`` set.
        """
        rejected: str | None = None
        refreshed = maybe_delivered = False
        busy_retries, data = 0, {}
        started = self.clock()
        def may_repeat(wait: float = 0.0) -> bool:
            return not maybe_delivered or self.clock() - started + wait < resend_within

        while True:
            token = await self._token.get(rejected)
            try:
                data = await self._http(method, path, {**(params or {}), "access_token": token}, json, form)
            except WeComUnavailable as exc:
                exc.maybe_delivered = exc.maybe_delivered or maybe_delivered
                raise
            errcode = int(data.get("errcode", 0) or 0)
            if errcode == 0:
                return data
            maybe_delivered = maybe_delivered or errcode in UNSURE
            if errcode in TOKEN_ERRORS and not refreshed and may_repeat():
                log.info("wecom %s: token rejected (%s), refreshing once", path, errcode)
                rejected, refreshed = token, True
                continue
            delay = self.cfg.backoff_base * (2 ** busy_retries) * (0.5 + random.random())
            if errcode in RETRYABLE and busy_retries < self.cfg.max_retries and may_repeat(delay):
                busy_retries += 1
                log.warning("wecom %s: errcode %s, retry %d in %.2fs", path, errcode, busy_retries, delay)
                await self.sleep(delay)
                continue
            if maybe_delivered:
                log.warning("wecom %s: errcode %s after an attempt that may have arrived; not repeated", path, errcode)
            raise self._error(path, data, maybe_delivered)

    @staticmethod
    def _error(path: str, data: dict, maybe_delivered: bool = False) -> WeComError:
        errcode = int(data.get("errcode", -2))
        errmsg = str(data.get("errmsg", ""))[:200]
        cls = WeComConfigError if errcode in CONFIG_ERRORS else WeComError
        return cls(path, errcode, errmsg, maybe_delivered)

    # ---- tokens and tickets ----------------------------------------------------------------------
    async def _fetch_token(self) -> tuple[str, int]:
        """gettoken (doc/91039). 40001 means a wrong secret: a configuration error, never retried."""
        data = await self._http("GET", "gettoken", {"corpid": self.cfg.corp_id, "corpsecret": self.cfg.secret})
        if int(data.get("errcode", 0) or 0) != 0:
            raise self._error("gettoken", data)
        log.info("wecom: fetched a new access token")
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    async def access_token(self) -> str:
        return await self._token.get()

    async def _fetch_corp_ticket(self) -> tuple[str, int]:
        data = await self.call("GET", "get_jsapi_ticket")
        return str(data["ticket"]), int(data.get("expires_in", 7200))

    async def _fetch_agent_ticket(self) -> tuple[str, int]:
        data = await self.call("GET", "ticket/get", {"type": "agent_config"})
        return str(data["ticket"]), int(data.get("expires_in", 7200))

    async def get_jsapi_ticket(self) -> str:
        """Corp jsapi_ticket for wx.config (doc/90506), cached and shared; never sent to a browser."""
        return await self._corp_ticket.get()

    async def get_agent_ticket(self) -> str:
        """App ticket (ticket/get?type=agent_config) for wx.agentConfig (doc/90506)."""
        return await self._agent_ticket.get()

    # ---- messages --------------------------------------------------------------------------------
    async def message_send(self, touser: str, msgtype: str, body: dict, duplicate_check: int = 0,
                           resend_within: float | None = None) -> dict:
        """message/send (doc/90236). ``duplicate_check`` seconds > 0 turns on WeCom's duplicate check.

        A send that may have been delivered is repeated only inside that check (``resend_within`` seconds,
        by default the check less a margin for the request itself); without the check, never."""
        payload = {"touser": touser, "msgtype": msgtype, "agentid": self.cfg.agent_id, msgtype: body,
                   "safe": 0, "enable_duplicate_check": 1 if duplicate_check else 0}
        if duplicate_check:
            payload["duplicate_check_interval"] = duplicate_check
        if resend_within is None:
            resend_within = max(duplicate_check - self.cfg.request_timeout - 60, 0) if duplicate_check else 0
        return await self.call("POST", "message/send", json=payload, resend_within=resend_within)

    async def send_text(self, touser: str, content: str, **kw: Any) -> dict:
        return await self.message_send(touser, "text", {"content": content}, **kw)

    async def send_markdown(self, touser: str, content: str, **kw: Any) -> dict:
        return await self.message_send(touser, "markdown", {"content": content}, **kw)

    async def send_textcard(self, touser: str, title: str, description: str, url: str,
                            btntxt: str = "详情", **kw: Any) -> dict:
        body = {"title": title, "description": description, "url": url, "btntxt": btntxt}
        return await self.message_send(touser, "textcard", body, **kw)

    async def send_image(self, touser: str, media_id: str, **kw: Any) -> dict:
        return await self.message_send(touser, "image", {"media_id": media_id}, **kw)

    async def send_file(self, touser: str, media_id: str, **kw: Any) -> dict:
        return await self.message_send(touser, "file", {"media_id": media_id}, **kw)

    async def media_upload(self, media_type: str, filename: str, data: bytes, content_type: str) -> str:
        """media/upload (doc/90253) -> media_id (valid 3 days)."""
        def form() -> aiohttp.MultipartWriter:
            # Raw UTF-8 filename (as WeCom's own clients send it): aiohttp would percent-encode a Chinese
            # name, and WeCom would then show "%E6%94%B6…" as the file's name in the chat.
            safe_name = filename.replace('"', "").replace("\r", "").replace("\n", "")
            writer = aiohttp.MultipartWriter("form-data")
            part = writer.append(data, {"Content-Type": content_type})
            part.headers["Content-Disposition"] = (
                f'form-data; name="media"; filename="{safe_name}"; filelength={len(data)}')
            return writer
        result = await self.call("POST", "media/upload", {"type": media_type}, form=form)
        return str(result["media_id"])

    # ---- members and identity --------------------------------------------------------------------
    async def user_get(self, userid: str) -> dict:
        """user/get (doc/90196)."""
        return await self.call("GET", "user/get", {"userid": userid})

    async def auth_getuserinfo(self, code: str) -> dict:
        """auth/getuserinfo (doc/91023): the new endpoint, lower-case keys {userid | openid}.

        The answer is passed on whole: after a snsapi_privateinfo sign-in it also carries ``user_ticket``
        (valid ``expires_in`` = 1800 s) for user_getuserdetail."""
        return await self.call("GET", "auth/getuserinfo", {"code": code})

    async def user_getuserdetail(self, user_ticket: str) -> dict:
        """user/getuserdetail (doc/95833): mobile, email, avatar… of a member who agreed to snsapi_privateinfo."""
        return await self.call("POST", "user/getuserdetail", json={"user_ticket": user_ticket})

    async def user_list_id(self, cursor: str = "", limit: int = 10000) -> dict:
        """user/list_id (doc/96067): {dept_user: [{userid, department}], next_cursor} in the visible range."""
        body: dict[str, Any] = {"limit": limit}
        if cursor:
            body["cursor"] = cursor
        return await self.call("POST", "user/list_id", json=body)

    async def all_member_ids(self) -> list[str]:
        """Every userid in the app's visible range, once each (a member in two departments has two rows)."""
        ids: dict[str, None] = {}
        cursor = ""
        while True:
            page = await self.user_list_id(cursor)
            ids.update((row["userid"], None) for row in page.get("dept_user", []) if row.get("userid"))
            cursor = page.get("next_cursor") or ""
            if not cursor:
                return list(ids)

    # ---- customer contact (客户联系) -------------------------------------------------------------
    async def get_follow_user_list(self) -> list[str]:
        """externalcontact/get_follow_user_list (doc/92571)."""
        return list((await self.call("GET", "externalcontact/get_follow_user_list")).get("follow_user", []))

    async def externalcontact_list(self, userid: str) -> list[str]:
        """externalcontact/list (doc/92113)."""
        data = await self.call("GET", "externalcontact/list", {"userid": userid})
        return list(data.get("external_userid", []))

    async def externalcontact_get(self, external_userid: str, cursor: str = "") -> dict:
        """externalcontact/get (doc/92114); follow_user pages by cursor past 500 followers."""
        params = {"external_userid": external_userid}
        if cursor:
            params["cursor"] = cursor
        return await self.call("GET", "externalcontact/get", params)

    async def batch_get_by_user(self, userids: list[str], cursor: str = "", limit: int = 100) -> dict:
        """externalcontact/batch/get_by_user (doc/93010): ≤100 members a call, cursor paging."""
        body = {"userid_list": userids, "cursor": cursor, "limit": limit}
        return await self.call("POST", "externalcontact/batch/get_by_user", json=body)

    async def groupchat_list(self, cursor: str = "", limit: int = 1000, status_filter: int = 0,
                             owners: list[str] | None = None) -> dict:
        """externalcontact/groupchat/list (doc/92120), cursor paging."""
        body: dict[str, Any] = {"status_filter": status_filter, "cursor": cursor, "limit": limit}
        if owners:
            body["owner_filter"] = {"userid_list": owners}
        return await self.call("POST", "externalcontact/groupchat/list", json=body)

    async def groupchat_get(self, chat_id: str, need_name: bool = True) -> dict:
        """externalcontact/groupchat/get (doc/92122)."""
        body = {"chat_id": chat_id, "need_name": 1 if need_name else 0}
        return (await self.call("POST", "externalcontact/groupchat/get", json=body))["group_chat"]

    async def add_msg_template(self, payload: dict) -> dict:
        """externalcontact/add_msg_template (doc/92135): a task the member confirms; 4/customer/month.

        WeCom has no duplicate check here, so a call that may have created the task is never repeated."""
        return await self.call("POST", "externalcontact/add_msg_template", json=payload, resend_within=0)

