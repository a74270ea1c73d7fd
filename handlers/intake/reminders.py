"""缺票 job: unresolved missing-invoice flags, and last month's 收票 not complete by the configured days.

In month M the books being done are M-1's, so "this period's 收票" is the one for M-1 (as the sidebar shows).
"""
from __future__ import annotations

from datetime import date, timedelta


import models
from bot.config.jobs import MissingInvoicesJob
from bot.context import Context
from bot.outbox.engine import Item
from handlers.intake.rules import open_flag_where
from handlers.reminders.clientpush import with_client_pushes
from handlers.reminders.digest import chunks, items_for, plan_by_clients, staff_directory, step_down

# Who may get which item: 缺票提醒 belongs to 服务情况 (as in the sidebar's 服务 tab and the 缺票 command),
# an unfinished 收票 to 收票情况.
FLAG_PERM, COLLECTION_PERM = "wecom.service", "wecom.collection"
KIND = "missing_invoices"


def _month_bounds(period: str) -> tuple[date, date]:
    first = date(int(period[:4]), int(period[5:]), 1)
    following = models.shift_period(period, 1)
    return first, date(int(following[:4]), int(following[5:]), 1) - timedelta(days=1)


def _in(clients: tuple[int, int] | None):
    """Clients with ids in the range (a sweep runs in pieces: digest.plan_by_clients), or all."""
    return True if clients is None else models.Client.id.between(*clients)


def _flag_items(cfg: MissingInvoicesJob, staff, clients: tuple[int, int] | None = None) -> list[Item]:
    """Open flags (intake/rules.open_flag_where, the re-check's rule too)."""
    flag = models.MissingInvoiceFlag
    query = (flag.select(flag, models.Client).join(models.Client)
             .where(open_flag_where() & (models.Client.status == "active") & _in(clients))
             .order_by(flag.period, flag.id))
    items = []
    for flag in query:
        data = {"what": "flag", "flag_id": flag.id, "period": flag.period, "note": flag.note, "order": 0}
        items += items_for(KIND, f"c{flag.client_id}|flag:{flag.period}", flag.client, cfg.recipients, staff, data,
                           FLAG_PERM)
    return items


def _booked_clients(period: str, clients: tuple[int, int] | None = None):
    """Active clients whose bookkeeping service covers `period` (with ids in the range ``clients``)."""
    first, last = _month_bounds(period)
    covered = (models.Service.select(models.Service.client)
               .where((models.Service.kind == "bookkeeping") & (models.Service.status != "cancelled")
                      & (models.Service.start_date <= last) & (models.Service.end_date >= first)
                      & (True if clients is None else models.Service.client.between(*clients))))
    return models.Client.select().where((models.Client.status == "active") & models.Client.id.in_(covered)
                                        & _in(clients))


def _missing_kinds(collection_ids: list[int]) -> dict[int, list[str]]:
    """collection id -> labels of the document kinds not yet received."""
    missing: dict[int, list[str]] = {}
    for chunk in chunks(collection_ids):
        for cid, kind in (models.CollectionItem.select(models.CollectionItem.collection, models.CollectionItem.kind)
                          .where(models.CollectionItem.collection.in_(chunk) & ~models.CollectionItem.received)
                          .order_by(models.CollectionItem.id).tuples()):
            missing.setdefault(cid, []).append(models.COLLECTION_KINDS.get(kind, kind))
    return missing


def _collection_items(today: date, cfg: MissingInvoicesJob, staff,
                      clients: tuple[int, int] | None = None) -> list[Item]:
    step = step_down(today.day, cfg.collection_days)
    if step is None:
        return []
    period = models.shift_period(models.period_of(today), -1)
    collections = {c.client_id: c for c in models.InvoiceCollection.select()
                   .where((models.InvoiceCollection.period == period)
                          & (True if clients is None else models.InvoiceCollection.client.between(*clients)))}
    missing = _missing_kinds([c.id for c in collections.values() if c.status != "complete"])
    items = []
    for client in _booked_clients(period, clients).order_by(models.Client.name):
        collection = collections.get(client.id)
        if collection is not None and collection.status == "complete":
            continue
        kinds = missing.get(collection.id, []) if collection else list(models.COLLECTION_KINDS.values())
        data = {"what": "collection", "period": period, "missing": kinds, "started": collection is not None,
                "order": 1}
        items += items_for(KIND, f"c{client.id}|collect:{period}@{step}", client, cfg.recipients, staff, data,
                           COLLECTION_PERM)
    return items


def plan(today: date, cfg: MissingInvoicesJob, staff: dict | None = None,
         clients: tuple[int, int] | None = None) -> list[Item]:
    """Flags first (an accountant marked them), then unfinished 收票 of last month; ``clients``: only clients
    with ids in this range."""
    staff = staff_directory() if staff is None else staff
    return _flag_items(cfg, staff, clients) + _collection_items(today, cfg, staff, clients)


def _complete(pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """The (client, period) pairs whose 收票 is marked complete."""
    done, by_period = set(), {}
    for client_id, period in pairs:
        by_period.setdefault(period, []).append(client_id)
    for period, client_ids in by_period.items():
        for chunk in chunks(client_ids):
            done.update((cid, period) for (cid,) in models.InvoiceCollection.select(models.InvoiceCollection.client)
                        .where((models.InvoiceCollection.period == period) & models.InvoiceCollection.client.in_(chunk)
                               & (models.InvoiceCollection.status == "complete")).tuples())
    return done


def recheck(items: list[dict]) -> dict:
    """A flag is done when resolved or its period's 收票 is complete; a 收票 reminder when it is complete."""
    complete = _complete({(i["client_id"], i["period"]) for i in items})
    flags = [i["flag_id"] for i in items if i["what"] == "flag"]
    open_flags = {fid for (fid,) in models.MissingInvoiceFlag.select(models.MissingInvoiceFlag.id)
                  .where(models.MissingInvoiceFlag.id.in_(flags) & open_flag_where()).tuples()} if flags else set()
    verdicts: dict = {}
    for item in items:
        if (item["client_id"], item["period"]) in complete:
            verdicts[item["id"]] = None
        elif item["what"] == "flag" and item["flag_id"] not in open_flags:
            verdicts[item["id"]] = None
    return verdicts


async def missing_invoices(ctx: Context) -> list[Item]:
    """Clients flagged 缺票, and clients whose 收票 for last month is not complete by the configured days."""
    cfg = ctx.config.jobs.missing_invoices
    return await with_client_pushes(ctx, KIND, await plan_by_clients(ctx, plan, ctx.today(), cfg), cfg)
