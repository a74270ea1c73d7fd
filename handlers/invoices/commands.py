"""发票: a client's input and output invoices of a period and the estimated VAT (B8)."""
from __future__ import annotations

from bot.router import Reply, Router
from handlers.cmdkit import client_and_period, period_label, require_perm
from handlers.invoices.rules import rate_text, vat_estimate

router = Router("invoices")


@router.command("发票", "发票情况", "税额")
async def invoices(msg, args, ctx) -> Reply:
    """发票 <客户> [期间]：查看进项、销项发票合计和预估增值税（默认上月）
    一般纳税人：销项税额 − 进项税额 − 上期留抵，为负数时结转下期留抵；
    小规模纳税人：不含税销售额 × 征收率（四舍五入到分），进项税额不能抵扣。"""
    require_perm(ctx, "wecom.invoice")
    client, period, _ = await client_and_period(ctx, args, "发票")
    rate = ctx.config.agency.small_scale_vat_rate_bp
    estimate = await ctx.db.run(vat_estimate, client, period, rate)
    return Reply.of_text(ctx.render("invoices/vat.txt", client=client, period=period_label(period), e=estimate,
                                    general=client.taxpayer_type == "general", rate=rate_text(estimate.rate_bp)))
