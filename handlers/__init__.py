"""Feature modules. The routers are listed here explicitly: no discovery, no import magic."""
from __future__ import annotations

from aiohttp import web

from handlers import clients, help, sidebar, welcome

ROUTERS = [help.router, clients.router, welcome.router]


def setup_web(app: web.Application) -> None:
    """Pages and JSON endpoints owned by the features (the sidebar)."""
    sidebar.setup(app)
