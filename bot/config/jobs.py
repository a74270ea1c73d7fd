"""The `jobs` section of config.yaml: reminder schedules, sending caps, quiet hours.

Kept apart from bot/config/settings.py because it is nested (one sub-section per job) and holds lists. Problems raise
ValueError naming the key; bot/config/settings.py turns them into ConfigError.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields, is_dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


ROLES = ("manager", "accountant")  # who on a client's team receives a job's digest
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # APScheduler's order (0 = Monday)


@dataclass(frozen=True)
class ServiceExpiryJob:
    enabled: bool = True
    cron: str = "17 9 * * *"
    offsets: tuple[int, ...] = (30, 7, 1)
    lapsed_days: int = 60  # a term that ended this recently without renewal is 已过期未续费 (listed, pushed once)
    recipients: tuple[str, ...] = ("manager",)


@dataclass(frozen=True)
class MissingInvoicesJob:
    enabled: bool = True
    cron: str = "23 9 * * *"
    collection_days: tuple[int, ...] = (5, 10)
    recipients: tuple[str, ...] = ("accountant",)
    client_push: bool = False


@dataclass(frozen=True)
class ArrearsJob:
    enabled: bool = True
    cron: str = "37 9 * * mon-fri"
    steps: tuple[int, ...] = (1, 15, 30, 60, 90)
    recipients: tuple[str, ...] = ("manager",)
    client_push: bool = False


@dataclass(frozen=True)
class FilingDeadlineJob:
    enabled: bool = True
    cron: str = "13 9 * * *"
    days_before: tuple[int, ...] = (5, 2, 0)
    recipients: tuple[str, ...] = ("accountant",)  # the calendar itself: the `filings` section


# Settings that moved to another section: naming the new key beats "unknown setting".
MOVED = {"jobs.filing_deadline.deadline_day": "filings.deadline_day",
         "jobs.filing_deadline.weekend_rollover": "filings.weekend_rollover",
         "jobs.filing_deadline.extensions": "filings.overrides"}


@dataclass(frozen=True)
class JobsConfig:
    enabled: bool = True
    timezone: str = ""
    lease_ttl: int = 60
    misfire_grace: int = 43200
    quiet_hours: str = "21:00-08:00"
    avoid_minutes: tuple[int, ...] = (0, 30)
    per_minute_cap: int = 20
    per_hour_cap: int = 800
    send_concurrency: int = 4
    duplicate_check_interval: int = 14400
    in_flight_timeout: int = 120
    retry_base: int = 30
    reply_retry_base: int = 5
    max_attempts: int = 8
    poll_interval: int = 30
    digest_format: str = "markdown"
    admin_summary: bool = True
    link_path: str = "/reminders"
    client_monthly_cap: int = 2
    service_expiry: ServiceExpiryJob = ServiceExpiryJob()
    missing_invoices: MissingInvoicesJob = MissingInvoicesJob()
    arrears: ArrearsJob = ArrearsJob()
    filing_deadline: FilingDeadlineJob = FilingDeadlineJob()

    def tz(self, agency_timezone: str) -> ZoneInfo:
        """The zone cron times and quiet hours are read in (the agency's unless set)."""
        return ZoneInfo(self.timezone or agency_timezone)

    def quiet_window(self) -> tuple[time, time] | None:
        """(start, end) of the quiet hours, or None when every hour may send."""
        if not self.quiet_hours:
            return None
        start, end = self.quiet_hours.split("-")
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())

    def job(self, name: str) -> Any:
        """The sub-section of job `name`, or None for jobs this file does not describe."""
        value = getattr(self, name, None)
        return value if is_dataclass(value) else None


# ---- parsing -----------------------------------------------------------------------------------------

def build_jobs(raw: dict) -> JobsConfig:
    """The jobs section from its YAML mapping; ValueError names the first bad key."""
    jobs = _section("jobs", JobsConfig, raw)
    _validate(jobs)
    return jobs


def _section(prefix: str, cls: type, values: Any) -> Any:
    if not isinstance(values, dict):
        raise ValueError(f"{prefix}: must be a mapping of settings")
    known = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if f"{prefix}.{key}" in MOVED:
            raise ValueError(f"{prefix}.{key}: moved to {MOVED[f'{prefix}.{key}']} (the filing calendar's own section)")
        if key not in known:
            raise ValueError(f"{prefix}.{key}: unknown setting")
        kwargs[key] = _value(f"{prefix}.{key}", value, known[key].default)
    return cls(**kwargs)


def _value(name: str, value: Any, default: Any) -> Any:
    if is_dataclass(default):
        return _section(name, type(default), value or {})
    if isinstance(default, tuple):
        items = [] if value is None else value
        if not isinstance(items, list):
            raise ValueError(f"{name}: must be a list, e.g. [{', '.join(map(str, default)) or '1, 2'}]")
        kind = type(default[0]) if default else int
        return tuple(_scalar(f"{name}[{i}]", item, kind) for i, item in enumerate(items))
    return _scalar(name, value, type(default))


def _scalar(name: str, value: Any, kind: type) -> Any:
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name}: must be true or false, got {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not re.fullmatch(r"-?[0-9]+", str(value).strip()):
            raise ValueError(f"{name}: must be a whole number, got {value!r}")
        return int(str(value).strip())
    return "" if value is None else str(value)


# ---- checks ------------------------------------------------------------------------------------------

def _validate(jobs: JobsConfig) -> None:
    checks = [
        ("jobs.timezone", not jobs.timezone or tz_ok(jobs.timezone), "is not a known time zone"),
        ("jobs.lease_ttl", 2 <= jobs.lease_ttl <= 3600, "must be between 2 and 3600 seconds"),
        ("jobs.misfire_grace", 0 <= jobs.misfire_grace <= 7 * 86400, "must be between 0 and 604800 seconds"),
        ("jobs.quiet_hours", _quiet_ok(jobs.quiet_hours), 'must be "HH:MM-HH:MM" (e.g. "21:00-08:00") or ""'),
        ("jobs.avoid_minutes", all(0 <= m <= 59 for m in jobs.avoid_minutes), "must be minutes 0-59"),
        ("jobs.per_minute_cap", 1 <= jobs.per_minute_cap < 30, "must be 1-29 (WeCom drops the 31st a minute)"),
        ("jobs.per_hour_cap", 1 <= jobs.per_hour_cap < 1000, "must be 1-999 (WeCom drops past 1000 an hour)"),
        ("jobs.send_concurrency", 1 <= jobs.send_concurrency <= 64, "must be between 1 and 64"),
        ("jobs.duplicate_check_interval", 1 <= jobs.duplicate_check_interval <= 14400,
         "must be 1-14400 seconds (WeCom allows at most 4 hours)"),
        ("jobs.in_flight_timeout", 1 <= jobs.in_flight_timeout <= min(600, jobs.duplicate_check_interval // 4),
         "must be 1-600 seconds and at most a quarter of jobs.duplicate_check_interval (a send cut off by a "
         "crash is repeated after it, and only while WeCom's duplicate check still absorbs the repeat)"),
        ("jobs.retry_base", jobs.retry_base >= 1, "must be at least 1 second"),
        ("jobs.reply_retry_base", 1 <= jobs.reply_retry_base <= 600, "must be between 1 and 600 seconds"),
        ("jobs.max_attempts", 1 <= jobs.max_attempts <= 100, "must be between 1 and 100"),
        ("jobs.poll_interval", 1 <= jobs.poll_interval <= 3600, "must be between 1 and 3600 seconds"),
        ("jobs.digest_format", jobs.digest_format in ("markdown", "textcard"), "must be markdown or textcard"),
        ("jobs.link_path", jobs.link_path.startswith("/"), "must be a path starting with /"),
        ("jobs.client_monthly_cap", 0 <= jobs.client_monthly_cap <= 4,
         "must be 0-4 (WeCom delivers 4 mass messages a customer a month)"),
    ]
    for name, ok, problem in checks:
        if not ok:
            raise ValueError(f"{name}: {problem}")
    for sub in ("service_expiry", "missing_invoices", "arrears", "filing_deadline"):
        _validate_job(f"jobs.{sub}", getattr(jobs, sub))


def _validate_job(prefix: str, job: Any) -> None:
    try:
        cron_trigger(job.cron, "UTC")
    except ValueError as exc:
        raise ValueError(f"{prefix}.cron: {job.cron!r} is not a cron expression ({exc})") from None
    if not job.recipients or any(role not in ROLES for role in job.recipients):
        raise ValueError(f"{prefix}.recipients: must list manager and/or accountant")
    for key, low, high in (("offsets", 0, 366), ("collection_days", 1, 28), ("steps", 1, 3660),
                           ("days_before", 0, 28)):
        values = getattr(job, key, None)
        if values is not None and (not values or any(not low <= v <= high for v in values)):
            raise ValueError(f"{prefix}.{key}: must list numbers between {low} and {high}")
    if hasattr(job, "lapsed_days") and not 0 <= job.lapsed_days <= 3660:
        raise ValueError(f"{prefix}.lapsed_days: must be between 0 and 3660")


def tz_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _quiet_ok(text: str) -> bool:
    if not text:
        return True
    match = re.fullmatch(r"\s*([0-2][0-9]:[0-5][0-9])\s*-\s*([0-2][0-9]:[0-5][0-9])\s*", text)
    try:
        return bool(match) and time.fromisoformat(match[1]) != time.fromisoformat(match[2])
    except ValueError:
        return False


# ---- cron ----------------------------------------------------------------------------------------------

def cron_trigger(expr: str, timezone: Any):
    """An APScheduler CronTrigger for a standard crontab line, weekday numbers read as crontab does.

    APScheduler 3 reads day-of-week 0 as Monday (crontab: Sunday), so "1-5" would silently mean Tue-Sat.
    Numbers are translated to names here; names (mon-fri) pass through.
    """
    from apscheduler.triggers.cron import CronTrigger

    values = expr.split()
    if len(values) != 5:
        raise ValueError(f"expected 5 fields, got {len(values)}")
    minute, hour, day, month, dow = values
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=_weekdays(dow),
                       timezone=timezone)


def _weekdays(field: str) -> str:
    if field == "*" or re.search(r"[a-z]", field, re.I):
        return field
    days: set[int] = set()
    for part in field.split(","):
        rng, _, step = part.partition("/")
        if rng == "*":
            low, high = 0, 6
        elif "-" in rng:
            low, high = (int(x) for x in rng.split("-", 1))
        elif rng.isdigit():
            low = high = int(rng)
        else:
            raise ValueError(f"bad day-of-week {field!r}")
        if not (0 <= low <= 7 and 0 <= high <= 7 and low <= high) or (step and not step.isdigit()):
            raise ValueError(f"bad day-of-week {field!r}")
        days.update(range(low, high + 1, int(step or 1)))
    return ",".join(WEEKDAYS[(d - 1) % 7] for d in sorted({d % 7 for d in days}))
