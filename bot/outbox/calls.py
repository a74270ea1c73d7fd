"""One call to WeCom for a stored message, and what its answer means for the state machine (sends.py).

ok: delivered. unknown: WeCom may have it (-1, a timeout, a 5xx, a connection lost after sending, anywhere
among the client's own retries). refused: WeCom surely has nothing and a later try may work (45009/45033,
token errors, configuration, no connection). permanent: surely nothing, and trying again will not help.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.wecom import WeComClient, WeComConfigError, WeComError

log = logging.getLogger(__name__)

RATE_LIMITED = {45009, 45033}
RETRY_LATER = {40014, 42001, 41001}  # token trouble after the client's own refresh


@dataclass(frozen=True)
class Result:
    result: str  # ok | unknown | refused | permanent
    msgid: str = ""
    error: str = ""
    rate_limited: bool = False  # WeCom's own limit tripped: the sender pauses


async def deliver(wecom: WeComClient, recipient: str, message: dict, dup_window: int,
                  resend_within: float) -> Result:
    """Send `message` (message/send, or add_msg_template for a client push) and classify the outcome."""
    msgtype = message["msgtype"]
    try:
        if msgtype == "template":  # a task the member confirms; WeCom has no duplicate check for these
            answer = await wecom.add_msg_template(message["template"])
            if recipient in answer.get("fail_list", []):
                return Result("permanent", error="客户无法接收：不是该成员的客户，或本月群发次数已满")
            return Result("ok", str(answer.get("msgid", "")))
        answer = await wecom.message_send(recipient, msgtype, message[msgtype], duplicate_check=dup_window,
                                          resend_within=resend_within)
    except WeComError as exc:
        return classify(exc)
    except Exception as exc:  # noqa: BLE001 - a bug must not lose the message; it may have gone out
        log.exception("push to %s failed unexpectedly", recipient)
        return Result("unknown", error=f"{type(exc).__name__}: {exc}")
    return Result("ok", str(answer.get("msgid", "")))


def classify(exc: WeComError) -> Result:
    """What a failed call means for the message."""
    if exc.maybe_delivered:
        return Result("unknown", error=str(exc))
    if isinstance(exc, WeComConfigError):
        log.error("push refused, configuration: %s", exc.hint)
        return Result("refused", error=str(exc))
    if exc.errcode in RATE_LIMITED:
        return Result("refused", error=str(exc), rate_limited=True)
    if exc.errcode in RETRY_LATER or exc.errcode in (-2, -3):  # -2/-3: no connection, nothing was sent
        return Result("refused", error=str(exc))
    log.warning("push refused for good: %s", exc)
    return Result("permanent", error=str(exc))
