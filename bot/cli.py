"""`python -m bot serve | demo | fonts | db upgrade | db seed-demo`, and the features' commands.

Configuration problems end the process with one line naming the key (exit status 2); a machine that cannot run
the server (port taken, database unreachable or read-only, no font) with one line naming the setting or path and
the fix (exit status 1; bot/startup.py). Never a traceback, unless `--debug` asks for it.
"""
from __future__ import annotations

import argparse
import sys
import traceback
from datetime import datetime
from typing import Sequence

from aiohttp import web

from bot import startup
from bot.config.settings import Config, ConfigError, load_config, require_serving
from bot.logs import setup_logging
from bot.startup import StartupError

DATABASE_SETTING = "database.url (DATABASE_URL)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="账房 (Zhangfang): WeCom desk for bookkeeping agencies")
    parser.add_argument("--config", help="path of config.yaml (default: the one in the repository)")
    parser.add_argument("--debug", action="store_true", help="show the traceback when start-up fails")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server against a real WeCom corp")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    demo = sub.add_parser("demo", help="run the demo: fresh SQLite, seeded agency, local WeCom sandbox")
    demo.add_argument("--port", type=int, help="port of the server and /sandbox (default 8080)")
    demo.add_argument("--sandbox-port", type=int, help="port of the fake WeCom API (default 8081, or --port + 1)")
    demo.add_argument("--keep-data", action="store_true", help="reuse the demo database instead of recreating it")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply schema migrations (serve does this on start too)")
    db_sub.add_parser("seed-demo", help="write the demo agency into the configured database")
    sub.add_parser("fonts", help="check the font receipts are drawn with (render.font_path or the system's)")
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
        if args.command == "fonts":
            return fonts_command(args)
        for command in _feature_commands():
            if args.command == command.name:
                config = load_config(args.config, require_wecom=False)
                setup_logging(config.server.log_level, _secrets(config))
                return command.run(args, config)
    except ConfigError as exc:
        _traceback_if(args.debug)
        print(f"配置错误 / configuration error: {exc}", file=sys.stderr)
        return 2
    except StartupError as exc:
        _traceback_if(args.debug)
        print(str(exc), file=sys.stderr)
        return 1
    return 1


def _traceback_if(debug: bool) -> None:
    if debug:  # the whole chain: the StartupError names the problem, its cause says where it came from
        traceback.print_exc(file=sys.stderr)


def serve(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    require_serving(config)  # a public URL and a session secret of 32+ bytes: one line and exit 2 without them
    server = {k: v for k, v in {"host": args.host, "port": args.port}.items() if v}
    if server:
        config = config.replace(server=server)
    # Checked before logging starts and before migrations, so a failure is the only line on stderr.
    startup.check_port(config.server.host, config.server.port)
    from bot.render.fonts import load_fonts
    load_fonts(config.render)  # FontError is a ConfigError: one line naming render.font_path
    startup.check_database(config.database, DATABASE_SETTING)
    setup_logging(config.server.log_level, _secrets(config))
    from bot.app import create_app
    try:
        web.run_app(create_app(config), host=config.server.host, port=config.server.port,
                    shutdown_timeout=config.server.shutdown_timeout, print=None,
                    access_log_format='%a "%r" %s %b %Tfs')
    except OSError as exc:  # the port was taken after the check
        problem = startup.port_problem(exc, config.server.host, config.server.port)
        if problem is None:
            raise
        raise StartupError(problem) from exc
    except Exception as exc:  # the database went away after the check
        problem = startup.explain(exc, config.database.url, DATABASE_SETTING)
        if problem is None:
            raise
        raise StartupError(problem) from exc
    return 0


def fonts_command(args: argparse.Namespace) -> int:
    """Print the font receipts are drawn with; FontError (one line, exit 2) when none draws Chinese."""
    from bot.render.fonts import load_fonts
    found = load_fonts(load_config(args.config, require_wecom=False).render)
    bold = "" if found.bold == found.regular else f"（粗体 / bold: {found.bold}）"
    print(f"收据字体 / receipt font: {found.regular}{bold}")
    return 0


def _secrets(config: Config) -> list[str]:
    return [config.wecom.secret, config.wecom.aes_key, config.wecom.token, config.sidebar.session_secret,
            config.admin.metrics_token]


def database_command(args: argparse.Namespace) -> int:
    config = load_config(args.config, require_wecom=False)
    setup_logging(config.server.log_level, _secrets(config))
    import models
    from bot import migrate
    from bot.db import open_database

    startup.check_database(config.database, DATABASE_SETTING)
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
