"""帮助: the command list, generated from the command docstrings."""
from __future__ import annotations

import weakref

from bot.router import Reply, Router

router = Router("help")
# The list only changes with the code, so it is rendered once per dispatcher (one per app) and reader.
_RENDERED: "weakref.WeakKeyDictionary[object, dict[tuple, str]]" = weakref.WeakKeyDictionary()


@router.command("帮助", "help", "?", needs_staff=False)
async def show_help(msg, args, ctx) -> Reply:
    """帮助 [命令]：查看全部命令，或某个命令的用法"""
    if args:
        cmd = ctx.dispatcher.commands.get(args.split()[0])
        if cmd is None:
            return Reply.of_text(f"没有「{args[:20]}」这个命令。发送「帮助」查看全部命令。")
        return Reply.of_text(ctx.render("bot/help_one.txt", cmd=cmd))
    is_admin = ctx.staff is not None and ctx.staff.is_admin
    cache = _RENDERED.setdefault(ctx.dispatcher, {})
    key = (ctx.staff.name if ctx.staff else None, is_admin)
    if key not in cache:
        visible = [c for c in ctx.dispatcher.command_list() if not c.admin_only or is_admin]
        cache[key] = ctx.render("bot/help.txt", commands=visible, staff=ctx.staff)
    return Reply.of_text(cache[key])
