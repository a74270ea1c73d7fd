"""跟进: add a follow-up note to a client, or list the recent ones (B5)."""
from __future__ import annotations

import re
import unicodedata

from bot.router import Reply, Router, UserError
from handlers.cmdkit import client_or_answer, require_perm
from handlers.followups.rules import MAX_CONTENT, add_followup, recent_followups

router = Router("followups")


def _as_typed(raw: str, normalized: str) -> str:
    """The note as the member typed it: the router's normalising turns Chinese ，。 into ,. which a note keeps."""
    words = re.sub(r"[\s\u3000]+", " ", raw or "").strip().split(" ", 2)
    typed = words[2] if len(words) == 3 else ""
    return typed if unicodedata.normalize("NFKC", typed).split() == normalized.split() else normalized


@router.command("跟进", "跟进记录", "记录")
async def followup(msg, args, ctx) -> Reply:
    """跟进 <客户> <内容>：添加一条跟进记录（只写客户则查看最近 5 条）
    例如「跟进 华夏 电话沟通10月收票，客户本周寄出进项发票」。"""
    require_perm(ctx, "wecom.followup")
    name, _, content = args.partition(" ")
    content = _as_typed(msg.content, content.strip())
    if len(content) > MAX_CONTENT:
        raise UserError(f"跟进内容最多 {MAX_CONTENT} 字，请精简后再发。")
    client = await client_or_answer(ctx, name, "跟进", content)
    tz = ctx.config.agency.tz
    if content:
        await ctx.db.atomic(add_followup, ctx.staff, client.id, content, ctx.clock())
    rows = await ctx.db.run(recent_followups, client.id, tz)
    return Reply.of_text(ctx.render("followups/list.txt", client=client, added=bool(content), rows=rows))
