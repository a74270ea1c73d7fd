"""发票: a client's input and output invoices of a period and the estimated VAT (B8)."""
from __future__ import annotations

import models
from bot.router import Reply, Router
from handlers.cmdkit import client_and_period, period_label, require_perm
from handlers.invoices.rules import vat_estimate

router = Router("invoices")


@router.command("发票", "发票情况", "税额")
async def invoices(msg, args, ctx) -> Reply:
    """发票 <客户> [期间]：进项、销项发票合计和预估增值税（默认上月）
    一般纳税人：销项税额 − 可抵扣进项税额（专票）− 上期留抵，为负数时结转下期留抵；
    小规模纳税人：计税销售额 × 征收率（按期间适用的征收率；免征额度内只有专票销售额计税），按季申报的按季度累计估算。"""
    require_perm(ctx, "wecom.invoice")
    client, period, _ = await client_and_period(ctx, args, "发票")
    estimate = await ctx.db.run(vat_estimate, client, period)
    return Reply.of_text(ctx.render("invoices/vat.txt", client=client, period=period_label(period), e=estimate,
                                    taxpayer=models.TAXPAYER_TYPES[client.taxpayer_type]))
