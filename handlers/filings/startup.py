"""Start-up check of the filing calendar: say so when a year's published table is missing (rules.missing_tables)."""
from __future__ import annotations

import logging

from aiohttp import web

from bot import keys
from handlers.filings.rules import missing_tables

log = logging.getLogger(__name__)


async def warn_missing_calendar(app: web.Application) -> None:
    """One warning line per year whose filing periods the agency needs and neither ships nor configured."""
    config = app[keys.CONFIG]
    today = app[keys.CLOCK]().astimezone(config.agency.tz).date()
    calendar = config.filings
    rolled = " (moved past weekends)" if calendar.weekend_rollover else ""
    for year in missing_tables(today, calendar):
        log.warning("filing calendar: the tax bureau's %d table (申报纳税期限) is not shipped, so %d deadlines fall "
                    "back on day %d of the month%s; update Zhangfang or enter the published last days under "
                    "filings.overrides in config.yaml", year, year, calendar.deadline_day, rolled)
