"""同步: sync WeCom contacts and customer groups now (admins, L1, L2).

The engine is handlers/contacts/sync.py; runs, resume and refusal are handlers/contacts/runs.py. The 同步
command answers 「已开始同步」 at once through message/send and runs the sync inside the handler: past the
reply deadline the callback edge has already answered WeCom with an empty 200 and sends the summary this
handler returns through message/send from its tracked background task (drained on shutdown; a cancelled
run is marked failed and the next 同步 resumes it).
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

import models
from bot.router import Reply, Router, UserError
from bot.wecom import WeComConfigError, WeComError
from handlers.contacts import runs
from handlers.contacts.sync import SyncEnv, run_sync

log = logging.getLogger(__name__)
router = Router("sync")

SCOPES = {"": ["contacts", "groups"], "全部": ["contacts", "groups"], "all": ["contacts", "groups"],
          "联系人": ["contacts"], "客户联系人": ["contacts"], "客户": ["contacts"], "contacts": ["contacts"],
          "客户群": ["groups"], "群": ["groups"], "groups": ["groups"]}


@router.command("同步", "sync", admin_only=True)
async def sync_now(msg, args, ctx) -> Reply:
    """同步 [联系人|客户群|全部]：立即同步客户联系人和客户群（管理员）
    不写范围即同步全部。同步在后台进行：先回复「已开始同步」，完成后发来结果汇总。
    从企业微信消失的联系人和客户群只做标记，不会删除，和客户的关联保留。
    中途出错时已同步的部分会保留，再次发送「同步」会从中断处继续。"""
    kinds = SCOPES.get(args.strip().lower())
    if kinds is None:
        raise UserError(ctx.render("contacts/sync_usage.txt"))
    busy = await ctx.db.run(_busy, kinds, ctx.clock())
    if busy is not None:
        return Reply.of_text(ctx.render("contacts/sync_busy.txt", started=_when(busy.started_at, ctx),
                                        label=runs.KINDS[busy.kind]))
    try:
        await ctx.wecom.send_text(ctx.userid, ctx.render("contacts/sync_started.txt", labels=_labels(kinds)))
    except WeComError as exc:  # the summary still comes; a lost notice is no reason not to sync
        log.warning("could not send the sync notice: errcode %s", exc.errcode)
    started = time.monotonic()
    results = await sync_kinds(SyncEnv(ctx.db, ctx.wecom, ctx.clock), kinds, actor=ctx.staff,
                               when=lambda at: _when(at, ctx))
    return Reply.of_text(ctx.render("contacts/sync_done.txt", results=results, seconds=round(time.monotonic() - started)))


def _busy(kinds: list[str], now) -> models.SyncRun | None:
    return next((run for run in (runs.running(kind, now) for kind in kinds) if run is not None), None)


def _labels(kinds: list[str]) -> str:
    return "和".join(runs.KINDS[kind] for kind in kinds)


def _when(at, ctx) -> str:
    return at.astimezone(ctx.config.agency.tz).strftime("%Y-%m-%d %H:%M")


async def sync_kinds(env: SyncEnv, kinds: list[str], actor: Any = "cli", when=None) -> list[dict]:
    """Run each kind in turn; a failure or a busy kind is reported in its result, the next kind still runs."""
    results = []
    for kind in kinds:
        result: dict[str, Any] = {"kind": kind, "label": runs.KINDS[kind], "error": "", "busy": "",
                                  "resumed": False, "counts": Counter()}
        try:
            outcome = await run_sync(env, kind, started_by=getattr(actor, "id", None))
        except runs.SyncBusy as exc:
            result["busy"] = when(exc.started_at) if when else exc.started_at.isoformat(timespec="minutes")
        except WeComConfigError as exc:
            result["error"] = f"企业微信配置有误（{exc.hint}，错误码 {exc.errcode}）"
        except WeComError as exc:
            result["error"] = f"企业微信接口出错（{exc.path}，错误码 {exc.errcode}）"
        except runs.SyncLost:
            result["error"] = "另一个进程接手了这次同步"
        except Exception:
            log.exception("sync %s failed", kind)
            result["error"] = "处理时出了点问题，已记录"
        else:
            result.update(resumed=outcome.resumed, counts=Counter(outcome.counts))
            await env.db.run(models.audit, actor, "wecom.sync", "SyncRun", outcome.run_id, None, outcome.counts)
        results.append(result)
    return results


# ---- python -m bot sync contacts|groups|all -----------------------------------------------------------
