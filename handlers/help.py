"""帮助: the command list, generated from the command docstrings."""
from __future__ import annotations

from bot.router import Reply, Router

router = Router("help")


@router.command("帮助", "help", "?", needs_staff=False)
async def show_help(msg, args, ctx) -> Reply:
    """帮助 [命令]：查看全部命令，或某个命令的用法"""
    commands = ctx.dispatcher.command_list()
    if args:
        cmd = ctx.dispatcher.commands.get(args.split()[0])
        if cmd is None:
            return Reply.of_text(f"没有「{args[:20]}」这个命令。发送「帮助」查看全部命令。")
        return Reply.of_text(ctx.render("bot/help_one.txt", cmd=cmd))
    visible = [c for c in commands if not c.admin_only or (ctx.staff is not None and ctx.staff.is_admin)]
    return Reply.of_text(ctx.render("bot/help.txt", commands=visible, staff=ctx.staff))
