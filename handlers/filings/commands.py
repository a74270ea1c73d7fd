"""报税: a client's filing status per tax for a period (B6); 已申报 / 零申报: mark a return, after 确认."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import models
from bot.money import looks_like_amount
from bot.router import Reply, Router, UserError, normalize, strip_trailing
from handlers.cmdkit import (
    PERIOD_HINT,
    client_and_period,
    client_label,
    client_or_answer,
    looks_like_period,
    parse_period,
    period_label,
    require_perm,
    work_period,
)
from handlers.conversation import ask_confirmation, confirmable
from handlers.filings.marks import MarkError, amount_for, check_filed_on, mark_filed, parse_day
from handlers.filings.rules import annual_season, filing_groups, quarter_end, quarter_label

router = Router("filings")


@router.command("报税", "报税情况", "申报")
async def filings(msg, args, ctx) -> Reply:
    """报税 <客户> [期间]：各税种申报情况（默认上月，按季的看所在季度）
    例如「报税 华夏」「报税 华夏 2026-09」。小规模纳税人的增值税按季申报，显示期间所在季度的结果。"""
    require_perm(ctx, "wecom.filing")
    client, period, _ = await client_and_period(ctx, args, "报税")
    today, calendar = ctx.today(), ctx.config.filings
    groups = await ctx.db.run(filing_groups, client.id, period, today, calendar)
    return Reply.of_text(ctx.render("filings/status.txt", client=client, period=period_label(period),
                                    groups=groups, tz=ctx.config.agency.tz, season=annual_season(today, calendar),
                                    taxpayer=models.TAXPAYER_TYPES[client.taxpayer_type]))


# ---- 已申报 / 零申报: mark a return (handlers/filings/marks.py, the rule the console and the sidebar use) ------

ACTION = "filings.mark"
TAX_WORDS = {"增值税": "vat", "增值": "vat", "vat": "vat", "附加税": "surtax", "附加税费": "surtax", "附加": "surtax",
             "企业所得税": "cit", "企税": "cit", "cit": "cit", "个人所得税": "iit", "个税": "iit", "iit": "iit",
             "印花税": "stamp", "印花": "stamp", "stamp": "stamp"}
TAX_HINT = "税种可写 增值税、附加税、企业所得税（企税）、个人所得税（个税）、印花税"
FILED_HINT = "已申报 <客户> <税种> <税额> [申报日期] [期间]，例如：已申报 华夏 增值税 1200 11-10"
ZERO_HINT = "零申报 <客户> <税种> [申报日期] [期间]，例如：零申报 华夏 个税"


@dataclass(frozen=True)
class MarkArgs:
    name: str
    rest: str  # the words after the name, re-typed after a numbered choice
    tax: str
    amount: str
    day: date
    period: str | None


def parse_mark_args(args: str, kind: str, today: date) -> MarkArgs:
    """'<客户> <税种> [<税额>] [日期] [期间]' -> MarkArgs; a UserError that says what to type."""
    hint = FILED_HINT if kind == "filed" else ZERO_HINT
    words = [strip_trailing(w) for w in args.split()]
    i = next((i for i in range(1, len(words)) if words[i].lower() in TAX_WORDS), None)
    if i is None:
        wrong = f"「{words[1][:20]}」不是税种。{TAX_HINT}。" if len(words) > 1 else "请写上客户和税种。"
        raise UserError(f"{wrong}写法：{hint}")
    after, amount = words[i + 1:], "0"
    if kind == "filed":
        if not after or not looks_like_amount(after[0]):
            raise UserError(f"请写上税额（元）。写法：{hint}。没有应纳税额请用：零申报 {' '.join(words[:i + 1])}")
        amount = after.pop(0)
    day, period = today, None
    for word in after:
        if looks_like_period(word):
            period = parse_period(word, today)
            if period is None:
                raise UserError(f"「{word[:20]}」不是有效的期间。{PERIOD_HINT}")
        else:
            try:
                day = parse_day(word, today)
            except MarkError as exc:
                raise UserError(f"{exc.message}。写法：{hint}") from None
    return MarkArgs(" ".join(words[:i]), " ".join(words[i:]), TAX_WORDS[words[i].lower()], amount, day, period)


def find_return(client_id: int, tax: str, period: str | None, today: date) -> models.TaxFiling | None:
    """The return meant: of ``period`` (or its quarter); without one, this filing season's (last month's), else
    the newest one of that tax still 未申报."""
    rows = models.TaxFiling.select().where((models.TaxFiling.client == client_id) & (models.TaxFiling.tax == tax))
    if period is not None:
        return rows.where(models.TaxFiling.period.in_([period, quarter_end(period)])).order_by(
            models.TaxFiling.period).first()
    work = work_period(today)
    return (rows.where(models.TaxFiling.period == work).first()
            or rows.where((models.TaxFiling.status == "pending") & (models.TaxFiling.period <= work))
            .order_by(models.TaxFiling.period.desc()).first())


def _covers(filing: models.TaxFiling) -> str:
    """The time a return covers, as the 报税 reply names it."""
    if filing.cycle == "quarterly":
        return quarter_label(filing.period)
    return f"{filing.period[:4]}年度" if filing.cycle == "yearly" else period_label(filing.period)


async def _ask_mark(msg, args: str, ctx, kind: str, command: str) -> Reply:
    require_perm(ctx, "wecom.filing")
    p = parse_mark_args(args, kind, ctx.today())
    try:
        fen = amount_for(kind, p.amount)
    except MarkError as exc:
        raise UserError(f"{exc.message}。写法：{FILED_HINT}") from None
    client = await client_or_answer(ctx, p.name, command, p.rest)
    filing = await ctx.db.run(find_return, client.id, p.tax, p.period, ctx.today())
    tax = models.TAX_KINDS[p.tax]
    if filing is None:
        when = period_label(p.period) if p.period else "本征期"
        raise UserError(f"没有找到【{client.name}】{when}的{tax}申报记录。可以先发「报税 {client_label(client)}」看看有哪些。")
    try:
        check_filed_on(filing, p.day, ctx.today())
    except MarkError as exc:
        raise UserError(exc.message) from None
    payload = {"filing_id": filing.id, "amount_fen": fen, "day": p.day.isoformat(), "kind": kind}
    question = ctx.render("filings/mark_confirm.txt", client=client, tax=tax, period=_covers(filing),
                          cycle=models.FILING_CYCLES[filing.cycle], kind=KIND_LABELS[kind], amount_fen=fen,
                          day=p.day, before=None if filing.status == "pending" else models.FILING_STATUSES[filing.status])
    what = f"{KIND_LABELS[kind]} {client.name} {tax} {period_label(filing.period)}"
    return await ask_confirmation(ctx, ACTION, payload, question, what)


KIND_LABELS = {"filed": "已申报", "zero": "零申报"}


@router.command("已申报", "零申报", "标记已申报", "标记零申报")
async def mark_command(msg, args, ctx) -> Reply:
    """已申报 <客户> <税种> <税额>：标记申报（或 零申报 <客户> <税种>）
    需回复「确认」。例如「已申报 华夏 增值税 1200 11-10」「零申报 华夏 个税」「零申报 锦程 增值税 昨天 Q3」。
    日期不写为今天，可写 2026-11-10、11-10、昨天。期间写在最后，不写为本征期（上月；按季的是上个季度）。
    已申报的可再次标记，以更正税额或日期。"""
    zero = normalize(msg.content).startswith(("零申报", "标记零申报"))
    return await _ask_mark(msg, args, ctx, "zero" if zero else "filed", "零申报" if zero else "已申报")


@confirmable(ACTION)
async def mark_confirmed(ctx, payload: dict) -> Reply:
    """确认: mark the return the member was shown, or nothing at all."""
    require_perm(ctx, "wecom.filing")
    day = date.fromisoformat(payload["day"])
    try:
        filing = await ctx.db.atomic(mark_filed, payload["filing_id"], payload["amount_fen"], day, ctx.staff,
                                     ctx.clock(), ctx.config.agency.tz, "bot")
    except MarkError as exc:
        raise UserError(f"没有标记：{exc.message}") from None
    client = await ctx.db.run(models.Client.get_by_id, filing.client_id)
    return Reply.of_text(ctx.render("filings/mark_done.txt", client=client, tax=models.TAX_KINDS[filing.tax],
                                    period=_covers(filing), kind=KIND_LABELS[payload["kind"]],
                                    amount_fen=filing.amount_fen, day=day))
