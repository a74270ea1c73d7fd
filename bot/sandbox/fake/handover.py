"""The fake's handover book (客户联系 → 在职继承 / 离职继承): customer transfers, their 24-hour wait, group owners.

A transfer waits (status 2) until the fake's clock passes 24 hours, or until a test or the demo settles it now.
It then ends as scripted for that customer (3 refused, 4 the takeover member is full) or done (1); done moves
the follow relation to the takeover member, so a later sync sees the new owner. A failed on-job transfer
queues WeCom's ``transfer_fail`` callback event in ``events`` for the callback driver to deliver.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.sandbox.fake.records import DAY

if TYPE_CHECKING:
    from bot.sandbox.fake.state import FakeWeCom

DONE, WAITING, REFUSED, LIMIT = 1, 2, 3, 4
FAIL_REASONS = {REFUSED: "customer_refused", LIMIT: "customer_limit_exceed"}
TRANSFER_WAIT = DAY


@dataclass
class Transfer:
    """One customer's handover from one member to another."""

    kind: str  # "onjob" | "resigned"
    handover: str
    takeover: str
    external_userid: str
    started_at: float
    status: int = WAITING
    takeover_time: int = 0


class Handover:
    """Transfers in the order they were started, and the outcomes scripted per customer."""

    def __init__(self, fake: "FakeWeCom"):
        self.fake = fake
        self.transfers: list[Transfer] = []
        self.outcomes: dict[str, int] = {}  # external_userid -> REFUSED | LIMIT for its next transfer
        self.events: list[tuple[str, dict]] = []  # (event, fields) waiting for the callback driver

    def script(self, external_userid: str, status: int) -> None:
        """The next transfer of this customer ends with ``status`` (REFUSED or LIMIT) instead of done."""
        if status not in FAIL_REASONS:
            raise ValueError(f"a scripted outcome is {sorted(FAIL_REASONS)}, not {status}")
        self.outcomes[external_userid] = status

    def pending(self, external_userid: str) -> Transfer | None:
        return next((t for t in self.transfers
                     if t.external_userid == external_userid and t.status == WAITING), None)

    def start(self, kind: str, handover: str, takeover: str, external_userid: str) -> None:
        self.transfers.append(Transfer(kind, handover, takeover, external_userid, self.fake.clock()))

    def settle(self, now: bool = False) -> int:
        """End every waiting transfer whose 24 hours are over (all of them with ``now``); returns how many."""
        clock = self.fake.clock()
        due = [t for t in self.transfers
               if t.status == WAITING and (now or clock >= t.started_at + TRANSFER_WAIT)]
        for transfer in due:
            self._finish(transfer, int(clock))
        return len(due)

    def _finish(self, transfer: Transfer, at: int) -> None:
        transfer.status = self.outcomes.pop(transfer.external_userid, DONE)
        if transfer.status != DONE:
            if transfer.kind == "onjob":  # WeCom's transfer_fail event is for 在职继承
                self.events.append(("change_external_contact", {
                    "ChangeType": "transfer_fail", "FailReason": FAIL_REASONS[transfer.status],
                    "UserID": transfer.takeover, "ExternalUserID": transfer.external_userid}))
            return
        transfer.takeover_time = at
        self._move_follow(transfer.external_userid, transfer.handover, transfer.takeover)

    def _move_follow(self, external_userid: str, handover: str, takeover: str) -> None:
        """The takeover member follows the customer with the old relation's remark and tags; the old one ends."""
        contact = self.fake.contact(external_userid)
        if contact is None:
            return
        old = next((f for f in contact.get("follow_users", []) if f["userid"] == handover), None)
        self.fake.remove_follow(external_userid, handover)
        kept = {k: copy.deepcopy(v) for k, v in (old or {}).items() if k in ("remark", "description", "tags")}
        self.fake.set_follow(external_userid, takeover, createtime=int(self.fake.clock()), add_way=0, **kept)

    def results(self, kind: str, handover: str, takeover: str) -> list[Transfer]:
        """The latest transfer of each customer between these two members."""
        latest: dict[str, Transfer] = {}
        for transfer in self.transfers:
            if (transfer.kind, transfer.handover, transfer.takeover) == (kind, handover, takeover):
                latest[transfer.external_userid] = transfer
        return list(latest.values())

    def take_events(self) -> list[tuple[str, dict]]:
        """The queued callback events (removed from the queue)."""
        events, self.events = self.events, []
        return events

    def assigned(self, external_userid: str, handover: str) -> bool:
        """True once a resigned transfer of this customer away from ``handover`` is waiting or done."""
        return any(t.kind == "resigned" and t.external_userid == external_userid and t.handover == handover
                   and t.status in (WAITING, DONE) for t in self.transfers)
