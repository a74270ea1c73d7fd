"""知识: search the audited knowledge base (B9, K2)."""
from __future__ import annotations

from bot.router import Reply, Router, UserError
from handlers.knowledge.rules import MAX_QUERY, record_gap, search_entries

router = Router("knowledge")


@router.command("知识", "知识库", "问")
async def knowledge(msg, args, ctx) -> Reply:
    """知识 <关键词>：搜索知识库（只含已审核的条目，最相关的在前）
    例如「知识 小规模 增值税」「知识 专票丢失」。找不到时会记下来，由知识库维护人员补充。"""
    query = args.strip()
    if not query:
        raise UserError("请在「知识」后面写上关键词，例如：知识 小规模 增值税")
    query = query[:MAX_QUERY]
    entries = await ctx.db.run(search_entries, query)
    if not entries:
        recorded = await ctx.db.atomic(record_gap, query, ctx.userid, ctx.staff, ctx.today(),
                                       ctx.config.knowledge.gaps_per_member_daily)
        return Reply.of_text(ctx.render("knowledge/none.txt", query=query, recorded=recorded))
    return Reply.of_text(ctx.render("knowledge/found.txt", query=query, entries=entries))
