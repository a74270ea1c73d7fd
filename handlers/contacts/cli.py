"""`python -m bot sync contacts|groups|all`: a full sync from the terminal with a progress bar (L1, L2)."""
from __future__ import annotations

import asyncio
import sys
import time
from typing import TextIO

from handlers.contacts import runs
from handlers.contacts.commands import sync_kinds
from handlers.contacts.sync import SyncEnv


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
    from bot.db import Database, DbTokenStore
    from bot.texts import text_environment
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
    text = text_environment().get_template("contacts/sync_done.txt").render(
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
        from bot.config.settings import validate
        validate(config)  # the CLI loads config without the WeCom settings; a sync needs them
        return asyncio.run(sync_from_cli(config, self.kinds[args.what]))


CLI_COMMANDS = [SyncCommand()]
