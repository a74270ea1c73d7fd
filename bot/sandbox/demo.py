"""`python -m bot demo`: a fresh SQLite agency, the fake WeCom API and the server with /sandbox, on localhost."""
from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import signal
import socket
import sys
from datetime import datetime
from pathlib import Path

from aiohttp import web

from bot.config.settings import Config, load_config
from bot.logs import setup_logging

log = logging.getLogger(__name__)

# Sandbox credentials: they only open the local fake WeCom, never a real corp.
DEMO_CORP_ID = "wwzhangfangdemo0001"
DEMO_AGENT_ID = 1000002


def demo_config(base: Config, port: int | None = None) -> Config:
    """The base configuration pointed at the sandbox, with fresh random callback keys for this run."""
    port = port or base.demo.port
    aes_key = secrets.token_urlsafe(32)[:43].replace("-", "A").replace("_", "B")
    return base.replace(
        server={"host": "127.0.0.1", "port": port, "public_url": f"http://127.0.0.1:{port}"},
        wecom={"corp_id": DEMO_CORP_ID, "agent_id": DEMO_AGENT_ID, "secret": secrets.token_hex(16),
               "token": secrets.token_hex(8), "aes_key": aes_key,
               "api_base": f"http://127.0.0.1:{base.demo.sandbox_port}/cgi-bin/", "oauth_url": "/sandbox/oauth"},
        database={"url": f"sqlite:///{base.demo.database}"},
        sidebar={"session_secret": secrets.token_urlsafe(32)},
        demo_mode=True,
    )


def prepare_database(config: Config, keep: bool) -> dict:
    """Recreate (or keep) the demo SQLite file, migrate it and seed the demo agency."""
    import models
    from bot import migrate
    from bot.db import open_database
    from seed.demo import seed_demo

    path = Path(config.database.url[len("sqlite:///"):])
    if not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    database = open_database(config.database)
    models.db.initialize(database)
    with database.connection_context():
        migrate.upgrade(database)
        if models.Client.select().exists():
            return {}
        return seed_demo(datetime.now(config.agency.tz).date())  # the agency's today, not the machine's


async def _serve(config: Config) -> None:
    from bot.app import create_app
    from bot.sandbox.fake.app import create_fake_wecom_app
    from bot.sandbox.fake.records import FakeConfig
    from bot.sandbox.fake.state import FakeWeCom
    from bot.sandbox.page import SANDBOX_FAKE
    from seed.world import demo_directory

    fake = FakeWeCom(FakeConfig(corp_id=config.wecom.corp_id, agent_id=config.wecom.agent_id,
                                secret=config.wecom.secret, token_ttl=config.demo.token_ttl),
                     directory=demo_directory())
    server = create_app(config)
    server[SANDBOX_FAKE] = fake
    runners = []
    for app, port in ((create_fake_wecom_app(fake), config.demo.sandbox_port), (server, config.server.port)):
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
    base = config.base_url
    print(f"\n账房演示已启动 / Zhangfang demo is running\n"
          f"  模拟器 Simulator:      {base}/sandbox\n"
          f"  健康检查 Health:       {base}/healthz\n"
          f"  假企业微信 Fake WeCom: http://127.0.0.1:{config.demo.sandbox_port}/cgi-bin/\n"
          f"按 Ctrl+C 停止 / press Ctrl+C to stop\n", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


def _ports_free(*ports: int) -> str | None:
    """The first port someone else already listens on, as a one-line message, or None."""
    for port in ports:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp binds: TIME_WAIT is no conflict
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return (f"端口 {port} 已被占用（是否已有一个演示在运行？）。请先停止它，或用 --port / --sandbox-port 换一个端口。"
                        f" / port {port} is already in use")
    return None


def run_demo(args: argparse.Namespace) -> int:
    base = load_config(args.config, require_wecom=False)
    if getattr(args, "sandbox_port", None):
        base = base.replace(demo={"sandbox_port": args.sandbox_port})
    config = demo_config(base, args.port)
    busy = _ports_free(config.server.port, config.demo.sandbox_port)
    if busy:
        print(busy, file=sys.stderr)
        return 1
    setup_logging(config.server.log_level, [config.wecom.secret, config.wecom.aes_key, config.wecom.token])
    counts = prepare_database(config, keep=args.keep_data)
    if counts:
        shown = ("client", "staff", "external_contact", "customer_group", "receivable", "payment", "invoice")
        print("演示数据 / demo data: " + "，".join(f"{k} {counts[k]}" for k in shown if k in counts))
    asyncio.run(_serve(config))
    return 0
