"""`python -m bot demo`: a fresh SQLite agency, the fake WeCom API and the server with /sandbox, on localhost."""
from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import signal
from datetime import datetime
from pathlib import Path

from aiohttp import web

from bot import startup
from bot.config.settings import Config, load_config
from bot.logs import setup_logging
from bot.startup import StartupError

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
               "api_base": f"http://127.0.0.1:{base.demo.sandbox_port}/cgi-bin/", "oauth_url": "/sandbox/oauth",
               "sso_url": "/sandbox/sso"},
        database={"url": f"sqlite:///{base.demo.database}"},
        # A visitor may come at any hour: the digests 立即运行提醒 queues go out at once, not after quiet hours.
        jobs={"quiet_hours": "", "avoid_minutes": ()},
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


def _check_ports(*ports: int) -> None:
    """StartupError naming the first port that cannot be listened on."""
    for port in ports:
        if not 0 < port < 65536:
            raise StartupError(f"端口 {port} 无效（应在 1 到 65535 之间）。请用 --port / --sandbox-port 换一个端口 / "
                               f"port {port} is out of range")
        exc = startup.bind_error("127.0.0.1", port)
        if exc is not None:
            raise StartupError(f"端口 {port} 已被占用（是否已有一个演示在运行？）。请先停止它，或用 --port / --sandbox-port "
                               f"换一个端口。 / port {port} is already in use") from exc
    if len(set(ports)) < len(ports):
        raise StartupError(f"服务器和假企业微信不能用同一个端口 {ports[0]}。请用 --sandbox-port 换一个 / "
                           f"the server and the fake WeCom need two ports")


def run_demo(args: argparse.Namespace) -> int:
    """Ports, then the font, then the database (seeded), then the servers: each failure is one line."""
    base = load_config(args.config, require_wecom=False)
    sandbox_port = getattr(args, "sandbox_port", None) or (args.port + 1 if args.port else None)  # PORT+1 follows
    if sandbox_port:
        base = base.replace(demo={"sandbox_port": sandbox_port})
    config = demo_config(base, args.port)
    _check_ports(config.server.port, config.demo.sandbox_port)
    from bot.render.fonts import load_fonts
    load_fonts(config.render)  # before seeding: without a font the server would stop right after it
    setup_logging(config.server.log_level, [config.wecom.secret, config.wecom.aes_key, config.wecom.token])
    try:
        counts = prepare_database(config, keep=args.keep_data)
    except Exception as exc:  # noqa: BLE001 - explained in one line, or re-raised as it is
        problem = startup.explain(exc, config.database.url, f"demo.database ({base.demo.database})")
        if problem is None:
            raise
        raise StartupError(problem) from exc
    if counts:
        shown = ("client", "staff", "external_contact", "customer_group", "receivable", "payment", "invoice")
        print("演示数据 / demo data: " + "，".join(f"{k} {counts[k]}" for k in shown if k in counts))
    try:
        asyncio.run(_serve(config))
    except OSError as exc:  # a port taken after the check
        if startup.port_problem(exc, "127.0.0.1", config.server.port) is None:
            raise
        raise StartupError(f"端口已被占用 / a port is already in use: {exc.strerror}。请用 --port / --sandbox-port "
                           f"换一个端口") from exc
    return 0
