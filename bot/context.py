"""The Context passed to every handler: configuration, database, WeCom client, the staff member, a clock."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable

import jinja2

from bot.config.settings import Config
from bot.db import Database
from bot.wecom import WeComClient


@dataclass
class Context:
    config: Config
    db: Database
    wecom: WeComClient
    texts: jinja2.Environment
    clock: Callable[[], datetime]
    userid: str = ""
    staff: Any = None  # models.Staff bound to ``userid``, or None when the member is not bound
    fonts: Any = field(default=None, repr=False)  # bot.render.fonts.Fonts, loaded once at start-up
    dispatcher: Any = field(default=None, repr=False)  # bot.router.Dispatcher: generated help, re-dispatch

    def now(self) -> datetime:
        """Aware 'now' in the agency's time zone (injectable for tests)."""
        return self.clock().astimezone(self.config.agency.tz)

    def today(self) -> date:
        return self.now().date()

    def render(self, name: str, **values: Any) -> str:
        """Fill a wording template under templates/ (agencies edit these, not the code)."""
        values.setdefault("agency", self.config.agency)
        return self.texts.get_template(name).render(**values).strip()
