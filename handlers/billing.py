"""欠费 and 催款: what clients owe (B3). Receivables are "owed" once their due date has come."""
from __future__ import annotations

from datetime import date

from peewee import fn

import models
from bot.router import Reply, Router
from handlers.cmdkit import client_label, client_or_answer, require_perm, visible_client_ids

router = Router("billing")

OPEN = ("open", "partial")
SHOWN = 30


def periods_text(start: str, end: str) -> str:
    """'2026-01至2026-06', or one period when a bill covers one month."""
    return start if start == end else f"{start}至{end}"


def open_receivables(client_id: int) -> list[models.Receivable]:
    """A client's receivables with money still to come, oldest due first (the order payments settle them)."""
    return [r for r in models.Receivable.select()
            .where((models.Receivable.client == client_id) & models.Receivable.status.in_(OPEN))
            .order_by(models.Receivable.due_date, models.Receivable.period_start, models.Receivable.id)
            if r.outstanding_fen > 0]


def owed_split(client_id: int, today: date) -> tuple[int, int]:
    """(due and unpaid, not yet due) in fen for one client."""
    due = later = 0
    for r in open_receivables(client_id):
        if r.due_date <= today:
            due += r.outstanding_fen
        else:
            later += r.outstanding_fen
    return due, later


def arrears(staff: models.Staff, today: date) -> list[dict]:
    """Visible clients with receivables due and unpaid, largest amount first."""
    owed = fn.SUM(models.Receivable.amount_fen - models.Receivable.paid_fen)
    query = (models.Receivable
             .select(models.Receivable.client, owed.alias("owed"), fn.COUNT(models.Receivable.id).alias("bills"),
                     fn.MIN(models.Receivable.due_date).alias("oldest"))
             .where(models.Receivable.status.in_(OPEN) & (models.Receivable.due_date <= today)
                    & (models.Receivable.amount_fen > models.Receivable.paid_fen))
             .group_by(models.Receivable.client))
    if not staff.is_admin:
        query = query.where(models.Receivable.client.in_(visible_client_ids(staff)))
    rows = list(query.dicts())
    names = {c.id: client_label(c) for c in
             models.Client.select().where(models.Client.id.in_([r["client"] for r in rows]))} if rows else {}
    result = []
    for row in rows:
        oldest = row["oldest"] if isinstance(row["oldest"], date) else date.fromisoformat(str(row["oldest"]))
        result.append({"client": names[row["client"]], "owed_fen": int(row["owed"]), "bills": row["bills"],
                       "overdue_days": (today - oldest).days})
    result.sort(key=lambda r: (-r["owed_fen"], r["client"]))
    return result


def reminder_items(client_id: int, today: date) -> list[dict]:
    """The open items a payment reminder lists: due ones, oldest first."""
    return [{"item": r.item, "periods": periods_text(r.period_start, r.period_end), "amount_fen": r.amount_fen,
             "paid_fen": r.paid_fen, "outstanding_fen": r.outstanding_fen, "due": r.due_date}
            for r in open_receivables(client_id) if r.due_date <= today]


@router.command("欠费", "欠款", "应收")
async def arrears_list(msg, args, ctx) -> Reply:
    """欠费：查看有欠费的客户，欠得多的在前（含合计）
    欠费指已到收款日仍未收清的款项；只列出你负责的客户（管理员看全部）。"""
    require_perm(ctx, "wecom.billing")
    rows = await ctx.db.run(arrears, ctx.staff, ctx.today())
    return Reply.of_text(ctx.render("bot/billing_arrears.txt", rows=rows[:SHOWN], count=len(rows),
                                    total_fen=sum(r["owed_fen"] for r in rows),
                                    everyone=ctx.staff.is_admin, today=ctx.today()))


@router.command("催款", "催款提醒", "催费")
async def payment_reminder(msg, args, ctx) -> Reply:
    """催款 <客户>：生成催款提醒文字，可直接转发给客户
    列出已到期未收的款项、所属期间和金额，以及合计。"""
    require_perm(ctx, "wecom.billing")
    client = await client_or_answer(ctx, args, "催款")
    items = await ctx.db.run(reminder_items, client.id, ctx.today())
    if not items:
        return Reply.of_text(f"{client.name} 目前没有已到期未收的款项，不需要催款。")
    return Reply.of_text(ctx.render("bot/billing_reminder.txt", client=client, items=items, today=ctx.today(),
                                    total_fen=sum(i["outstanding_fen"] for i in items)))
