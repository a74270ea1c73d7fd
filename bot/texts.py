"""The wording environment: every reply and pushed message is a plain-text Jinja2 template under templates/.

Kept below both the app factory and the features (CLI commands render texts without an app), so neither
imports the other for it.
"""
from __future__ import annotations

from pathlib import Path

import jinja2

from bot.money import format_fen

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def text_environment() -> jinja2.Environment:
    """Wording of replies and pushed messages: plain-text templates, no HTML escaping."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False, auto_reload=False,
                             undefined=jinja2.StrictUndefined)
    env.filters["yuan"] = format_fen
    return env
