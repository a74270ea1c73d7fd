"""收款 and 收据: record a payment against the oldest open items (after 确认), and the receipt image (B3)."""
from __future__ import annotations

import asyncio
import re

import models
from bot.money import parse_yuan, rmb_upper
from bot.router import Reply, Router, UserError
from handlers.access import can_see_client
from handlers.billing.rules import (
    arrears,
    prepare_payment,
    receipt_data,
    receipt_payment,
    record_payment,
    reminder_items,
)
from handlers.cmdkit import client_or_answer, require_perm
from handlers.conversation import ask_confirmation, confirmable

router = Router("billing")

ACTION = "billing.payment"
METHOD_WORDS = {"银行": "bank", "转账": "bank", "银行转账": "bank", "对公": "bank", "微信": "wechat",
                "支付宝": "alipay", "现金": "cash", "其他": "other"}
AMOUNT_HINT = "金额请写成元，最多两位小数，例如：收款 华夏 1200 或 收款 华夏 1,200.50 微信"
RECEIPT_RE = re.compile(r"(\d{4})-?(\d{1,6})")


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
    question = ctx.render("billing/payment_confirm.txt", client=client, amount_fen=amount_fen, upper=rmb_upper(amount_fen),
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
    return Reply.of_text(ctx.render("billing/payment_done.txt", client=client, payment=payment, rows=rows,
                                    method=models.PAYMENT_METHODS[payment.method]))


# --- 收据 ------------------------------------------------------------------------------------------


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
    from bot.render.images import render_receipt
    data = await ctx.db.run(receipt_data, payment, ctx.config.agency.name)
    png = await asyncio.to_thread(render_receipt, data, ctx.fonts)
    return Reply.of_image(png, f"收据-{payment.receipt_no}.png")


SHOWN = 30


@router.command("欠费", "欠款", "应收")
async def arrears_list(msg, args, ctx) -> Reply:
    """欠费：查看有欠费的客户，欠得多的在前（含合计）
    欠费指已到收款日仍未收清的款项；只列出你负责的客户（管理员看全部）。"""
    require_perm(ctx, "wecom.billing")
    rows = await ctx.db.run(arrears, ctx.staff, ctx.today())
    return Reply.of_text(ctx.render("billing/arrears.txt", rows=rows[:SHOWN], count=len(rows),
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
    return Reply.of_text(ctx.render("billing/payment_reminder.txt", client=client, items=items, today=ctx.today(),
                                    total_fen=sum(i["outstanding_fen"] for i in items)))
