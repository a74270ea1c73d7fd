"""Small helpers the staff commands share: permissions, periods, and "<客户> [期间]" arguments."""
from __future__ import annotations

import re
from datetime import date

import models
from bot.router import Reply, UserError, strip_trailing
from handlers.access import visible_clients
from handlers.conversation import resolve_client

PERIOD_HINT = ("期间的写法：2026-10、2026年10月、10月、上月或本月；"
               "季度可写 2026年Q3、2026Q3、Q3、三季度、2026年第3季度、本季度或上季度（按季度末月查询）")
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4}
# A quarter as people (and the bot's own 报税 replies) write it: 2026年Q3, 2026Q3, 2026-Q3, Q3, 三季度,
# 第3季度, 2026年第三季度（2026-07至2026-09）.
# '四季' alone is a name (四季酒店), not a quarter: without Q or 第 it takes 季度.
_QUARTER = re.compile(r"(?:(?P<year>\d{4})[年-]?)?"
                      r"(?:Q(?P<q>\d)(?:季度?)?|第(?P<n>[\d一二三四])季度?|(?P<m>[\d一二三四])季度)(?:\([^)]*\))?",
                      re.IGNORECASE)
_RELATIVE_QUARTERS = {"本季度": 0, "本季": 0, "这季度": 0, "这个季度": 0, "当季": 0, "上季度": -1, "上季": -1,
                      "上个季度": -1}


def require_perm(ctx, code: str) -> None:
    """Refuse politely unless the member holds permission ``code`` (admins hold all)."""
    if not ctx.staff.has_perm(code):
        label = models.PERMISSIONS[code].split("（")[0]
        raise UserError(f"你没有「{label}」权限，请联系管理员开通。")


def work_period(today: date) -> str:
    """The period the agency works on now: last month (collect, book and file it this month)."""
    return models.shift_period(models.period_of(today), -1)


def parse_quarter(text: str, today: date) -> str | None:
    """'2026年Q3', '2026Q3', 'Q3', '三季度', '第3季度', '本季度', '上季度' -> the quarter's last month ('2026-09'),
    the period its quarterly returns are filed under; None if not a quarter. Without a year, a quarter that has
    not begun yet means last year's (like '12月' in November)."""
    text = strip_trailing(text.strip())
    current = models.period_of(today)
    if text in _RELATIVE_QUARTERS:
        end = models.shift_period(current, 2 - (today.month - 1) % 3)
        return models.shift_period(end, 3 * _RELATIVE_QUARTERS[text])
    match = _QUARTER.fullmatch(text)
    if match is None:
        return None
    digit = match.group("q") or match.group("n") or match.group("m")
    quarter = _NUMERALS.get(digit) or int(digit)
    year = int(match.group("year")) if match.group("year") else today.year
    if not (1 <= quarter <= 4 and 2000 <= year <= 2099):
        return None
    if not match.group("year") and f"{year:04d}-{quarter * 3 - 2:02d}" > current:
        year -= 1
    return f"{year:04d}-{quarter * 3:02d}"


def parse_period(text: str, today: date) -> str | None:
    """'2026-10', '2026/10', '202610', '2026年10月', '10月', '上月', '本月' -> 'YYYY-MM', or a quarter (parse_quarter)
    -> its last month; None if not a period."""
    text = strip_trailing(text.strip())
    if _looks_like_quarter(text):
        return parse_quarter(text, today)
    current = models.period_of(today)
    if text in ("本月", "这个月", "当月"):
        return current
    if text in ("上月", "上个月"):
        return models.shift_period(current, -1)
    match = (re.fullmatch(r"(\d{4})[-/.年](\d{1,2})月?", text) or re.fullmatch(r"(\d{4})(\d{2})", text))
    if match:
        year, month = int(match.group(1)), int(match.group(2))
    else:
        match = re.fullmatch(r"(\d{1,2})月", text)
        if not match:
            return None
        year, month = today.year, int(match.group(1))
        if f"{year:04d}-{month:02d}" > current:  # '12月' in November means last December
            year -= 1
    if not (1 <= month <= 12 and 2000 <= year <= 2099):
        return None
    return f"{year:04d}-{month:02d}"


def _looks_like_quarter(text: str) -> bool:
    return text in _RELATIVE_QUARTERS or bool(
        re.fullmatch(r"(\d{4}[年-]?)?(q\d+(季度?)?|第[\d一二三四五六七八九十]+季度?|[\d一二三四五六七八九十]+季度)(\(.*\))?",
                     text, re.IGNORECASE))


def looks_like_period(text: str) -> bool:
    """True for text meant as a period, valid or not (so '2026-13' or 'Q5' gets an answer, not a client search)."""
    text = strip_trailing(text.strip())
    return _looks_like_quarter(text) or bool(
        re.fullmatch(r"\d{4}[-/.年]\d{1,2}月?|\d{6}|\d{1,2}月|本月|上月|上个月|这个月|当月", text))


def split_period(args: str, today: date) -> tuple[str, str | None]:
    """'华夏 2026-10' or '华夏2026-10' -> ('华夏', '2026-10'); a last word that is not a period stays in the name."""
    head, _, last = args.strip().rpartition(" ")
    if not head:  # '华夏四季度': the longest period-like ending of a one-word argument
        head, last = next(((args[:i].strip(), args[i:]) for i in range(1, len(args))
                           if looks_like_period(args[i:])), ("", last))
    if head and looks_like_period(last):
        period = parse_period(last, today)
        if period is None:
            raise UserError(f"「{strip_trailing(last)[:20]}」不是有效的期间。{PERIOD_HINT}")
        return head, period
    return args.strip(), None


async def client_or_answer(ctx, name: str, command: str, rest: str = "") -> models.Client:
    """The client ``name`` means; otherwise the not-found text or numbered list is answered at once."""
    client = await resolve_client(ctx, name, command, rest)
    if isinstance(client, Reply):
        raise UserError(client.text)
    return client


async def client_and_period(ctx, args: str, command: str) -> tuple[models.Client, str, bool]:
    """Parse '<客户> [期间]': (client, period, explicit?); the default period is the work period (last month)."""
    name, period = split_period(args, ctx.today())
    if looks_like_period(name):
        raise UserError(f"请写上客户名称，例如：{command} 华夏 {name}")
    client = await client_or_answer(ctx, name, command, period or "")
    return client, period or work_period(ctx.today()), period is not None


def client_label(client: models.Client) -> str:
    """The short name when there is one: lists stay readable in a chat bubble."""
    return client.short_name or client.name


def period_label(period: str) -> str:
    return f"{int(period[:4])}年{int(period[5:])}月"


def visible_client_ids(staff):
    """A subquery of the ids of the clients ``staff`` may see (for ``Model.client.in_(...)``)."""
    return visible_clients(staff).select(models.Client.id)
