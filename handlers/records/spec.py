"""A record type's import spec: its columns (Chinese headers, field, type), how each cell is parsed and checked
(with messages staff can act on), its natural key and how rows are written.

Every channel that takes records in bulk (the console's 导入导出, `python -m bot import`, the demo seed, later the
console forms and the JSON API) parses through these columns, so a date or an amount means the same everywhere.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import models
from bot.money import AmountError, parse_yuan


class CellError(ValueError):
    """A cell that cannot be taken as it is; the message is shown to staff next to its row and column."""


@dataclass(frozen=True)
class Column:
    """One column of a template: its header, the model field it fills and how its text is read."""
    header: str
    field: str
    type: str = "text"  # text|int|money|date|period|enum|bool|tags|client|staff|contract|invoice
    required: bool = False
    example: str = ""
    help: str = ""
    choices: dict | None = None  # enum: stored value -> Chinese label
    max_len: int = 64
    default: Any = None  # stored when the cell is empty (and the column is not required)
    signed: bool = False  # money: a leading minus is allowed (red invoices)
    null: bool = False  # an empty cell stores NULL (unique columns such as 税号), not ''


@dataclass
class RecordSpec:
    """What one record type needs to be imported: columns, natural key and the write."""
    kind: str  # English slug: `python -m bot import clients FILE`
    title: str  # 中文 name: the template's sheet and the console's choice
    model: type
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # fields (after parsing) that find an existing record
    note: str = ""  # a paragraph for the 说明 sheet
    check: Callable[[dict, Any], list[tuple[str, str]]] | None = None  # (values, lookups) -> [(header, problem)]
    derive: Callable[[dict], dict] | None = None  # fields computed from the parsed ones (pinyin, status)
    writer: Any = None  # an object with plan()/write() when the generic upsert does not fit (payments)
    defaults_on_create: dict = field(default_factory=dict)
    # [(row, values, stored id or None)] of a batch -> {position: (header, problem)}: conflicts with stored rows
    guard: Callable[[list], dict] | None = None
    after_write: Callable[[list, list, Any], None] | None = None

    def column(self, field_name: str) -> Column:
        return next(c for c in self.columns if c.field == field_name)

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.columns]


# --- cell parsing --------------------------------------------------------------------------------------------

def clean(value: Any) -> str:
    """A cell as trimmed text, as written (full-width brackets in a name stay full-width)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def norm(value: Any) -> str:
    """A cell meant as a number, date, code or choice: full-width digits and letters become half-width (NFKC)."""
    return unicodedata.normalize("NFKC", clean(value)).strip()


def parse_text(column: Column, value: Any, lookups) -> str:
    text = clean(value)
    if len(text) > column.max_len:
        raise CellError(f"不能超过 {column.max_len} 个字（现有 {len(text)} 个）")
    return text


def parse_int(column: Column, value: Any, lookups) -> int:
    if isinstance(value, bool):
        raise CellError("应为整数")
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"应为整数，不能是 {value}")
        return int(value)
    text = norm(value).replace(",", "")
    if not re.fullmatch(r"-?\d{1,12}", text):
        raise CellError(f"应为整数，不能是「{norm(value)}」")
    return int(text)


PLAIN_YUAN = re.compile(r"(-?)(\d{1,13})(?:\.(\d{1,2}))?")


def parse_money(column: Column, value: Any, lookups) -> int:
    """Yuan with at most two decimals -> fen, exactly: a float from a spreadsheet is read as it is shown."""
    if isinstance(value, str) and (plain := PLAIN_YUAN.fullmatch(value.strip())):  # the usual cell, fast
        sign, whole, cents = plain.groups()
        if not sign or column.signed:
            fen = int(whole) * 100 + int((cents or "0").ljust(2, "0"))
            return -fen if sign else fen
    if isinstance(value, bool):
        raise CellError("应为金额")
    if isinstance(value, (int, float, Decimal)):
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            raise CellError("应为金额") from None
        if number != number.quantize(Decimal("0.01")):
            raise CellError(f"金额最多两位小数（分），不能是 {value}")
        fen = int(number * 100)
        if fen < 0 and not column.signed:
            raise CellError("金额不能为负数")
        return fen
    text = clean(value)
    negative = column.signed and text.startswith("-")
    try:
        fen = parse_yuan(text[1:] if negative else text)
    except AmountError as exc:
        reason = exc.reason or "应填写以元为单位的金额，如 1200 或 1,200.50"
        raise CellError(f"「{text}」不是金额：{reason}") from None
    return -fen if negative else fen


DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(column: Column, value: Any, lookups) -> dt.date:
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise CellError(f"「{value}」不是有效日期") from None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = norm(value)
    match = DATE_RE.fullmatch(text) or (re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text))
    if not match:
        raise CellError(f"「{text}」不是日期，请写成 2026-10-31")
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise CellError(f"「{text}」不是有效日期") from None


PERIOD_RES = (re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?"), re.compile(r"(\d{4})(\d{2})"))


def parse_period(column: Column, value: Any, lookups) -> str:
    """A month: 2026-10, 2026/10, 2026年10月, 202610, or a date cell (Excel turns 2026-10 into one)."""
    if isinstance(value, str) and models.PERIOD_RE.match(value):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return models.period_of(value)
    text = norm(value)
    for pattern in PERIOD_RES:
        match = pattern.fullmatch(text)
        if match and 1 <= int(match.group(2)) <= 12:
            return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"
    raise CellError(f"「{text}」不是所属期，请写成 2026-10")


def parse_enum(column: Column, value: Any, lookups) -> str:
    text = clean(value)
    found = _choice_index(tuple(column.choices.items())).get(text)
    if found is not None:
        return found
    raise CellError(f"「{text}」不是可选值，应为：{'、'.join(column.choices.values())}")


@functools.lru_cache(maxsize=256)
def _choice_index(choices: tuple) -> dict:
    """Label or stored value -> stored value."""
    return {**{str(stored): stored for stored, _ in choices}, **{label: stored for stored, label in choices}}


TRUE, FALSE = {"是", "Y", "YES", "TRUE", "1", "√", "对"}, {"否", "N", "NO", "FALSE", "0", "×", "不"}


def parse_bool(column: Column, value: Any, lookups) -> bool:
    if isinstance(value, bool):
        return value
    text = norm(value).upper()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise CellError(f"「{norm(value)}」应填「是」或「否」")


def parse_tags(column: Column, value: Any, lookups) -> list[str]:
    tags = [t.strip() for t in re.split(r"[、,，;；/]", clean(value)) if t.strip()]
    if any(len(t) > 20 for t in tags):
        raise CellError("每个标签不能超过 20 个字")
    return list(dict.fromkeys(tags))


def parse_client(column: Column, value: Any, lookups) -> int:
    return lookups.client(clean(value))


def parse_staff(column: Column, value: Any, lookups) -> int:
    return lookups.staff(clean(value))


def parse_contract(column: Column, value: Any, lookups) -> int:
    return lookups.contract(clean(value))[0]


def parse_invoice(column: Column, value: Any, lookups) -> int:
    return lookups.invoice(clean(value))


TAX_ID_RE = re.compile(r"[0-9A-Z]{15}|[0-9A-Z]{18}|[0-9A-Z]{20}")


def parse_tax_id(column: Column, value: Any, lookups) -> str:
    if isinstance(value, str) and TAX_ID_RE.fullmatch(value):  # as written in the template: taken as it is
        return value
    text = norm(value).upper().replace(" ", "")
    if not TAX_ID_RE.fullmatch(text):
        raise CellError(f"「{norm(value)}」不是税号：统一社会信用代码为 18 位数字或大写字母（旧税号 15 或 20 位）")
    return text


def parse_rate(column: Column, value: Any, lookups) -> int:
    """A tax rate -> basis points: 13%, 13, 0.13 (a spreadsheet's percent cell) all give 1300."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = Decimal(repr(value))
    else:
        text = norm(value).rstrip("%").strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(f"「{norm(value)}」不是税率，请写成 13% 或 13") from None
    if 0 < number < 1 and not str(norm(value)).endswith("%"):
        number *= 100
    bp = number * 100
    if bp != bp.to_integral_value() or not 0 <= bp <= 10000:
        raise CellError(f"「{norm(value)}」不是有效税率（0% 到 100%，最多两位小数）")
    return int(bp)


PARSERS = {"text": parse_text, "int": parse_int, "money": parse_money, "date": parse_date,
           "period": parse_period, "enum": parse_enum, "bool": parse_bool, "tags": parse_tags,
           "taxid": parse_tax_id, "rate": parse_rate, "client": parse_client, "staff": parse_staff, "contract": parse_contract, "invoice": parse_invoice}

TYPE_HELP = {
    "text": "文字", "int": "整数", "money": "金额（元，最多两位小数，如 1200.50）", "date": "日期（如 2026-10-31）",
    "period": "所属期（年-月，如 2026-10）", "enum": "从可选值中选", "bool": "是 / 否",
    "tags": "多个用顿号或逗号分隔", "client": "客户：税号或完整名称", "staff": "员工：姓名或手机号",
    "contract": "合同编号", "taxid": "统一社会信用代码（18 位）", "rate": "税率，如 13% 或 1%", "invoice": "发票：全电号码，或 发票代码-发票号码",
}


EMPTY = {"text": "", "tags": []}


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
