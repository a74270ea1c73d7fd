"""`python -m bot serve | demo | db upgrade | db seed-demo`.

Configuration problems end the process with one line naming the key (exit status 2), never a traceback.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Sequence

from aiohttp import web

from bot.config.settings import Config, ConfigError, load_config, require_serving
from bot.logs import setup_logging


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="账房 (Zhangfang): WeCom desk for bookkeeping agencies")
    parser.add_argument("--config", help="path of config.yaml (default: the one in the repository)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server against a real WeCom corp")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    demo = sub.add_parser("demo", help="run the demo: fresh SQLite, seeded agency, local WeCom sandbox")
    demo.add_argument("--port", type=int, help="port of the server and /sandbox (default 8080)")
    demo.add_argument("--sandbox-port", type=int, help="port of the fake WeCom API (default 8081)")
    demo.add_argument("--keep-data", action="store_true", help="reuse the demo database instead of recreating it")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply schema migrations (serve does this on start too)")
    db_sub.add_parser("seed-demo", help="write the demo agency into the configured database")
    for command in _feature_commands():
        command.configure(sub.add_parser(command.name, help=command.help))
    return parser


def _feature_commands() -> list:
    import handlers
    return list(handlers.CLI_COMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args)
        if args.command == "demo":
            from bot.sandbox.demo import run_demo
            return run_demo(args)
        if args.command == "db":
            return database_command(args)
        for command in _feature_commands():
            if args.command == command.name:
                config = load_config(args.config, require_wecom=False)
                setup_logging(config.server.log_level, _secrets(config))
                return command.run(args, config)
    except ConfigError as exc:
        print(f"配置错误 / configuration error: {exc}", file=sys.stderr)
        return 2
    return 1


def serve(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    require_serving(config)  # a public URL and a session secret of 32+ bytes: one line and exit 2 without them
    server = {k: v for k, v in {"host": args.host, "port": args.port}.items() if v}
    if server:
        config = config.replace(server=server)
    setup_logging(config.server.log_level, _secrets(config))
    from bot.app import create_app
    web.run_app(create_app(config), host=config.server.host, port=config.server.port,
                shutdown_timeout=config.server.shutdown_timeout, print=None,
                access_log_format='%a "%r" %s %b %Tfs')
    return 0


def _secrets(config: Config) -> list[str]:
    return [config.wecom.secret, config.wecom.aes_key, config.wecom.token, config.sidebar.session_secret]


def database_command(args: argparse.Namespace) -> int:
    config = load_config(args.config, require_wecom=False)
    setup_logging(config.server.log_level, _secrets(config))
    import models
    from bot import migrate
    from bot.db import open_database

    database = open_database(config.database)
    models.db.initialize(database)
    with database.connection_context():
        applied = migrate.upgrade(database)
        print(f"数据库已是最新（版本 {migrate.current_version(database)}）" + (f"，本次应用：{', '.join(applied)}" if applied else ""))
        if args.db_command == "seed-demo":
            from seed.demo import SeedError, seed_demo
            try:
                counts = seed_demo(datetime.now(config.agency.tz).date())  # the agency's today
            except SeedError as exc:
                print(str(exc), file=sys.stderr)
                return 1
            print("已写入演示数据：" + "，".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
