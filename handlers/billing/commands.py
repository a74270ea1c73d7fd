"""收款 and 收据: record a payment against the oldest open items (after 确认), and the receipt image (B3)."""
from __future__ import annotations

import asyncio
import dataclasses
import re
from dataclasses import dataclass

import models
from bot.money import UNITS, AmountError, format_fen, looks_like_amount, parse_yuan, rmb_upper
from bot.router import Reply, Router, UserError, normalize, strip_trailing
from handlers.access import can_see_client
from handlers.billing import rules
from handlers.billing.rules import (
    arrears,
    prepare_payment,
    receipt_data,
    receipt_payment,
    record_payment,
    reminder_items,
    void_payment,
)
from handlers.cmdkit import client_or_answer, require_perm, visible_client_ids
from handlers.conversation import ask_confirmation, confirmable

router = Router("billing")

ACTION = "billing.payment"
# What people type for a payment method (lower-cased), by the method it means.
METHOD_WORDS = {
    "bank": ("银行", "转账", "银行转账", "对公", "对公转账", "公户", "公账", "网银", "汇款", "电汇", "银行卡",
             "bank", "yh", "zz"),
    "wechat": ("微信", "微信支付", "微信转账", "wx", "vx", "weixin", "wechat"),
    "alipay": ("支付宝", "支付宝转账", "zfb", "alipay"),
    "cash": ("现金", "现钞", "xj", "cash"),
    "other": ("其他", "其它", "qt"),
}
METHODS = {word: code for code, words in METHOD_WORDS.items() for word in words}
METHOD_HINT = "方式可写 银行/转账/对公、微信/wx、支付宝/zfb、现金、其他，不写默认银行转账"
MAX_NOTE = rules.MAX_NOTE  # printed on the receipt
AMOUNT_HINT = "金额请写成元，最多两位小数，例如：收款 华夏 1200 或 收款 华夏 1,200.50 微信"
RECEIPT_RE = re.compile(r"(?:no\.?)?(?:(?P<year>20\d\d)-(?P<seq>\d{1,6})|(?P<y>20\d\d)(?P<s>\d{6})|(?P<short>\d{1,6}))",
                        re.IGNORECASE)


@dataclass(frozen=True)
class PaymentArgs:
    """收款's arguments: '华夏 1,200.50 微信 老板亲自送来'."""
    name: str
    rest: str  # everything after the name, re-typed after a numbered choice
    amount_fen: int
    method: str
    note: str


def parse_payment_args(args: str) -> PaymentArgs:
    """'<客户> <金额>[ 元] [方式] [备注…]' -> PaymentArgs; UserError naming the word that is wrong."""
    words = args.split()
    i = next((i for i in range(1, len(words)) if looks_like_amount(strip_trailing(words[i]))), None)
    if i is None:
        if len(words) < 2:
            raise UserError(f"请写上客户和金额，例如：收款 华夏 1200 微信（{METHOD_HINT}）")
        wrong = words[-2] if len(words) > 2 and words[-1].lower() in METHODS else words[-1]
        raise UserError(f"「{wrong[:20]}」不是有效的金额。{AMOUNT_HINT}")
    name_words, after = words[:i], words[i:]
    amount = strip_trailing(after.pop(0))
    if after and strip_trailing(after[0]) in UNITS:  # '100 元'
        amount += strip_trailing(after.pop(0))
    method = ""
    if len(name_words) > 1 and name_words[-1].lower() in METHODS:  # '华夏 微信 100'
        method = METHODS[name_words.pop().lower()]
    if after and not method and not after[0].startswith("备注"):
        method = _method(strip_trailing(after.pop(0)))
    if after and after[0].startswith("备注"):  # '备注 老板送来', '备注:老板送来'
        after[0] = after[0][2:].lstrip(":")
    return PaymentArgs(" ".join(name_words), " ".join(words[len(name_words):]), _amount_fen(amount),
                       method or "bank", _note(" ".join(after).strip()))


def _method(word: str) -> str:
    if word.lower() not in METHODS:
        raise UserError(f"「{word[:20]}」不是可识别的收款方式。{METHOD_HINT}。"
                        f"备注写在方式后面，例如：收款 华夏 50 现金 老板亲自送来")
    return METHODS[word.lower()]


def _amount_fen(text: str) -> int:
    try:
        fen = parse_yuan(text)
    except AmountError as exc:
        reason = f"：{exc.reason}" if exc.reason else ""
        raise UserError(f"「{text[:20]}」不是有效的金额{reason}。{AMOUNT_HINT}") from None
    if fen <= 0:
        raise UserError(f"收款金额必须大于 0。{AMOUNT_HINT}")
    return fen


def _as_typed(raw: str, note: str) -> str:
    """The note with the member's own punctuation: normalising for parsing turned ，into , (a receipt shows ，)."""
    count = len(note.split())
    typed = " ".join(raw.split()[-count:]) if count else ""
    return typed if normalize(typed) == note else note


def _note(text: str) -> str:
    if len(text) > MAX_NOTE:
        raise UserError(f"备注最多 {MAX_NOTE} 字（会印在收据上），请精简后再发。")
    return text


@router.command("收款", "确认收款", "登记收款")
async def record(msg, args, ctx) -> Reply:
    """收款 <客户> <金额> [方式] [备注]：登记收款，按到期先后冲抵（需回复「确认」）
    金额可写 1200、1,200.50、100元、100块、1.2万。方式可写 银行/转账/对公（默认）、微信/wx、支付宝/zfb、现金、其他。
    方式后面的文字作为备注印在收据上，例如「收款 华夏 50 现金 老板亲自送来」。
    确认后生成收据号，可用「收据」命令取收据图片。金额超过全部未收款项（或客户没有未收款项）时，多出的部分
    作为预收款存入客户余额，以后自动抵扣新的应收款。"""
    require_perm(ctx, "wecom.billing")
    p = parse_payment_args(args)
    p = dataclasses.replace(p, note=_as_typed(msg.content, p.note))
    client = await client_or_answer(ctx, p.name, "收款", p.rest)
    planned, rows, credit = await ctx.db.run(prepare_payment, client.id, p.amount_fen)
    payload = {"client_id": client.id, "amount_fen": p.amount_fen, "method": p.method, "plan": planned,
               "note": p.note}
    method = models.PAYMENT_METHODS[p.method]
    question = ctx.render("billing/payment_confirm.txt", client=client, amount_fen=p.amount_fen,
                          upper=rmb_upper(p.amount_fen), method=method, rows=rows, note=p.note, credit_fen=credit)
    what = f"收款 {client.name} {format_fen(p.amount_fen)}（{method}）"
    return await ask_confirmation(ctx, ACTION, payload, question, what)


@confirmable(ACTION)
async def confirmed(ctx, payload: dict) -> Reply:
    """确认: write the payment the member was shown, or nothing at all."""
    require_perm(ctx, "wecom.billing")
    if not await ctx.db.run(can_see_client, ctx.staff, payload["client_id"]):
        raise UserError("你已无权操作该客户，未登记收款。")
    payment, rows = await ctx.db.atomic(record_payment, ctx.staff, payload["client_id"], payload["amount_fen"],
                                        payload["method"], payload["plan"], ctx.clock(), ctx.config.agency.tz,
                                        note=payload.get("note", ""))
    client = await ctx.db.run(models.Client.get_by_id, payload["client_id"])
    return Reply.of_text(ctx.render("billing/payment_done.txt", client=client, payment=payment, rows=rows,
                                    method=models.PAYMENT_METHODS[payment.method], upper=rmb_upper(payment.amount_fen)))


# --- 收据 ------------------------------------------------------------------------------------------


def receipt_number(text: str) -> str | None:
    """A receipt number as people type it: '2026-000155', '2026-155', '2026000155' -> '2026-000155';
    the short form '155' or '000155' -> '000155' (the sequence, in whichever year the client has it)."""
    match = RECEIPT_RE.fullmatch(strip_trailing(text.strip()))
    if match is None:
        return None
    if match.group("short"):
        return f"{int(match.group('short')):06d}"
    if match.group("year"):
        return f"{match.group('year')}-{int(match.group('seq')):06d}"
    return f"{match.group('y')}-{int(match.group('s')):06d}"


def _receipt_no(args: str) -> tuple[str, str | None]:
    head, _, last = args.strip().rpartition(" ")
    number = receipt_number(last) if head else None
    return (head, number) if number else (args.strip(), None)


@router.command("收据", "发送收据", "补收据")
async def receipt(msg, args, ctx) -> Reply:
    """收据 <客户> [收据号]：取收据图片（不写收据号则取最近一笔）
    例如「收据 华夏」「收据 华夏 2026-000123」；收据号也可只写序号，如「收据 华夏 123」。图片可直接转发给客户。"""
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


# --- 作废 ------------------------------------------------------------------------------------------

VOID_ACTION = "billing.void"
VOID_HINT = "请写上收据号和作废原因，例如：作废 2026-000123 金额录错"


def _voidable(staff, receipt_no: str):
    """(payment, client, what it settled) for a receipt ``staff`` may see, or a UserError."""
    query = models.Payment.select().where(models.Payment.client.in_(visible_client_ids(staff)))
    if "-" in receipt_no:
        payment = query.where(models.Payment.receipt_no == receipt_no).first()
    else:
        payment = (query.where(models.Payment.receipt_no.endswith(f"-{receipt_no}"))
                   .order_by(models.Payment.receipt_no.desc()).first())
    if payment is None:
        raise UserError(f"没有找到收据 {receipt_no}（只能作废你负责的客户的收据）。")
    if payment.voided_at is not None:
        raise UserError(f"收据 {payment.receipt_no} 已作废（{payment.void_reason}），不能重复作废。")
    restored = [{"item": a.receivable.item, "amount_fen": a.amount_fen,
                 "periods": rules.periods_text(a.receivable.period_start, a.receivable.period_end)}
                for a in payment.allocations.order_by(models.PaymentAllocation.id)]
    return payment, payment.client, restored


@router.command("作废", "作废收据", "作废收款")
async def void(msg, args, ctx) -> Reply:
    """作废 <收据号> <原因>：作废收款，收据号保留（需确认）
    冲抵的款项恢复为未收，存入余额的预收款一并撤销。
    例如「作废 2026-000123 金额录错」；收据号也可只写序号，如「作废 123 重复登记」。作废后收据图片会标明「作废」和原因。"""
    require_perm(ctx, "wecom.billing")
    number_text, _, reason = args.strip().partition(" ")
    number = receipt_number(number_text) if number_text else None
    reason = reason.strip()
    if number is None or not reason:
        raise UserError(VOID_HINT)
    if len(reason) > rules.MAX_REASON:
        raise UserError(f"作废原因最多 {rules.MAX_REASON} 字，请精简后再发。")
    payment, client, restored = await ctx.db.run(_voidable, ctx.staff, number)
    method = models.PAYMENT_METHODS[payment.method]
    question = ctx.render("billing/void_confirm.txt", payment=payment, client=client, method=method,
                          reason=reason, restored=restored)
    what = f"作废收据 {payment.receipt_no}（{client.name} {format_fen(payment.amount_fen)}）"
    return await ask_confirmation(ctx, VOID_ACTION, {"payment_id": payment.id, "reason": reason}, question, what)


@confirmable(VOID_ACTION)
async def void_confirmed(ctx, payload: dict) -> Reply:
    """确认: void the payment the member was shown, or nothing at all."""
    require_perm(ctx, "wecom.billing")
    payment = await ctx.db.run(models.Payment.get_by_id, payload["payment_id"])
    if not await ctx.db.run(can_see_client, ctx.staff, payment.client_id):
        raise UserError("你已无权操作该客户，未作废。")
    payment = await ctx.db.atomic(void_payment, payment.id, payload["reason"], ctx.staff, ctx.clock())
    client = await ctx.db.run(models.Client.get_by_id, payment.client_id)
    restored_fen = await ctx.db.run(lambda: sum(a.amount_fen for a in payment.allocations))
    return Reply.of_text(ctx.render("billing/void_done.txt", payment=payment, client=client,
                                    restored=bool(restored_fen), restored_fen=restored_fen))
