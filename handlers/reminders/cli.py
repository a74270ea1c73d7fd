"""`python -m bot jobs list | run NAME [--dry-run] [--date D] | send [--wait S] | uncertain`."""
from __future__ import annotations

import argparse
import asyncio
import signal
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timezone
from typing import AsyncIterator

import aiohttp

from bot.config.jobs import cron_trigger
from bot.config.settings import Config, validate
from bot.context import Context
from bot.outbox import health
from bot.outbox.engine import Outbox, SendReport
from bot.scheduler import Job, kinds_of, last_run, run_job


def _jobs() -> list[Job]:
    from handlers.reminders.jobs import JOBS
    return JOBS


class JobsCommand:
    name = "jobs"
    help = "定时提醒：jobs list | jobs run 名称 [--dry-run] | jobs send | jobs uncertain"

    def configure(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="jobs_command", required=True)
        sub.add_parser("list", help="列出定时任务：开关、时间表、下次和上次运行")
        run = sub.add_parser("run", help="立即运行一个任务并发送提醒")
        run.add_argument("job", help="任务名称（见 jobs list）")
        run.add_argument("--dry-run", action="store_true", help="只显示将发送的内容，不写数据库、不发送")
        run.add_argument("--date", help="配合 --dry-run：按这一天（YYYY-MM-DD，上午 10 点）计算")
        send = sub.add_parser("send", help="把等待中的提醒发出去（遵守频率上限和免打扰时段），发完即退出")
        send.add_argument("--wait", type=float, default=0.0,
                          help="为频率上限或重试最多等待的秒数（默认 0：不等，留给服务器继续发）")
        send.add_argument("--follow", action="store_true",
                          help="持续运行，随时发送新排队的提醒（不运行定时任务），直到 Ctrl+C")
        sub.add_parser("uncertain", help="列出不确定是否送达的消息（不会自动重发，请人工确认）")

    def run(self, args: argparse.Namespace, config: Config) -> int:
        if args.jobs_command == "list":
            return asyncio.run(_list(config))
        if args.jobs_command == "run":
            return asyncio.run(_run(args, config))
        if args.jobs_command == "uncertain":
            return asyncio.run(_uncertain(config))
        return asyncio.run(_send(args, config))


@asynccontextmanager
async def _runtime(config: Config, clock, need_wecom: bool) -> AsyncIterator[tuple[Context, Outbox]]:
    from bot import migrate
    from bot.db import Database, DbTokenStore
    from bot.texts import text_environment
    from bot.wecom import WeComClient

    if need_wecom:
        validate(config)  # sending needs the WeCom settings; a missing one stops here with its name
    db = Database(config.database)
    await db.run(migrate.upgrade, db.peewee)
    session = aiohttp.ClientSession()
    try:
        wecom = WeComClient(config.wecom, session, DbTokenStore(db))
        ctx = Context(config=config, db=db, wecom=wecom, texts=text_environment(), clock=clock)
        yield ctx, Outbox(config, db, wecom, ctx.texts, kinds_of(_jobs()), clock)
    finally:
        await session.close()
        db.close()


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def _list(config: Config) -> int:
    tz = config.jobs.tz(config.agency.timezone)
    async with _runtime(config, _now, need_wecom=False) as (ctx, _):
        print(f"定时任务（时区 {tz.key}{'' if config.jobs.enabled else '，jobs.enabled 已关闭'}）：")
        for job in _jobs():
            enabled, cron = job.settings(config)
            upcoming = cron_trigger(cron, tz).get_next_fire_time(None, datetime.now(tz)) if enabled else None
            last = await ctx.db.run(last_run, job.name)
            print(f"  {job.name:<18} {job.title:<8} {'开' if enabled else '关'}  {cron:<18} "
                  f"下次 {upcoming.strftime('%Y-%m-%d %H:%M') if upcoming else '—'}  "
                  f"上次 {last.astimezone(tz).strftime('%Y-%m-%d %H:%M') if last else '从未运行'}")
        uncertain = await ctx.db.run(health.uncertain_count)
        if uncertain:
            print(f"\n不确定是否送达：{uncertain} 条（可能已送达也可能没有，不会自动重发；"
                  f"用 jobs uncertain 查看，请与收件人确认）")
    return 0


async def _uncertain(config: Config) -> int:
    tz = config.jobs.tz(config.agency.timezone)
    async with _runtime(config, _now, need_wecom=False) as (ctx, _):
        rows = await ctx.db.run(health.uncertain_rows, 500)
    if not rows:
        print("没有不确定是否送达的消息。")
        return 0
    print(f"不确定是否送达的消息 {len(rows)} 条（发送时企业微信没有给出确定答复，且已超过重复消息检查时间，"
          f"不会自动重发；请与收件人确认）：")
    for row in rows:
        when = row.since.astimezone(tz).strftime("%Y-%m-%d %H:%M") if row.since else "—"
        print(f"  #{row.id:<6} {when}  {row.kind:<24} → {row.recipient:<20} {row.what}")
        if row.error:
            print(f"          原因：{row.error[:120]}")
    return 0


def _fixed_clock(day: str, config: Config):
    moment = datetime.combine(date.fromisoformat(day), time(10, 0), config.jobs.tz(config.agency.timezone))
    return lambda: moment


def _show(report) -> None:
    for recipient, message in report.previews:
        body = message[message["msgtype"]]
        if message["msgtype"] == "template":
            print(f"\n→ 客户 {recipient}（客户群发任务，由 {body['sender']} 确认后发送）")
            print(body["text"]["content"])
            continue
        print(f"\n→ {recipient}（{message['msgtype']}）")
        print(body.get("content") or f"{body['title']}\n{body['description']}\n{body['url']}")


def _sent(report: SendReport | None) -> str:
    if report is None:
        return ""
    text = (f"已推送 {report.digests} 条消息（含 {report.sent} 条提醒），发送前已办结而自动停止 {report.dropped} 条，"
            f"失败 {report.failed} 条")
    if report.uncertain:
        text += f"，不确定是否送达 {report.uncertain} 条（不会自动重发，见 jobs uncertain）"
    return text


async def _run(args: argparse.Namespace, config: Config) -> int:
    jobs = {job.name: job for job in _jobs()}
    if args.job not in jobs:
        print(f"没有名为「{args.job}」的任务。可用：{', '.join(jobs)}")
        return 2
    if args.date and not args.dry_run:
        print("--date 只能和 --dry-run 一起使用（正式发送总是按今天）")
        return 2
    try:
        clock = _fixed_clock(args.date, config) if args.date else _now
    except ValueError:
        print(f"日期「{args.date}」无效，请写成 YYYY-MM-DD")
        return 2
    job = jobs[args.job]
    async with _runtime(config, clock, need_wecom=not args.dry_run) as (ctx, outbox):
        report = await run_job(job, ctx, outbox, dry_run=args.dry_run)
        print(f"{job.title}（{job.name}）：需提醒 {report.found} 条，其中新的 {report.new} 条，"
              f"没有可接收的负责人 {report.unassigned} 条")
        if args.dry_run:
            print(f"试运行：将推送 {len(report.previews)} 条消息（未写数据库，未发送）")
            _show(report)
            return 0
        print(_sent(report.sending))
        waiting = await ctx.db.run(_waiting, outbox)
        if waiting:
            print(f"还有 {waiting} 条等待发送（频率上限、免打扰时段或重试中），服务器会继续发送")
    return 0


def _waiting(outbox: Outbox) -> int:
    from bot.outbox import store as outbox_store
    return outbox_store.pending_count(list(outbox.kinds))


async def _send(args: argparse.Namespace, config: Config) -> int:
    async with _runtime(config, _now, need_wecom=True) as (ctx, outbox):
        if args.follow:
            await _follow(outbox)
            return 0
        report = await outbox.drain(max_wait=args.wait)
        print(_sent(report))
        waiting = await ctx.db.run(_waiting, outbox)
        if waiting:
            tz = config.jobs.tz(config.agency.timezone)
            when = report.next_wake.astimezone(tz).strftime("%H:%M:%S") if report.next_wake else "—"
            print(f"还有 {waiting} 条等待发送（下一次可发送时间 {when}），服务器会继续发送")
    return 0


async def _follow(outbox: Outbox) -> None:
    """The sender alone, as the scheduler leader runs it, until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print("正在发送提醒，按 Ctrl+C 停止", flush=True)
    await outbox.run(stop)
