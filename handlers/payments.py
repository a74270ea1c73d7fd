"""收款 and 收据: record a payment against the oldest open items (after 确认), and the receipt image (B3)."""
from __future__ import annotations

import asyncio
import re
from datetime import datetime

import models
from bot.money import format_fen, parse_yuan, rmb_upper
from bot.router import Reply, Router, UserError
from handlers.access import can_see_client
from handlers.billing import open_receivables, periods_text
from handlers.cmdkit import client_or_answer, require_perm
from handlers.conversation import ask_confirmation, confirmable

router = Router("payments")

ACTION = "billing.payment"
METHOD_WORDS = {"银行": "bank", "转账": "bank", "银行转账": "bank", "对公": "bank", "微信": "wechat",
                "支付宝": "alipay", "现金": "cash", "其他": "other"}
AMOUNT_HINT = "金额请写成元，最多两位小数，例如：收款 华夏 1200 或 收款 华夏 1,200.50 微信"
RECEIPT_RE = re.compile(r"(\d{4})-?(\d{1,6})")


class PlanChanged(UserError):
    """The open items changed between the question and 确认 (someone else recorded a payment)."""


def plan_allocation(receivables: list[models.Receivable], amount_fen: int) -> list[tuple[models.Receivable, int]]:
    """Split ``amount_fen`` over the receivables in order (oldest first); UserError if it is more than they owe.

    Overpayment is refused rather than parked: there is no prepayment ledger, and a receipt must match
    the items it settles."""
    total = sum(r.outstanding_fen for r in receivables)
    if amount_fen > total:
        raise UserError(f"收款金额 {format_fen(amount_fen)} 超过该客户全部未收款项 {format_fen(total)}，未登记。\n"
                        f"收据必须与冲抵的款项一致，请核对金额；如客户预付下期费用，请先在后台录入应收再登记收款。")
    plan, left = [], amount_fen
    for receivable in receivables:
        if left == 0:
            break
        part = min(left, receivable.outstanding_fen)
        plan.append((receivable, part))
        left -= part
    return plan


def _plan_rows(plan) -> list[dict]:
    return [{"item": r.item, "periods": periods_text(r.period_start, r.period_end), "amount_fen": part,
             "left_fen": r.outstanding_fen - part} for r, part in plan]


def _picked(client_id: int, receivable_ids: list[int] | None) -> list[models.Receivable]:
    """The client's open receivables, oldest first; only the ``receivable_ids`` a member ticked, when given."""
    receivables = open_receivables(client_id)
    if receivable_ids is not None:
        wanted = set(receivable_ids)
        receivables = [r for r in receivables if r.id in wanted]
    return receivables


def prepare_payment(client_id: int, amount_fen: int,
                    receivable_ids: list[int] | None = None) -> tuple[list, list[dict]]:
    """([[receivable id, fen], ...], rows to show) for a payment; UserError when it cannot be recorded."""
    receivables = _picked(client_id, receivable_ids)
    if not receivables:
        raise UserError("该客户没有未收款项，无需登记收款。")
    plan = plan_allocation(receivables, amount_fen)
    return [[r.id, part] for r, part in plan], _plan_rows(plan)


def record_payment(staff: models.Staff, client_id: int, amount_fen: int, method: str, planned: list,
                   now: datetime, tz, receivable_ids: list[int] | None = None) -> tuple[models.Payment, list[dict]]:
    """Inside one write transaction: allocate, number, create the Payment and audit it."""
    receivables = _picked(client_id, receivable_ids)
    if models.is_postgres():  # hold the rows until commit so two payments cannot settle the same fen twice
        ids = [r.id for r in receivables]
        receivables = [r for r in models.Receivable.select().where(models.Receivable.id.in_(ids))
                       .order_by(models.Receivable.due_date, models.Receivable.period_start,
                                 models.Receivable.id).for_update() if r.outstanding_fen > 0]
    plan = plan_allocation(receivables, amount_fen)
    if [[r.id, part] for r, part in plan] != planned:
        raise PlanChanged("该客户的未收款项刚刚有变化（可能有人登记了收款），本次未登记。请重新发送收款命令。")
    client = models.Client.get_by_id(client_id)
    paid_on = now.astimezone(tz).date()
    payment = models.Payment.create(
        client=client, receipt_no=models.next_receipt_number(paid_on.year), amount_fen=amount_fen, method=method,
        paid_on=paid_on, payer=client.name, recorded_by=staff, created_at=now,
        note="；".join(f"{r.item} {periods_text(r.period_start, r.period_end)}" for r, _ in plan))
    rows = _plan_rows(plan)
    for receivable, part in plan:
        models.PaymentAllocation.create(payment=payment, receivable=receivable, amount_fen=part)
        receivable.paid_fen += part
        receivable.status = receivable.settled_status()
        receivable.save()
    models.audit(staff, "payment.record", payment, after={
        "client": client.name, "receipt_no": payment.receipt_no, "amount_fen": amount_fen, "method": method,
        "paid_on": paid_on.isoformat(), "allocations": [[r.id, part] for r, part in plan]})
    return payment, rows


def _parse_payment_args(args: str) -> tuple[str, str, int, str]:
    """'华夏 1,200.50 微信' -> (name, text after the name, fen, method code)."""
    words = args.split()
    method = METHOD_WORDS.get(words[-1], "") if words else ""
    if method:
        words = words[:-1]
    if len(words) < 2:
        raise UserError("请写上客户和金额，例如：收款 华夏 1200 微信（方式可写 银行、微信、支付宝、现金，默认银行）")
    try:
        amount_fen = parse_yuan(words[-1])
    except ValueError:
        raise UserError(f"「{words[-1][:20]}」不是有效的金额。{AMOUNT_HINT}") from None
    if amount_fen <= 0:
        raise UserError(f"收款金额必须大于 0。{AMOUNT_HINT}")
    name_words = words[:-1]
    return " ".join(name_words), " ".join(args.split()[len(name_words):]), amount_fen, method or "bank"


@router.command("收款", "确认收款", "登记收款")
async def record(msg, args, ctx) -> Reply:
    """收款 <客户> <金额> [方式]：登记收款，按到期先后冲抵未收款项（需回复「确认」）
    方式可写 银行（默认）、转账、微信、支付宝、现金。确认后生成收据号，可用「收据」命令取收据图片。
    金额超过全部未收款项时不予登记。"""
    require_perm(ctx, "wecom.billing")
    name, rest, amount_fen, method = _parse_payment_args(args)
    client = await client_or_answer(ctx, name, "收款", rest)
    planned, rows = await ctx.db.run(prepare_payment, client.id, amount_fen)
    payload = {"client_id": client.id, "amount_fen": amount_fen, "method": method, "plan": planned}
    question = ctx.render("bot/payment_confirm.txt", client=client, amount_fen=amount_fen, upper=rmb_upper(amount_fen),
                          method=models.PAYMENT_METHODS[method], rows=rows)
    return await ask_confirmation(ctx, ACTION, payload, question)


@confirmable(ACTION)
async def confirmed(ctx, payload: dict) -> Reply:
    """确认: write the payment the member was shown, or nothing at all."""
    require_perm(ctx, "wecom.billing")
    if not await ctx.db.run(can_see_client, ctx.staff, payload["client_id"]):
        raise UserError("你已无权操作该客户，未登记收款。")
    payment, rows = await ctx.db.atomic(record_payment, ctx.staff, payload["client_id"], payload["amount_fen"],
                                        payload["method"], payload["plan"], ctx.clock(), ctx.config.agency.tz)
    client = await ctx.db.run(models.Client.get_by_id, payload["client_id"])
    return Reply.of_text(ctx.render("bot/payment_done.txt", client=client, payment=payment, rows=rows,
                                    method=models.PAYMENT_METHODS[payment.method]))


# --- 收据 ------------------------------------------------------------------------------------------

def receipt_payment(client_id: int, receipt_no: str | None) -> models.Payment | None:
    """The client's payment with ``receipt_no``, or its latest one."""
    query = models.Payment.select().where(models.Payment.client == client_id)
    if receipt_no:
        return query.where(models.Payment.receipt_no == receipt_no).first()
    return (query.where(models.Payment.voided_at.is_null())
            .order_by(models.Payment.paid_on.desc(), models.Payment.id.desc()).first())


def receipt_data(payment: models.Payment, agency_name: str):
    """The ReceiptData a receipt image is drawn from: one line per settled item."""
    from bot.render import ReceiptData, ReceiptLine
    allocations = list(models.PaymentAllocation.select(models.PaymentAllocation, models.Receivable)
                       .join(models.Receivable).where(models.PaymentAllocation.payment == payment)
                       .order_by(models.PaymentAllocation.id))
    lines = tuple(ReceiptLine(a.receivable.item, periods_text(a.receivable.period_start, a.receivable.period_end),
                              a.amount_fen) for a in allocations)
    if not lines:  # a payment recorded without items (imported): one line with its note
        lines = (ReceiptLine(payment.note or "服务费", "", payment.amount_fen),)
    payee = payment.recorded_by.name if payment.recorded_by_id else agency_name
    return ReceiptData(agency=agency_name, receipt_no=payment.receipt_no, paid_on=payment.paid_on,
                       payer=payment.payer or payment.client.name, method=models.PAYMENT_METHODS[payment.method],
                       payee=payee, lines=lines, amount_fen=payment.amount_fen)


def _receipt_no(args: str) -> tuple[str, str | None]:
    head, _, last = args.strip().rpartition(" ")
    match = RECEIPT_RE.fullmatch(last)
    if head and match:
        return head, f"{match.group(1)}-{int(match.group(2)):06d}"
    return args.strip(), None


@router.command("收据", "发送收据", "补收据")
async def receipt(msg, args, ctx) -> Reply:
    """收据 <客户> [收据号]：取收据图片（不写收据号则取最近一笔）
    例如「收据 华夏」「收据 华夏 2026-000123」。图片可直接转发给客户。"""
    require_perm(ctx, "wecom.billing")
    name, receipt_no = _receipt_no(args)
    client = await client_or_answer(ctx, name, "收据", receipt_no or "")
    payment = await ctx.db.run(receipt_payment, client.id, receipt_no)
    if payment is None:
        wanted = f"收据 {receipt_no}" if receipt_no else "收款记录"
        raise UserError(f"没有找到 {client.name} 的{wanted}。发送「收款 客户 金额」登记收款。")
    if payment.voided_at is not None:
        raise UserError(f"收据 {payment.receipt_no} 已作废（{payment.void_reason or '未注明原因'}），不能再发送。")
    from bot.render import render_receipt
    data = await ctx.db.run(receipt_data, payment, ctx.config.agency.name)
    png = await asyncio.to_thread(render_receipt, data, ctx.fonts)
    return Reply.of_image(png, f"收据-{payment.receipt_no}.png")
