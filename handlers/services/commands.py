"""到期: services lapsed without renewal and services about to end (B2), for the asker's clients."""
from __future__ import annotations

from bot.router import Reply, Router, UserError
from handlers.cmdkit import require_perm
from handlers.services.rules import due_services

router = Router("services")

MAX_DAYS = 3660
SHOWN = 30  # lines in one reply; WeCom cuts long text off and nobody reads further in a chat bubble


def _days(args: str) -> int:
    if not args:
        return 30
    text = args.removesuffix("天").strip()
    if not text.isdigit() or not 0 < int(text) <= MAX_DAYS:
        raise UserError(f"天数请写 1 到 {MAX_DAYS} 之间的整数，例如：到期 30")
    return int(text)


@router.command("到期", "到期提醒", "快到期")
async def expiring(msg, args, ctx) -> Reply:
    """到期 [天数]：已过期未续费和 N 天内到期的服务（默认 30 天）
    只列出你负责的客户（管理员看全部）：已过期未续费的在前，其余最近到期的在前。例如「到期」「到期 60」。"""
    require_perm(ctx, "wecom.service")
    days = _days(args)
    lapsed_days = ctx.config.jobs.service_expiry.lapsed_days
    rows = await ctx.db.run(due_services, ctx.staff, ctx.today(), days, lapsed_days)
    shown = rows[:SHOWN]
    return Reply.of_text(ctx.render("services/expiring.txt", lapsed=[r for r in shown if r["lapsed"]],
                                    coming=[r for r in shown if not r["lapsed"]], total=len(rows), days=days,
                                    lapsed_days=lapsed_days, everyone=ctx.staff.is_admin))
