"""Exact money: integer fen in, text out. No floats anywhere."""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal


def format_fen(fen: int, symbol: str = "¥") -> str:
    """12345678 -> '¥123,456.78'; negative amounts keep their sign."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{symbol}{yuan:,}.{cents:02d}"


class AmountError(ValueError):
    """Text that is not an amount; ``reason`` says why in words safe to show staff ('' when it is not one at all)."""

    def __init__(self, text: str, reason: str = ""):
        super().__init__(f"not an amount: {text!r}" + (f" ({reason})" if reason else ""))
        self.reason = reason


# The units people type after a figure, and what they multiply it by (万 is ten thousand yuan).
UNITS = {"元": 1, "元整": 1, "块": 1, "块钱": 1, "万": 10_000, "万元": 10_000}
AMOUNT_RE = re.compile(r"¥?(?P<number>\d[\d,]*(?:\.\d+)?)(?P<unit>" + "|".join(sorted(UNITS, key=len, reverse=True))
                       + r")?")
MAX_YUAN = 10 ** 12


def looks_like_amount(text: str) -> bool:
    """True for a figure as people type one ('100', '¥1,200.50', '1.2万', '100块'), valid or not."""
    return AMOUNT_RE.fullmatch(_clean(text)) is not None


def _clean(text: str) -> str:
    """Full-width digits, commas and ￥ to half-width; spaces dropped ('100 元' is '100元')."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def parse_yuan(text: str) -> int:
    """'1,234.5' / '1234.50元' / '¥88' / '100 块' / '1.2万' -> fen, exactly (Decimal, never float).

    Raises AmountError (a ValueError) for anything else; its reason names a misplaced thousands comma,
    a fraction of a fen or an amount out of range."""
    match = AMOUNT_RE.fullmatch(_clean(text))
    if match is None:
        raise AmountError(text)
    number, unit = match.group("number"), match.group("unit") or "元"
    whole = number.partition(".")[0]
    if "," in whole and not re.fullmatch(r"\d{1,3}(,\d{3})+", whole):
        raise AmountError(text, "千分位逗号应每三位数字一个，例如 1,234.50")
    fen = Decimal(number.replace(",", "")) * UNITS[unit] * 100
    if fen != fen.to_integral_value():
        raise AmountError(text, "金额最多精确到分（两位小数）")
    if fen >= MAX_YUAN * 100:
        raise AmountError(text, "金额过大")
    return int(fen)


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")


def rmb_upper(fen: int) -> str:
    """Amount in 人民币大写 for receipts: 123456 -> '壹仟贰佰叁拾肆元伍角陆分', 50 -> '伍角整', 0 -> '零元整'.

    会计基础工作规范 第五十二条(三): an amount ending in 元 or 角 takes 整, one ending in 分 does not.
    Negative amounts raise ValueError."""
    fen = int(fen)
    if fen < 0:
        raise ValueError(f"rmb_upper needs a non-negative amount, got {fen}")
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    text = _upper_integer(yuan) + "元" if yuan else ""
    if not cents:
        return (text or "零元") + "整"
    if jiao:
        # 1,000,000.10 -> 壹佰万元零壹角整: a zero 元 digit before a non-zero 角 is read out as 零
        # (第五十二条(五) allows it either way; writing it leaves no room to insert a digit).
        text += ("零" if yuan and yuan % 10 == 0 else "") + _DIGITS[jiao] + "角"
    if not fen_digit:
        return text + "整"
    return text + ("零" if yuan and not jiao else "") + _DIGITS[fen_digit] + "分"


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
