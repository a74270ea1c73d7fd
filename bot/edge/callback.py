"""GET URL verification and POST receive: verify, decrypt, dedupe, dispatch with a deadline, reply.

Every refusal is a 4xx with a short reason, logs one line, and never echoes plaintext or secrets.
Duplicates (WeCom re-delivers up to three times) are answered 200 and not processed again; the inbox
of dedupe keys lives in the database so it holds across processes.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time

from aiohttp import web

from bot import keys
from bot.context import Context
from bot.edge.crypto import CryptoError, cdata_safe, envelope_encrypt, parse_xml
from bot.edge.messages import Message, parse_message
from bot.edge.replies import parts_of
from bot.outbox.replies import REPLIES

log = logging.getLogger(__name__)

REQUIRED_POST = ("msg_signature", "timestamp", "nonce")


def refuse(request: web.Request, status: int, reason: str, code: str) -> web.Response:
    """A 4xx answer; ``code`` (bot.edge.stats.REFUSAL_REASONS) is what the refusal is counted under."""
    log.warning("callback refused %s %s: %s (from %s)", request.method, status, reason, request.remote)
    request.app[keys.EDGE_STATS].refuse(code)
    return web.Response(status=status, text=reason)


# What WeCom sends: a 40-hex SHA-1, a Unix time in seconds, a short nonce (digits in practice). Anything else is
# refused before int() or the crypto see it: '²' and 4,301-digit timestamps used to end in a 500.
_PARAM_FORMS = {"msg_signature": re.compile(r"[0-9a-fA-F]{40}"), "timestamp": re.compile(r"[0-9]{1,10}"),
                "nonce": re.compile(r"[0-9A-Za-z_-]{1,64}")}
MAX_ECHOSTR = 4096


def _params_problem(q, names: tuple[str, ...]) -> str | None:
    """None when every parameter is present and well formed, else the reason."""
    for name in names:
        value = q.get(name, "")
        if not value:
            return f"missing {name}"
        form = _PARAM_FORMS.get(name)
        if form is not None and not form.fullmatch(value):
            return f"{name} is malformed"
        if name == "echostr" and len(value) > MAX_ECHOSTR:
            return "echostr is too long"
    return None


def _fresh(request: web.Request, timestamp: str) -> str | None:
    """None when the (already well-formed) timestamp is within the allowed skew, else the reason."""
    skew = request.app[keys.CONFIG].wecom.callback_max_skew
    if abs(time.time() - int(timestamp)) > skew:
        return "timestamp outside the allowed window"
    return None


async def verify_url(request: web.Request) -> web.Response:
    """GET: WeCom checks the URL when it is saved; answer the decrypted echostr as bare text."""
    q = request.query
    problem = _params_problem(q, (*REQUIRED_POST, "echostr"))
    if problem:
        return refuse(request, 400, problem, "params")
    problem = _fresh(request, q["timestamp"])
    if problem:
        return refuse(request, 403, problem, "timestamp")
    try:
        plain = request.app[keys.CRYPTO].verify_and_decrypt(q["msg_signature"], q["timestamp"], q["nonce"],
                                                            q["echostr"])
    except CryptoError as exc:
        return refuse(request, 403 if exc.code in (CryptoError.SIGNATURE, CryptoError.RECEIVE_ID) else 400,
                      exc.reason, exc.kind)
    return web.Response(text=plain, content_type="text/plain")


async def _read_body(request: web.Request) -> bytes | None:
    """The whole body, however many TCP segments it came in; None when it is larger than allowed.

    Never buffers more than the limit + one read; a body that trickles in slower than server.body_timeout
    raises asyncio.TimeoutError (answered 408 by the caller)."""
    limit = request.app[keys.CONFIG].wecom.callback_max_body
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    async with asyncio.timeout(request.app[keys.CONFIG].server.body_timeout):
        while chunk := await request.content.read(limit + 1 - len(body)):
            body += chunk
            if len(body) > limit:
                return None
    return bytes(body)


async def receive(request: web.Request) -> web.Response:
    """POST: one message or event."""
    q = request.query
    problem = _params_problem(q, REQUIRED_POST)
    if problem:
        return refuse(request, 400, problem, "params")
    try:
        body = await _read_body(request)
    except asyncio.TimeoutError:
        return refuse(request, 408, "body not received in time", "slow_body")
    if body is None:
        return refuse(request, 413, "body too large", "oversize")
    crypto = request.app[keys.CRYPTO]
    try:
        encrypt = envelope_encrypt(body)
        if not encrypt:
            return refuse(request, 400, "no Encrypt element", "no_encrypt")
        crypto.verify(q["msg_signature"], q["timestamp"], q["nonce"], encrypt)
        problem = _fresh(request, q["timestamp"])
        if problem:
            return refuse(request, 403, problem, "timestamp")
        plaintext = crypto.decrypt(encrypt)
        msg = parse_message(parse_xml(plaintext), plaintext)
    except CryptoError as exc:
        status = 403 if exc.code in (CryptoError.SIGNATURE, CryptoError.RECEIVE_ID) else 400
        return refuse(request, status, exc.reason, exc.kind)
    return await _process(request, msg)


async def _process(request: web.Request, msg: Message) -> web.Response:
    app = request.app
    is_new, staff = await app[keys.ADMISSION].admit(msg.dedupe_key, msg.kind, msg.from_user)
    app[keys.EDGE_STATS].accept(msg.kind, is_new)
    if not is_new:
        log.info("callback duplicate %s ignored", msg.dedupe_key[:24])
        return web.Response(text="")
    task = asyncio.create_task(handle(app, msg, staff))
    done, _ = await asyncio.wait({task}, timeout=app[keys.CONFIG].wecom.reply_deadline)
    if not done:
        log.info("callback %s past the deadline: replying later via message/send", msg.kind)
        app[keys.TASKS].spawn(_late(app, msg, task), name=f"late-reply:{msg.dedupe_key[:24]}")
        return web.Response(text="")
    reply = task.result()
    if reply is not None and reply.passive_ok and msg.from_user != "sys":
        app[keys.INBOX].finish(msg.dedupe_key, "done")
        return web.Response(text=passive_text(app, msg, reply.text, request.query["nonce"]),
                            content_type="application/xml")
    app[keys.TASKS].spawn(_send_and_finish(app, msg, reply), name=f"reply:{msg.dedupe_key[:24]}")
    return web.Response(text="")


def passive_text(app: web.Application, msg: Message, text: str, nonce: str) -> str:
    """The encrypted, signed passive reply carrying ``text``."""
    ts = str(int(time.time()))
    xml = (f"<xml><ToUserName><![CDATA[{cdata_safe(msg.from_user)}]]></ToUserName>"
           f"<FromUserName><![CDATA[{cdata_safe(msg.to_user)}]]></FromUserName><CreateTime>{ts}</CreateTime>"
           f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{cdata_safe(text)}]]></Content></xml>")
    return app[keys.CRYPTO].encrypt_reply(xml, nonce, ts)


async def handle(app: web.Application, msg: Message, staff):
    """Dispatch with a context for the sender (``staff`` is their bound account or None)."""
    return await app[keys.DISPATCHER].dispatch(msg, build_context(app, msg.from_user, staff))


def build_context(app: web.Application, userid: str, staff) -> Context:
    return Context(config=app[keys.CONFIG], db=app[keys.DB], wecom=app[keys.WECOM], texts=app[keys.TEXTS],
                   clock=app[keys.CLOCK], userid=userid, staff=staff, fonts=app.get(keys.FONTS),
                   dispatcher=app[keys.DISPATCHER])


async def _late(app: web.Application, msg: Message, task: asyncio.Task) -> None:
    try:
        reply = await task
    except Exception:  # dispatch already shapes handler errors; this is a bug in the edge itself
        log.exception("late handler for %s failed", msg.kind)
        reply = None
    await _send_and_finish(app, msg, reply)


async def _send_and_finish(app: web.Application, msg: Message, reply) -> None:
    """Hand the reply to the outbox (written once per callback, then sent, retried and, after a restart,
    picked up there); the callback is done once the reply is written."""
    state = "done"
    if reply is not None and msg.from_user and msg.from_user != "sys":
        try:
            report = await app[REPLIES].submit(msg.dedupe_key, msg.from_user, parts_of(reply))
            if report.counts.failed or report.counts.uncertain:
                log.warning("late reply for %s: %d part(s) failed, %d uncertain", msg.kind, report.counts.failed,
                            report.counts.uncertain)
        except Exception:  # the database or a bug; whatever was written is sent by the reply sender later
            state = "failed"
            log.exception("could not hand over the reply for %s", msg.kind)
    app[keys.INBOX].finish(msg.dedupe_key, state)


def setup_routes(app: web.Application, path: str) -> None:
    app.router.add_get(path, verify_url)
    app.router.add_post(path, receive)
