"""征期 job: before the filing deadline, clients whose returns for last month are not filed, per accountant.

It is also the filing-season board's digest (X4): each item carries a link to /admin/filings filtered to the
member's own clients for the period, so the digest a member gets on each step (jobs.filing_deadline.days_before)
lists what is still 未申报 and opens the board where it can be marked.

In month M the returns for period M-1 are due: monthly ones every month, quarterly ones (period = the
quarter's last month) in January, April, July and October. The deadline comes from the one filing
calendar, handlers/filings/rules.deadline() (config `filings`; this job's section holds only its schedule).
Yearly returns have annual deadlines (rules.return_deadline) and are left out of this job.
"""
from __future__ import annotations

import functools
from datetime import date
from urllib.parse import urlencode

import models
from bot.config.filings import FilingCalendar
from bot.config.jobs import FilingDeadlineJob
from bot.context import Context
from bot.outbox.engine import Item
from handlers.filings.rules import deadline
from handlers.reminders.digest import chunks, items_for, plan_by_clients, staff_directory, step_up

PERM = "wecom.filing"  # only members who may see this section get its reminders
KIND = "filing_deadline"


def deadline_for(today: date, calendar: FilingCalendar) -> tuple[str, date]:
    """(the period being filed, its deadline) for the month `today` falls in."""
    month = models.period_of(today)
    period = models.shift_period(month, -1)
    return period, deadline(period, calendar)


def _pending(period: str, client_ids: list[int] | None = None,
             clients: tuple[int, int] | None = None) -> dict[int, list[str]]:
    """client id -> tax codes still pending for `period` (monthly and quarterly returns), for the given
    clients, the clients with ids in the range ``clients``, or all."""
    where = ((models.TaxFiling.period == period) & (models.TaxFiling.status == "pending")
             & models.TaxFiling.cycle.in_(["monthly", "quarterly"]))
    if clients is not None:
        where &= models.TaxFiling.client.between(*clients)
    pending: dict[int, list[str]] = {}
    groups = [None] if client_ids is None else list(chunks(client_ids))
    for chunk in groups:
        query = models.TaxFiling.select(models.TaxFiling.client, models.TaxFiling.tax).where(where)
        if chunk is not None:
            query = query.where(models.TaxFiling.client.in_(chunk))
        for client_id, tax in query.order_by(models.TaxFiling.id).tuples():
            pending.setdefault(client_id, []).append(tax)
    return pending


def _labels(codes: list[str]) -> list[str]:
    return [models.TAX_KINDS.get(code, code) for code in codes]


def board_link(base_url: str, period: str, client: models.Client, staff_id: int) -> str:
    """The 报税看板 for ``period`` filtered to the member's clients: as their accountant, else as their manager."""
    role = "accountant" if client.accountant_id == staff_id else "manager"
    return f"{base_url}/admin/filings?" + urlencode({"period": period, role: staff_id})


def _with_board(items: list[Item], client: models.Client, period: str, staff: dict, base_url: str) -> list[Item]:
    ids = {member.userid: staff_id for staff_id, member in staff.items()}
    return [Item(i.kind, i.key, i.recipient, i.client_id,
                 {**i.data, "board": board_link(base_url, period, client, ids[i.recipient])}) if i.recipient else i
            for i in items]


def plan(today: date, cfg: FilingDeadlineJob, calendar: FilingCalendar, staff: dict | None = None,
         clients: tuple[int, int] | None = None, base_url: str = "") -> list[Item]:
    """One item per client with pending returns, when the deadline is 0..max(days_before) days away;
    ``clients``: only clients with ids in this range (a sweep runs in pieces: digest.plan_by_clients);
    ``base_url``: where the console is, for the link to the 报税看板."""
    period, last_day = deadline_for(today, calendar)
    days = (last_day - today).days
    step = step_up(days, cfg.days_before) if days >= 0 else None
    if step is None:
        return []
    staff = staff_directory() if staff is None else staff
    pending = _pending(period, clients=clients)
    clients = models.Client.select().where(models.Client.id.in_(list(pending)) & (models.Client.status == "active"))
    items = []
    for client in clients.order_by(models.Client.name):
        data = {"period": period, "taxes": _labels(pending[client.id]), "tax_codes": pending[client.id],
                "deadline": last_day.isoformat(), "days_left": days, "step": step, "order": 0}
        found = items_for(KIND, f"c{client.id}|{period}@{step}", client, cfg.recipients, staff, data, PERM)
        items += _with_board(found, client, period, staff, base_url)
    return items


def recheck(items: list[dict]) -> dict:
    """Done when every return the item named is filed or paid; otherwise the ones still pending."""
    verdicts: dict = {}
    for period in {i["period"] for i in items}:
        mine = [i for i in items if i["period"] == period]
        pending = _pending(period, list({i["client_id"] for i in mine}))
        for item in mine:
            still = [code for code in pending.get(item["client_id"], []) if code in item["tax_codes"]]
            verdicts[item["id"]] = {"tax_codes": still, "taxes": _labels(still)} if still else None
    return verdicts


async def filing_deadline(ctx: Context) -> list[Item]:
    """Returns for last month not yet filed, in the days before the deadline, for each accountant."""
    with_link = functools.partial(plan, base_url=ctx.config.base_url)
    return await plan_by_clients(ctx, with_link, ctx.today(), ctx.config.jobs.filing_deadline, ctx.config.filings)
