"""Abuse limits and retention: the `binding`, `knowledge` and `api` sections, and the checks of every such limit.

Kept apart from settings.py (which holds the sections the server itself needs) so each limit, its default and
its bounds sit together. The callback inbox's retention lives in `wecom` (callback_inbox_*), next to the other
callback settings, and is checked here.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BindingConfig:
    max_failures: int = 10     # wrong 绑定 attempts one WeCom member may make within failure_window
    failure_window: int = 3600  # seconds
    lockout: int = 3600        # seconds a member who reached max_failures may not try again (admins are alerted)


@dataclass(frozen=True)
class KnowledgeConfig:
    gaps_per_member_daily: int = 30  # distinct unanswered queries one member adds to the gap list per day
    unsent_window_minutes: int = 10  # a search with results and no entry sent/opened within this becomes a gap


@dataclass(frozen=True)
class ApiConfig:
    rate_limit: int = 120      # requests one API token may make per minute (a bucket that refills evenly); 429 past it
    max_body_kb: int = 1024    # largest JSON body a write accepts, in KB; 413 past it
    max_items: int = 500       # objects one PUT/POST may carry; 422 past it


def limit_checks(config) -> list[tuple[str, bool, str]]:
    """(key, ok, problem) for every abuse limit and retention setting."""
    w, b, k = config.wecom, config.binding, config.knowledge
    # A replayed callback is refused by its timestamp once it is callback_max_skew old, and a delivery may carry
    # a timestamp up to callback_max_skew in the future: its dedupe row must outlive both.
    least = 2 * w.callback_max_skew
    return [
        ("wecom.callback_inbox_retention", w.callback_inbox_retention >= least,
         f"must be at least twice wecom.callback_max_skew ({least} seconds), or a replay could pass as new"),
        ("wecom.callback_inbox_prune_interval", 1 <= w.callback_inbox_prune_interval <= 86400,
         "must be between 1 and 86400 seconds"),
        ("wecom.callback_inbox_prune_batch", 1 <= w.callback_inbox_prune_batch <= 100000,
         "must be between 1 and 100000 rows"),
        ("binding.max_failures", 1 <= b.max_failures <= 1000, "must be between 1 and 1000"),
        ("binding.failure_window", b.failure_window >= 60, "must be at least 60 seconds"),
        ("binding.lockout", b.lockout >= 60, "must be at least 60 seconds"),
        ("knowledge.gaps_per_member_daily", 0 <= k.gaps_per_member_daily <= 10000,
         "must be between 0 and 10000 (0 = record no gaps)"),
        ("knowledge.unsent_window_minutes", 1 <= k.unsent_window_minutes <= 1440, "must be between 1 and 1440 minutes"),
        ("api.rate_limit", 1 <= config.api.rate_limit <= 100000, "must be between 1 and 100000 requests a minute"),
        ("api.max_body_kb", 1 <= config.api.max_body_kb <= 1536,
         "must be between 1 and 1536 (the server refuses bodies over 2 MB anyway)"),
        ("api.max_items", 1 <= config.api.max_items <= 500, "must be between 1 and 500"),
    ]
