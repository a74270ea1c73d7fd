"""Exact money: integer fen in, text out. No floats anywhere."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation


def format_fen(fen: int, symbol: str = "¥") -> str:
    """12345678 -> '¥123,456.78'; negative amounts keep their sign."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{symbol}{yuan:,}.{cents:02d}"


def parse_yuan(text: str) -> int:
    """'1,234.5' / '1234.50元' / '¥88' -> fen. Raises ValueError for anything else, or more than 2 decimals."""
    cleaned = re.sub(r"[,，\s¥￥元]", "", text or "")
    if not re.fullmatch(r"\d{1,12}(\.\d{1,2})?", cleaned):
        raise ValueError(f"not an amount: {text!r}")
    try:
        return int(Decimal(cleaned) * 100)
    except InvalidOperation:  # pragma: no cover - the regex already rules this out
        raise ValueError(f"not an amount: {text!r}") from None


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")


def rmb_upper(fen: int) -> str:
    """Amount in 人民币大写 for receipts: 123456 -> '壹仟贰佰叁拾肆元伍角陆分', 0 -> '零元整'; negative -> ValueError."""
    fen = int(fen)
    if fen < 0:
        raise ValueError(f"rmb_upper needs a non-negative amount, got {fen}")
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    text = _upper_integer(yuan) + "元" if yuan else ""
    if not cents:
        return (text or "零元") + "整"
    if jiao:
        # 1,000,000.10 -> 壹佰万元零壹角: a zero 元 digit before a non-zero 角 is read out as 零.
        text += ("零" if yuan and yuan % 10 == 0 else "") + _DIGITS[jiao] + "角"
    if fen_digit:
        text += ("零" if yuan and not jiao else "") + _DIGITS[fen_digit] + "分"
    return text


def _upper_integer(n: int) -> str:
    """A positive whole number in 大写 with 万/亿 groups and one 零 for each run of zeros between digits."""
    if n >= 100_000_000:
        high, low = divmod(n, 100_000_000)
        return _upper_integer(high) + "亿" + (("零" if low < 10_000_000 else "") + _upper_integer(low) if low else "")
    if n >= 10_000:
        high, low = divmod(n, 10_000)
        return _upper_group(high) + "万" + (("零" if low < 1_000 else "") + _upper_group(low) if low else "")
    return _upper_group(n)


def _upper_group(n: int) -> str:
    """1..9999 in 大写; zeros inside the group collapse to one 零, trailing zeros are silent."""
    text, pending_zero = "", False
    for place in (3, 2, 1, 0):
        digit = n // 10 ** place % 10
        if digit:
            text += ("零" if pending_zero else "") + _DIGITS[digit] + _PLACES[place]
            pending_zero = False
        elif text:
            pending_zero = True
    return text
