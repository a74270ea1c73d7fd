"""What the reminder jobs share: who on a client's team gets an item, and the step a date has reached."""
from __future__ import annotations

from dataclasses import dataclass

import models
from bot.outbox.engine import Item


@dataclass(frozen=True)
class Member:
    userid: str
    name: str
    staff: models.Staff  # for the permission check: a member only gets reminders of sections they may see


def staff_directory() -> dict[int, Member]:
    """Staff id -> the member to push to; staff who are inactive or not bound to WeCom are left out."""
    query = models.Staff.select().where(models.Staff.active & models.Staff.wecom_userid.is_null(False))
    return {s.id: Member(s.wecom_userid, s.name, s) for s in query}


def label(client: models.Client) -> str:
    """How a client is named in a digest line: the short name when there is one."""
    return client.short_name or client.name


def team(client: models.Client, roles: tuple[str, ...], staff: dict[int, Member], perm: str) -> list[Member]:
    """The distinct members holding `roles` (manager / accountant) on `client` and permission `perm`."""
    found: dict[str, Member] = {}
    for role in roles:
        member = staff.get(getattr(client, f"{role}_id"))
        if member is not None and member.staff.has_perm(perm):
            found.setdefault(member.userid, member)
    return list(found.values())


def items_for(kind: str, key: str, client: models.Client, roles: tuple[str, ...], staff: dict[int, Member],
              data: dict, perm: str) -> list[Item]:
    """One item per recipient holding ``perm``; a single recipient-less item when nobody on the team can be
    reached (the admins' summary counts those)."""
    data = {"client": label(client), "client_name": client.name, **data}
    members = team(client, roles, staff, perm)
    if not members:
        return [Item(kind, key, "", client.id, data)]
    return [Item(kind, key, m.userid, client.id, {**data, "recipient_name": m.name}) for m in members]


def step_up(value: int, steps: tuple[int, ...]) -> int | None:
    """The smallest step at or above `value` ("7 days or fewer left" is step 7), None beyond all steps."""
    candidates = [s for s in steps if s >= value]
    return min(candidates) if candidates else None


def step_down(value: int, steps: tuple[int, ...]) -> int | None:
    """The largest step at or below `value` ("overdue 15 days or more" is step 15), None before all."""
    candidates = [s for s in steps if s <= value]
    return max(candidates) if candidates else None


def chunks(seq: list, size: int = 500):
    for start in range(0, len(seq), size):
        yield seq[start:start + size]


CLIENTS_PER_PIECE = 200  # a plan runs over this many clients at a time: a few milliseconds of work


def client_ranges(size: int | None = None) -> list[tuple[int, int]]:
    """The client ids cut into consecutive (first, last) ranges of `size` clients each; the last range is
    open-ended, so a client added during the sweep is not missed."""
    size, table = size or CLIENTS_PER_PIECE, models.Client._meta.table_name
    ids = [cid for (cid,) in models.db.execute_sql(f'SELECT "id" FROM "{table}" ORDER BY "id"').fetchall()]
    firsts = ids[::size]
    return [(first, following - 1) for first, following in zip(firsts, firsts[1:])] + \
        ([(firsts[-1], 2 ** 62)] if firsts else [])


async def plan_by_clients(ctx, plan, *args) -> list[Item]:
    """``plan(*args, staff, (first, last))`` over every range of client ids, in short read-only trips
    (db.read_sliced): a sweep of 10,000 clients never holds the database, or the GIL, for long."""
    staff = await ctx.db.read(staff_directory)
    ranges = await ctx.db.read(client_ranges)
    return [item for part in await ctx.db.read_sliced(plan, ranges, *args, staff) for item in part]
