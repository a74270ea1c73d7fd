"""Per-member conversation state: pick a client from a numbered list, confirm or cancel a pending write.

State lives in the database (ConversationState), so it holds across processes, and expires on its own.
Commands use two helpers:
  - ``await resolve_client(ctx, name, command, rest)`` -> a Client, or a Reply (none found / numbered list);
    replying with a number re-runs ``command <chosen client's full name> rest``.
  - ``await ask_confirmation(ctx, action, payload, question, what)`` -> the question as a Reply; ``确认`` then
    calls the function registered with ``@confirmable(action)`` as ``fn(ctx, payload) -> Reply``; ``取消`` drops it.
State belongs to the exchange that made it: any other command the member sends ends it (a pending 确认 is
remembered as ended for its 10 minutes, so a late 确认 is told what was dropped), and a bare client name is
read as 客户 <name>.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Awaitable, Callable

import models
from bot.router import Reply, Router, strip_trailing
from handlers.access import find_clients

router = Router("conversation")

CHOICE_TTL = timedelta(minutes=10)
CONFIRM_TTL = timedelta(minutes=10)
_CONFIRMABLE: dict[str, Callable[[Any, dict], Awaitable[Reply]]] = {}
_CHOOSERS: dict[str, Callable[[Any, dict, int], Awaitable[Reply]]] = {}


def chooser(kind: str):
    """Register ``fn(ctx, state, index) -> Reply``: what a bare number does after a list of ``kind`` (saved by
    ``offer_choices``). The list stays live, so 2 then 3 opens both; any other command ends it."""
    def register(fn):
        _CHOOSERS[kind] = fn
        return fn
    return register


async def offer_choices(ctx, kind: str, ids: list[int], **data) -> None:
    """Remember a numbered list of ``kind`` for the member (for CHOICE_TTL)."""
    if kind not in _CHOOSERS:
        raise KeyError(f"no @chooser({kind!r}) registered")
    state = {"kind": kind, "ids": ids, **data}
    await ctx.db.run(_save_state, ctx.userid, state, ctx.clock() + CHOICE_TTL)


def confirmable(action: str):
    """Register the function that carries out ``action`` once the member answers 确认."""
    def register(fn: Callable[[Any, dict], Awaitable[Reply]]):
        _CONFIRMABLE[action] = fn
        return fn
    return register


def _save_state(userid: str, data: dict, expires_at) -> None:
    (models.ConversationState.insert(userid=userid, data=data, expires_at=expires_at)
     .on_conflict(conflict_target=[models.ConversationState.userid],
                  update={models.ConversationState.data: data, models.ConversationState.expires_at: expires_at})
     .execute())


def _take_state(userid: str, kind: str, now) -> dict | None:
    """The member's live state of ``kind`` (removed when taken); expired state is dropped."""
    row = models.ConversationState.get_or_none(models.ConversationState.userid == userid)
    if row is None:
        return None
    if row.expires_at <= now or row.data.get("kind") != kind:
        if row.expires_at <= now:
            row.delete_instance()
        return None
    row.delete_instance()
    return row.data


def _peek_state(userid: str, now) -> dict | None:
    row = models.ConversationState.get_or_none(models.ConversationState.userid == userid)
    return row.data if row is not None and row.expires_at > now else None


def _end_state(userid: str) -> None:
    """Another command ends what was pending: a choice is dropped, a confirmation is kept only as 'dropped'
    (until it would have expired) so that a late 确认 can say what it no longer does."""
    row = models.ConversationState.get_or_none(models.ConversationState.userid == userid)
    if row is None:
        return
    if row.data.get("kind") == "confirm":
        row.data = {"kind": "dropped", "what": row.data.get("what", "")}
        row.save()
    else:
        row.delete_instance()


async def resolve_client(ctx, name: str, command: str, rest: str = "") -> "models.Client | Reply":
    """The one client ``name`` means among those the member may see, or a Reply to send instead."""
    name = strip_trailing(name.strip())  # '客户 华夏？'
    if not name:
        return Reply.of_text(f"请在「{command}」后面加上客户名称，例如：{command} 华夏")
    matches = await ctx.db.run(find_clients, ctx.staff, name)
    if not matches:
        return Reply.of_text(ctx.render("bot/client_none.txt", query=name[:30]))
    if len(matches) == 1:
        return matches[0]
    data = {"kind": "choose_client", "command": command, "rest": rest, "ids": [c.id for c in matches]}
    await ctx.db.run(_save_state, ctx.userid, data, ctx.clock() + CHOICE_TTL)
    return Reply.of_text(ctx.render("bot/client_choose.txt", query=name[:30], clients=matches))


async def ask_confirmation(ctx, action: str, payload: dict, question: str, what: str) -> Reply:
    """Park a write until the member answers 确认 (or 取消); nothing is written before that.

    ``what`` names the write in a few words ('收款 杭州华夏科技有限公司 ¥100.00'): 取消 and a late 确认 repeat it."""
    if action not in _CONFIRMABLE:
        raise KeyError(f"no @confirmable({action!r}) registered")
    data = {"kind": "confirm", "action": action, "payload": payload, "what": what}
    await ctx.db.run(_save_state, ctx.userid, data, ctx.clock() + CONFIRM_TTL)
    return Reply.of_text(question)


@router.fallback
async def numbered_choice(msg, text: str, ctx) -> Reply | None:
    """A bare number answers the last numbered list."""
    if not text.isdigit() or ctx.staff is None:
        return None
    state = await ctx.db.run(_peek_state, ctx.userid, ctx.clock())
    if not state or state.get("kind") not in ("choose_client", *_CHOOSERS):
        return Reply.of_text("没有待选择的列表（可能已过期）。请重新发送命令。")
    index = int(text) - 1
    if not 0 <= index < len(state["ids"]):
        return Reply.of_text(f"请回复 1 到 {len(state['ids'])} 之间的序号。")
    if state["kind"] in _CHOOSERS:
        return await _CHOOSERS[state["kind"]](ctx, state, index)
    await ctx.db.run(_take_state, ctx.userid, "choose_client", ctx.clock())
    client = await ctx.db.run(models.Client.get_by_id, state["ids"][index])
    retyped = f"{state['command']} {client.name} {state['rest']}".strip()
    return await ctx.dispatcher.dispatch_text(retyped, msg, ctx)


@router.fallback
async def bare_client_name(msg, text: str, ctx) -> Reply | None:
    """A client's name on its own ('华夏') is read as 客户 华夏; anything else falls through to the hint."""
    if ctx.staff is None or text.isdigit() or not 2 <= len(text) <= 40 or (text.isascii() and len(text) < 3):
        return None  # one character, or 'ok', is too little to guess a client from
    if not await ctx.db.run(find_clients, ctx.staff, text, 1):
        return None
    return await ctx.dispatcher.dispatch_text(f"客户 {text}", msg, ctx)


@router.on_command
async def end_stale_state(cmd, msg, ctx) -> None:
    """Any command other than 确认/取消 ends the pending choice or confirmation (bound to what it asked)."""
    if cmd.fn not in (confirm, cancel) and ctx.userid:
        await ctx.db.run(_end_state, ctx.userid)


@router.command("确认", "确定", "是", glued=False)
async def confirm(msg, args, ctx) -> Reply:
    """确认：执行刚才等待确认的操作（如收款）"""
    state = await ctx.db.run(_take_state, ctx.userid, "confirm", ctx.clock())
    if state is None:
        dropped = await ctx.db.run(_take_state, ctx.userid, "dropped", ctx.clock())
        return Reply.of_text(ctx.render("bot/confirm_none.txt", dropped=dropped))
    return await _CONFIRMABLE[state["action"]](ctx, state["payload"])


@router.command("取消", "算了", "否", glued=False)
async def cancel(msg, args, ctx) -> Reply:
    """取消：放弃刚才等待确认的操作"""
    state = await ctx.db.run(_take_state, ctx.userid, "confirm", ctx.clock())
    return Reply.of_text(ctx.render("bot/cancelled.txt", state=state))
