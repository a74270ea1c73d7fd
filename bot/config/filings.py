"""The `filings` section of config.yaml: the agency's settings for the filing calendar (征期).

The tax bureau's published tables and the annual deadlines ship with the code (handlers/filings/calendar_data.py);
these settings cover what they cannot: the rule for a year whose table is not shipped yet, and the days an admin
knows better (a local extension). The back office will edit these same settings. Problems raise ValueError
naming the key; bot/config/settings.py turns them into ConfigError.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

# The annual obligations an override may move (their dates and names: handlers/filings/calendar_data.ANNUAL).
ANNUAL_KINDS = ("cit", "iit", "annual_report")


@dataclass(frozen=True)
class FilingCalendar:
    deadline_day: int = 15        # a year not shipped: the filing period ends on this day of the month
    weekend_rollover: bool = True  # ... and moves past a Saturday or Sunday (so do the annual tax deadlines)
    overrides: tuple[tuple[str, int], ...] = ()  # ((month 'YYYY-MM', last day), ...): win over the shipped table
    annual_overrides: tuple[tuple[str, date], ...] = ()  # (('cit/2027', moved date), ...)

    def override(self, month: str) -> int | None:
        """The last day the agency set for the filing period of ``month``, if it set one."""
        return dict(self.overrides).get(month)

    def annual_override(self, kind: str, year: int) -> date | None:
        """The date the agency set for annual obligation ``kind`` falling in ``year``, if it set one."""
        return dict(self.annual_overrides).get(f"{kind}/{year}")


def build_filings(raw: dict) -> FilingCalendar:
    """The filings section from its YAML mapping; ValueError names the first bad key."""
    known = {f.name for f in fields(FilingCalendar)}
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"filings.{key}"
        if key not in known:
            raise ValueError(f"{name}: unknown setting")
        if key == "deadline_day":
            kwargs[key] = _whole(name, value)
            if not 1 <= kwargs[key] <= 28:
                raise ValueError(f"{name}: must be between 1 and 28")
        elif key == "weekend_rollover":
            if not isinstance(value, bool):
                raise ValueError(f"{name}: must be true or false, got {value!r}")
            kwargs[key] = value
        elif key == "overrides":
            kwargs[key] = _overrides(name, value)
        else:
            kwargs[key] = _annual_overrides(name, value)
    return FilingCalendar(**kwargs)


def _whole(name: str, value: Any) -> int:
    if isinstance(value, bool) or not re.fullmatch(r"-?[0-9]+", str(value).strip()):
        raise ValueError(f"{name}: must be a whole number, got {value!r}")
    return int(str(value).strip())


def _mapping(name: str, value: Any, example: str) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{name}: must be a mapping, e.g. {example}")
    return value


def _overrides(name: str, value: Any) -> tuple[tuple[str, int], ...]:
    pairs = []
    for month, day in _mapping(name, value, '{"2027-02": 24}').items():
        month = str(month)
        if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", month):
            raise ValueError(f"{name}: {month!r} is not a month written YYYY-MM")
        day = _whole(f"{name}.{month}", day)
        try:
            date(int(month[:4]), int(month[5:]), day)
        except ValueError:
            raise ValueError(f"{name}.{month}: {day} is not a day of that month") from None
        pairs.append((month, day))
    return tuple(sorted(pairs))


def _annual_overrides(name: str, value: Any) -> tuple[tuple[str, date], ...]:
    pairs = []
    for key, moved in _mapping(name, value, '{"cit/2027": "2027-06-01"}').items():
        key = str(key)
        kind, _, year = key.partition("/")
        if kind not in ANNUAL_KINDS or not re.fullmatch(r"[0-9]{4}", year):
            raise ValueError(f"{name}: {key!r} is not an obligation and year such as cit/2027 "
                             f"(obligations: {', '.join(ANNUAL_KINDS)})")
        try:
            if isinstance(moved, datetime):  # YAML reads 2027-06-01 10:00 as a datetime
                moved = moved.date()
            moved = moved if isinstance(moved, date) else date.fromisoformat(str(moved).strip())
        except ValueError:
            raise ValueError(f"{name}.{key}: {moved!r} is not a date written YYYY-MM-DD") from None
        if moved.year != int(year):
            raise ValueError(f"{name}.{key}: {moved} is not in {year}")
        pairs.append((key, moved))
    return tuple(sorted(pairs))
