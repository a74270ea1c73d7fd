"""The WeCom client's handover calls (客户联系 → 在职继承 / 离职继承), mixed into WeComClient (bot/wecom.py).

Facts in ../shared/WECOM.md §9. WeCom takes at most 100 customers or groups a call and refuses the whole call
past that, so these methods raise ValueError first and callers chunk.
"""
from __future__ import annotations

from typing import Any


class HandoverCalls:
    """Needs the client's ``call``; every method is named after its endpoint."""

    async def call(self, method: str, path: str, params: dict | None = None, json: Any = None,
                   **kw: Any) -> dict:  # pragma: no cover - provided by WeComClient
        raise NotImplementedError

    # ---- handover (在职继承 / 离职继承) ------------------------------------------------------------
    # A repeated transfer would answer 40129 ("being transferred") per customer and read as a failure, so a call
    # that may have taken effect is never repeated: callers read transfer_result instead.
    async def transfer_customer(self, handover_userid: str, takeover_userid: str, external_userids: list[str],
                                transfer_success_msg: str | None = None) -> dict:
        """externalcontact/transfer_customer (doc/92125): ≤100 customers; each waits 24 h, may refuse.

        Answers ``customer[{external_userid, errcode}]``; errcode 0 only starts the wait."""
        body = {"handover_userid": handover_userid, "takeover_userid": takeover_userid,
                "external_userid": _at_most_100(external_userids, "external_userids")}
        if transfer_success_msg:
            body["transfer_success_msg"] = transfer_success_msg
        return await self.call("POST", "externalcontact/transfer_customer", json=body, resend_within=0)

    async def resigned_transfer_customer(self, handover_userid: str, takeover_userid: str,
                                         external_userids: list[str]) -> dict:
        """externalcontact/resigned/transfer_customer (doc/94081): a leaver's customers, ≤100 a call."""
        body = {"handover_userid": handover_userid, "takeover_userid": takeover_userid,
                "external_userid": _at_most_100(external_userids, "external_userids")}
        return await self.call("POST", "externalcontact/resigned/transfer_customer", json=body, resend_within=0)

    async def transfer_result(self, handover_userid: str, takeover_userid: str, cursor: str = "") -> dict:
        """externalcontact/transfer_result (doc/94088): customer[{external_userid, status, takeover_time}].

        status 1 done, 2 waiting, 3 refused by the customer, 4 the takeover member is full, 5 no record."""
        body = {"handover_userid": handover_userid, "takeover_userid": takeover_userid, "cursor": cursor}
        return await self.call("POST", "externalcontact/transfer_result", json=body)

    async def resigned_transfer_result(self, handover_userid: str, takeover_userid: str, cursor: str = "") -> dict:
        """externalcontact/resigned/transfer_result (doc/94082): as transfer_result, for 离职继承."""
        body = {"handover_userid": handover_userid, "takeover_userid": takeover_userid, "cursor": cursor}
        return await self.call("POST", "externalcontact/resigned/transfer_result", json=body)

    async def groupchat_transfer(self, chat_ids: list[str], new_owner: str) -> dict:
        """externalcontact/groupchat/transfer (doc/92127): groups of a leaver, ≤100; answers failed_chat_list."""
        body = {"chat_id_list": _at_most_100(chat_ids, "chat_ids"), "new_owner": new_owner}
        return await self.call("POST", "externalcontact/groupchat/transfer", json=body, resend_within=0)

    async def groupchat_onjob_transfer(self, chat_ids: list[str], new_owner: str) -> dict:
        """externalcontact/groupchat/onjob_transfer (doc/95703): groups of a member still here, ≤100."""
        body = {"chat_id_list": _at_most_100(chat_ids, "chat_ids"), "new_owner": new_owner}
        return await self.call("POST", "externalcontact/groupchat/onjob_transfer", json=body, resend_within=0)

    async def get_unassigned_list(self, cursor: str = "", page_size: int = 1000) -> dict:
        """externalcontact/get_unassigned_list (doc/92124): info[{handover_userid, external_userid,
        dimission_time}], is_last, next_cursor: leavers' customers waiting for a new member."""
        body: dict[str, Any] = {"page_size": page_size}
        if cursor:
            body["cursor"] = cursor
        return await self.call("POST", "externalcontact/get_unassigned_list", json=body)


def _at_most_100(ids: list[str], name: str) -> list[str]:
    """WeCom takes at most 100 ids a handover call and refuses the whole call past that: callers chunk."""
    ids = list(ids)
    if len(ids) > 100:
        raise ValueError(f"{name}: at most 100 a call, got {len(ids)}")
    return ids
