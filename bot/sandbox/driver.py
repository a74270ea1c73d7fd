"""The callback driver: encrypts and signs messages and events exactly as WeCom does and posts them.

Used by the demo's /sandbox page, the end-to-end tests and bench/callback.py.
"""
from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.edge.crypto import CallbackCrypto, cdata_safe, parse_xml

_msg_ids = itertools.count(int(time.time() * 1000) % 10**12 * 1000)


def next_msg_id() -> str:
    """A fresh 64-bit-ish MsgId, unique within this process."""
    return str(next(_msg_ids))


def text_xml(corp_id: str, from_user: str, content: str, msg_id: str, agent_id: int,
             create_time: int | None = None) -> str:
    ts = create_time or int(time.time())
    return (f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><FromUserName><![CDATA[{from_user}]]>"
            f"</FromUserName><CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{cdata_safe(content)}]]></Content><MsgId>{msg_id}</MsgId>"
            f"<AgentID>{agent_id}</AgentID></xml>")


def event_xml(corp_id: str, from_user: str, event: str, fields: dict[str, Any],
              agent_id: int | None = None, create_time: int | None = None) -> str:
    """An event payload; list values become <Item> children (MemChangeList)."""
    ts = create_time or int(time.time())
    parts = [f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>",
             f"<FromUserName><![CDATA[{from_user}]]></FromUserName><CreateTime>{ts}</CreateTime>",
             f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>"]
    for key, value in fields.items():
        if isinstance(value, (list, tuple)):
            items = "".join(f"<Item><![CDATA[{v}]]></Item>" for v in value)
            parts.append(f"<{key}>{items}</{key}>")
        elif isinstance(value, int):
            parts.append(f"<{key}>{value}</{key}>")
        else:
            parts.append(f"<{key}><![CDATA[{value}]]></{key}>")
    if agent_id is not None:
        parts.append(f"<AgentID>{agent_id}</AgentID>")
    parts.append("</xml>")
    return "".join(parts)


@dataclass
class Delivery:
    status: int
    body: str
    reply: dict[str, Any] | None  # the decrypted, verified passive reply, if any


class CallbackDriver:
    """Posts encrypted callbacks to a server the way WeCom does."""

    def __init__(self, url: str, token: str, aes_key: str, corp_id: str, agent_id: int,
                 session: aiohttp.ClientSession | Any):
        self.url = url
        self.crypto = CallbackCrypto(token, aes_key, corp_id)
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.session = session

    def envelope(self, plaintext: str, timestamp: int | None = None, nonce: str | None = None
                 ) -> tuple[dict[str, str], str]:
        """(query parameters, body) for a POST carrying ``plaintext``."""
        ts = str(timestamp or int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        encrypt = self.crypto.encrypt(plaintext)
        params = {"msg_signature": self.crypto.sign(ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}
        body = (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<AgentID><![CDATA[{self.agent_id}]]></AgentID><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
        return params, body

    async def post(self, plaintext: str, **kw: Any) -> Delivery:
        params, body = self.envelope(plaintext, **kw)
        return await self.post_raw(params, body)

    async def post_raw(self, params: dict[str, str], body: str | bytes) -> Delivery:
        url = f"{self.url}?{urlencode(params)}"
        async with self.session.post(url, data=body, headers={"Content-Type": "text/xml"}) as resp:
            text = await resp.text()
            reply = self.open_reply(text, params["nonce"]) if resp.status == 200 and text else None
            return Delivery(resp.status, text, reply)

    def open_reply(self, text: str, nonce: str) -> dict[str, Any]:
        """Verify and decrypt a passive reply as WeCom would; raises CryptoError if it does not verify."""
        env = parse_xml(text)
        self.crypto.verify(env["MsgSignature"], env["TimeStamp"], env["Nonce"], env["Encrypt"])
        if env["Nonce"] != nonce:
            raise ValueError("reply nonce differs from the request's")
        return parse_xml(self.crypto.decrypt(env["Encrypt"]))

    async def send_text(self, from_user: str, content: str, msg_id: str | None = None) -> Delivery:
        return await self.post(text_xml(self.corp_id, from_user, content, msg_id or next_msg_id(), self.agent_id))

    async def send_event(self, from_user: str, event: str, fields: dict[str, Any] | None = None,
                         with_agent: bool = True, create_time: int | None = None) -> Delivery:
        xml = event_xml(self.corp_id, from_user, event, fields or {},
                        self.agent_id if with_agent else None, create_time)
        return await self.post(xml)

    async def deliver_events(self, events: list[tuple[str, dict[str, Any]]]) -> list[Delivery]:
        """Post events the fake WeCom queued (e.g. transfer_fail from fake.handover.take_events()) as WeCom
        does: from "sys", without an AgentID (客户联系 events are the corp's, not an app's)."""
        return [await self.send_event("sys", event, fields, with_agent=False) for event, fields in events]

    async def verify_url(self, echo: str = "") -> tuple[int, str]:
        """The GET URL verification WeCom performs when the callback URL is saved."""
        ts, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        echostr = self.crypto.encrypt(echo or str(secrets.randbelow(10**18)))
        params = {"msg_signature": self.crypto.sign(ts, nonce, echostr), "timestamp": ts,
                  "nonce": nonce, "echostr": echostr}
        async with self.session.get(f"{self.url}?{urlencode(params)}") as resp:
            return resp.status, await resp.text()
