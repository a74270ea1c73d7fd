"""Marking returns (B6, X4): 已申报 with the tax due, 零申报 (filed, nothing due) and 撤销申报 back to 未申报.

The one write every channel calls: the console's board and per-return form, the sidebar's 报税 tab and the bot's
已申报 / 零申报 commands. Each check raises MarkError with words safe to show staff (the channel puts them under
a field, in a JSON error or in a reply), and each change is audited with the return before and after.

The filing date is kept in TaxFiling.filed_at, which every channel already shows as a date in the agency's zone:
today's marks get the moment they were made, an earlier date gets noon of that day (the date is what counts).
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import models
from bot.money import AmountError, parse_yuan
from handlers.access import can_see_client

MAX_REASON = 200
_DAY_WORDS = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}


class MarkError(ValueError):
    """Input a channel must refuse; ``field`` names the form field it belongs under ('' for the whole form)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message, self.field = message, field


def parse_amount(text) -> int:
    """The tax due as typed in yuan ('1,200.50', '0') -> fen, ≥ 0 and exact to the fen."""
    raw = str(text if text is not None else "").strip()
    if not raw:
        raise MarkError("请填写税额（零申报填 0）", "amount")
    try:
        return parse_yuan(raw)
    except AmountError as exc:
        reason = f"：{exc.reason}" if exc.reason else ""
        raise MarkError(f"「{raw[:20]}」不是有效的税额{reason}，请写成元，例如 1200 或 1,200.50", "amount") from None


def amount_for(kind: str, text) -> int:
    """零申报 is 0 whatever was typed; 已申报 needs a tax figure above 0 (no tax due is a 零申报)."""
    if kind == "zero":
        return 0
    fen = parse_amount(text)
    if fen == 0:
        raise MarkError("已申报的税额应大于 0；没有应纳税额请标记为零申报", "amount")
    return fen


def parse_day(text, today: date) -> date:
    """A filing date as people write it: 2026-11-10, 2026/11/10, 11-10, 11月10日, 今天, 昨天 or 前天."""
    raw = str(text or "").strip()
    if raw in _DAY_WORDS:
        return today - timedelta(days=_DAY_WORDS[raw])
    match = (re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", raw)
             or re.fullmatch(r"()(\d{1,2})[-/.月](\d{1,2})日?", raw))
    try:
        if match is None:
            raise ValueError(raw)
        year = int(match.group(1)) if match.group(1) else today.year
        return date(year, int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise MarkError(f"「{raw[:20]}」不是有效的申报日期，请写成 2026-11-10、11-10 或 今天、昨天", "filed_on") from None


def first_filing_day(filing: models.TaxFiling) -> date:
    """A return can be filed once the time it covers has ended: the month after its period (a yearly return:
    the next 1 January)."""
    if filing.cycle == "yearly":
        return date(int(filing.period[:4]) + 1, 1, 1)
    following = models.shift_period(filing.period, 1)
    return date(int(following[:4]), int(following[5:]), 1)


def check_filed_on(filing: models.TaxFiling, filed_on: date, today: date) -> None:
    if filed_on > today:
        raise MarkError(f"申报日期 {filed_on} 还没到，不能晚于今天（{today}）", "filed_on")
    earliest = first_filing_day(filing)
    if filed_on < earliest:
        raise MarkError(f"申报日期不能早于所属期结束后的 {earliest}", "filed_on")


def filed_on(filing: models.TaxFiling, tz) -> date | None:
    """The day a return was filed, in the agency's zone."""
    return filing.filed_at.astimezone(tz).date() if filing.filed_at else None


def snapshot(filing: models.TaxFiling, tz) -> dict:
    """What the audit log keeps of a return."""
    day = filed_on(filing, tz)
    return {"client": filing.client_id, "period": filing.period, "tax": filing.tax, "status": filing.status,
            "amount_fen": filing.amount_fen, "filed_on": day.isoformat() if day else None,
            "filed_by": filing.filed_by_id}


def _editable(filing_id: int, actor: models.Staff) -> models.TaxFiling:
    filing = models.TaxFiling.get_or_none(models.TaxFiling.id == filing_id)
    if filing is None or not can_see_client(actor, filing.client_id):
        raise MarkError("没有这条申报记录，或你无权操作该客户")
    if not actor.has_perm("wecom.filing"):
        raise MarkError(f"你没有「{models.PERMISSIONS['wecom.filing']}」权限")
    return filing


def mark_filed(filing_id: int, amount_fen: int, day: date, actor: models.Staff, now: datetime, tz,
               via: str) -> models.TaxFiling:
    """已申报 (amount > 0) or 零申报 (amount 0) on ``day``; marking a filed return again corrects it (更正申报).
    A paid return stays 已缴款. Nothing is written when nothing changes. Run inside a transaction."""
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen < 0:
        raise MarkError("税额不能为负数", "amount")
    filing = _editable(filing_id, actor)
    today = now.astimezone(tz).date()
    check_filed_on(filing, day, today)
    before = snapshot(filing, tz)
    if before["status"] != "pending" and (before["amount_fen"], before["filed_on"]) == (amount_fen, day.isoformat()):
        return filing
    filing.status = "paid" if filing.status == "paid" else "filed"
    filing.amount_fen = amount_fen
    filing.filed_at = now if day == today else datetime.combine(day, time(12), tz)
    filing.filed_by = actor
    filing.save()
    action = "filing.mark" if before["status"] == "pending" else "filing.correct"
    models.audit(actor, action, filing, before=before, after={**snapshot(filing, tz), "via": via})
    return filing


def check_reason(text) -> str:
    reason = str(text or "").strip()
    if not reason:
        raise MarkError("请写明撤销原因", "reason")
    if len(reason) > MAX_REASON:
        raise MarkError(f"撤销原因不能超过 {MAX_REASON} 个字", "reason")
    return reason


def unmark(filing_id: int, reason: str, actor: models.Staff, tz, via: str) -> models.TaxFiling:
    """撤销申报: back to 未申报 (the tax figure is kept), with the reason in the audit log. Run in a transaction."""
    reason = check_reason(reason)
    filing = _editable(filing_id, actor)
    if filing.status == "pending":
        raise MarkError("这条申报还是未申报状态，无需撤销")
    before = snapshot(filing, tz)
    filing.status, filing.filed_at, filing.filed_by = "pending", None, None
    filing.save()
    models.audit(actor, "filing.undo", filing, before=before,
                 after={**snapshot(filing, tz), "reason": reason, "via": via})
    return filing
