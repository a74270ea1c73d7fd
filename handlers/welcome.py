"""enter_agent: a short welcome when a member opens the app."""
from __future__ import annotations

from bot.router import Reply, Router

router = Router("welcome")


@router.event("enter_agent")
async def welcome(msg, ctx) -> Reply:
    """A member opened the app: greet them (and tell an unbound member how to bind)."""
    return Reply.of_text(ctx.render("bot/welcome.txt", staff=ctx.staff))
