"""同步: sync WeCom contacts and customer groups now (admins), and `python -m bot sync contacts|groups|all`.

The engine is handlers/sync_engine.py; runs, resume and refusal are handlers/sync_runs.py. The 同步
command answers 「已开始同步」 at once through message/send and runs the sync inside the handler: past the
reply deadline the callback edge has already answered WeCom with an empty 200 and sends the summary this
handler returns through message/send from its tracked background task (drained on shutdown; a cancelled
run is marked failed and the next 同步 resumes it).
"""
from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections import Counter
from typing import Any, TextIO

import models
from bot.router import Reply, Router, UserError
from bot.wecom import WeComConfigError, WeComError
from handlers import sync_runs as runs
from handlers.sync_engine import SyncEnv, run_sync

log = logging.getLogger(__name__)
router = Router("sync")

SCOPES = {"": ["contacts", "groups"], "全部": ["contacts", "groups"], "all": ["contacts", "groups"],
          "联系人": ["contacts"], "客户联系人": ["contacts"], "客户": ["contacts"], "contacts": ["contacts"],
          "客户群": ["groups"], "群": ["groups"], "groups": ["groups"]}


@router.command("同步", "sync", admin_only=True)
async def sync_now(msg, args, ctx) -> Reply:
    """同步 [联系人|客户群|全部]：立即从企业微信同步客户联系人和客户群（管理员）
    不写范围即同步全部。同步在后台进行：先回复「已开始同步」，完成后发来结果汇总。
    从企业微信消失的联系人和客户群只做标记，不会删除，和客户的关联保留。
    中途出错时已同步的部分会保留，再次发送「同步」会从中断处继续。"""
    kinds = SCOPES.get(args.strip().lower())
    if kinds is None:
        raise UserError(ctx.render("bot/sync_usage.txt"))
    busy = await ctx.db.run(_busy, kinds, ctx.clock())
    if busy is not None:
        return Reply.of_text(ctx.render("bot/sync_busy.txt", started=_when(busy.started_at, ctx),
                                        label=runs.KINDS[busy.kind]))
    try:
        await ctx.wecom.send_text(ctx.userid, ctx.render("bot/sync_started.txt", labels=_labels(kinds)))
    except WeComError as exc:  # the summary still comes; a lost notice is no reason not to sync
        log.warning("could not send the sync notice: errcode %s", exc.errcode)
    started = time.monotonic()
    results = await sync_kinds(SyncEnv(ctx.db, ctx.wecom, ctx.clock), kinds, actor=ctx.staff,
                               when=lambda at: _when(at, ctx))
    return Reply.of_text(ctx.render("bot/sync_done.txt", results=results, seconds=round(time.monotonic() - started)))


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

class ProgressBar:
    """Progress on one terminal line, redrawn with \\r (no dependency)."""

    def __init__(self, stream: TextIO, width: int = 30):
        self.stream, self.width = stream, width
        self.kind, self.started, self.length = "", time.monotonic(), 0

    def update(self, kind: str, done: int, total: int | None) -> None:
        if kind != self.kind:
            self.close()
            self.kind, self.started = kind, time.monotonic()
        rate = done / max(time.monotonic() - self.started, 1e-6)
        if total:
            filled = self.width * min(done, total) // total
            text = f"{runs.KINDS[kind]} [{'#' * filled}{'.' * (self.width - filled)}] {done:,}/{total:,}"
        else:
            text = f"{runs.KINDS[kind]} 已处理 {done:,} 条"
        text += f"  {rate:,.0f} 条/秒"
        self.stream.write("\r" + text.ljust(self.length))
        self.stream.flush()
        self.length = len(text)

    def close(self) -> None:
        if self.length:
            self.stream.write("\n")
            self.stream.flush()
            self.length = 0


async def sync_from_cli(config, kinds: list[str], out: TextIO = sys.stdout) -> int:
    """Run the sync with the configured database and WeCom app, drawing progress on ``out``."""
    import aiohttp

    from bot import migrate
    from bot.app import text_environment
    from bot.db import Database, DbTokenStore
    from bot.wecom import WeComClient

    db = Database(config.database)
    bar = ProgressBar(out)
    try:
        await db.run(migrate.upgrade, db.peewee)
        started = time.monotonic()
        async with aiohttp.ClientSession() as session:
            env = SyncEnv(db, WeComClient(config.wecom, session, DbTokenStore(db)), progress=bar.update)
            results = await sync_kinds(env, kinds)
    finally:
        bar.close()
        db.close()
    text = text_environment().get_template("bot/sync_done.txt").render(
        results=results, seconds=round(time.monotonic() - started))
    print(text.strip(), file=out)
    return 0 if all(not r["error"] and not r["busy"] for r in results) else 1


class SyncCommand:
    """`python -m bot sync contacts|groups|all`."""

    name = "sync"
    help = "sync WeCom external contacts and customer groups now (contacts | groups | all)"
    kinds = {"contacts": ["contacts"], "groups": ["groups"], "all": ["contacts", "groups"]}

    def configure(self, parser) -> None:
        parser.add_argument("what", nargs="?", default="all", choices=list(self.kinds),
                            help="what to sync (default: all)")

    def run(self, args, config) -> int:
        from bot.config import validate
        validate(config)  # the CLI loads config without the WeCom settings; a sync needs them
        return asyncio.run(sync_from_cli(config, self.kinds[args.what]))


CLI_COMMANDS = [SyncCommand()]
