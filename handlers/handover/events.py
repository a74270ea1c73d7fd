"""WeCom's transfer_fail event (客户联系): a customer refused the handover, or the takeover member is full.

The contacts feature registers the same event to note it on the contact (handlers/contacts/events.py); the
dispatcher keeps one handler per event, so this router comes after it in ROUTERS and passes the event on.
"""
from __future__ import annotations

import logging

from bot.router import Router
from handlers.contacts import events as contacts_events
from handlers.handover import transfer

log = logging.getLogger(__name__)
router = Router("handover")


@router.event("change_external_contact", "transfer_fail")
async def transfer_failed(msg, ctx) -> None:
    """Mark the customer's result on the latest handover to that member (客户拒绝 / 接替成员客户已达上限)."""
    await contacts_events.transfer_failed(msg, ctx)
    external_userid, takeover = msg.external_user_id[:64], msg.user_id[:64]
    if external_userid and takeover:
        marked = await ctx.db.atomic(transfer.mark_failed, takeover, external_userid, msg.fail_reason[:64],
                                     ctx.clock())
        log.info("handover: transfer of %s to %s failed (%s)%s", external_userid, takeover, msg.fail_reason,
                 "" if marked else ", no open handover item")
