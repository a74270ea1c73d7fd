"""知识: search the audited knowledge base (B9, K2); the best answer in full, the others as numbered choices."""
from __future__ import annotations

from bot.router import Reply, Router, UserError
from handlers.conversation import chooser, offer_choices
from handlers.knowledge.rules import MAX_QUERY, record_gap, search_entries, use_entry
from handlers.knowledge.searchlog import record_search, who_of

router = Router("knowledge")


@router.command("知识", "知识库", "问")
async def knowledge(msg, args, ctx) -> Reply:
    """知识 <关键词>：搜索知识库（只含已审核的条目，最相关的在前）
    例如「知识 小规模 增值税」「知识 专票丢了怎么办」。第一条显示全文，其余回复序号查看；找不到时会记下来，由知识库维护人员补充。"""
    query = args.strip()
    if not query:
        raise UserError("请在「知识」后面写上关键词，例如：知识 小规模 增值税")
    query = query[:MAX_QUERY]
    entries = await ctx.db.run(search_entries, query)
    if not entries:
        recorded = await ctx.db.atomic(record_gap, query, ctx.userid, ctx.staff, ctx.today(),
                                       ctx.config.knowledge.gaps_per_member_daily)
        return Reply.of_text(ctx.render("knowledge/none.txt", query=query, recorded=recorded))
    if len(entries) > 1 and ctx.userid:
        await offer_choices(ctx, "knowledge", [e.id for e in entries])
        # The best answer is shown in full; with others offered, opening none of them within the window makes
        # the search a gap (有结果但未发送). A lone result shown in full is taken as answered.
        await ctx.db.atomic(record_search, query, ctx.userid, ctx.staff, len(entries), ctx.clock(),
                            ctx.config.knowledge.unsent_window_minutes)
    return Reply.of_text(ctx.render("knowledge/found.txt", query=query, entries=entries))


@chooser("knowledge")
async def open_entry(ctx, state: dict, index: int) -> Reply:
    """A number after a 知识 search: that entry in full (and its use counted)."""
    entry = await ctx.db.atomic(use_entry, state["ids"][index], who_of(ctx.userid, ctx.staff), ctx.clock())
    if entry is None:
        return Reply.of_text("这条知识已被删除或撤回审核。请重新搜索。")
    return Reply.of_text(ctx.render("knowledge/answer.txt", entry=entry))
