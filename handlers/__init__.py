"""Feature modules. Routers, web routes and CLI commands are listed here explicitly: no discovery."""
from __future__ import annotations

from aiohttp import web

from handlers import clients, conversation, help, profile, sidebar, welcome

ROUTERS = [help.router, clients.router, conversation.router, welcome.router]

# `python -m bot <name> ...` commands owned by features: objects with .name, .help, .configure(parser)
# and .run(args, config) -> int. bot/cli.py adds them to its parser.
CLI_COMMANDS: list = []


def setup_web(app: web.Application) -> None:
    """Pages and JSON endpoints owned by the features (the sidebar)."""
    sidebar.setup(app)
    profile.setup(app)
