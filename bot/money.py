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
