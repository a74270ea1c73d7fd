"""A record as JSON, both ways, over the record specs' columns: the API's keys are the spec's fields.

Money is integer fen in the `*_fen` fields and a tax rate integer basis points in `rate_bp` (never floats), as
models.py stores them; going in, they become the text the spec's own parser reads ("1200.50", "13%"), so the
bounds and messages are the import's. Tags are an array of strings; a reference (client, staff, contract) is
written as the import writes it (税号 or exact name, name or mobile, contract number) and read back as that
text plus its `<field>_id`.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import models
from handlers.records.spec import Column, RecordSpec

STRING_TYPES = {"text", "date", "period", "enum", "taxid", "client", "staff", "contract", "invoice"}
REFERENCES = {"client": (models.Client, "name"), "staff": (models.Staff, "name"),
              "contract": (models.Contract, "number")}
TYPE_PROBLEMS = {"int": "应为整数", "money": "应为整数（金额以分为单位，如 120050 表示 1200.50 元）",
                 "rate": "应为整数（税率以万分之一为单位，如 1300 表示 13%）", "bool": "应为 true 或 false",
                 "tags": "应为字符串数组"}


def bad_text(value: str) -> bool:
    """NUL and lone surrogates: JSON allows them, PostgreSQL and UTF-8 do not."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def to_cell(column: Column, value):
    """(the cell the spec's parser reads, or None, and a problem or '')."""
    if value is None:
        return None, ""
    kind = column.type
    if kind in STRING_TYPES:
        if not isinstance(value, str):
            return None, "应为字符串"
        return (None, "含有不允许的字符") if bad_text(value) else (value, "")
    if kind == "bool":
        return (value, "") if isinstance(value, bool) else (None, TYPE_PROBLEMS[kind])
    if not _integer(value) and kind != "tags":
        return None, TYPE_PROBLEMS[kind]
    if kind == "money":
        sign, (yuan, fen) = "-" if value < 0 else "", divmod(abs(value), 100)
        return f"{sign}{yuan}.{fen:02d}", ""
    if kind == "rate":
        return f"{Decimal(value) / 100}%", ""
    if kind == "tags":
        if not isinstance(value, list) or not all(isinstance(t, str) and not bad_text(t) for t in value):
            return None, TYPE_PROBLEMS[kind]
        return "、".join(value), ""
    return value, ""  # int


def to_cells(spec: RecordSpec, item) -> tuple[dict, list[tuple[str, str]]]:
    """(cells by field, [(field, problem)]) of one JSON object of a PUT/POST."""
    if not isinstance(item, dict):
        return {}, [("", "每一项应为 JSON 对象")]
    known = {column.field: column for column in spec.columns}
    cells, problems = {}, []
    for key, value in item.items():
        column = known.get(key)
        if column is None:
            problems.append((key if not bad_text(key) else "", "不是可写的字段"))
            continue
        cell, problem = to_cell(column, value)
        if problem:
            problems.append((key, problem))
        else:
            cells[key] = cell
    return cells, problems


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def load_references(spec: RecordSpec, rows: list) -> dict:
    """{column type: {id: the text that refers to it}} for the reference columns of ``rows`` (one query each)."""
    found = {}
    for kind, (model, name) in REFERENCES.items():
        ids = {row.__data__.get(c.field) for row in rows for c in spec.columns if c.type == kind} - {None}
        if ids:
            found[kind] = dict(model.select(model.id, getattr(model, name)).where(model.id.in_(list(ids))).tuples())
    return found


def to_json(spec: RecordSpec, row, references: dict, extras: tuple[str, ...] = ()) -> dict:
    """A stored record as the API shows it: id, the spec's fields stored on the model, then ``extras``."""
    data, stored = {"id": row.id}, row.__data__
    for column in spec.columns:
        if column.field not in row._meta.fields:
            continue  # written, not stored as such (a payment's 冲抵应收)
        value = stored.get(column.field)
        if column.type in REFERENCES:
            data[column.field] = references.get(column.type, {}).get(value)
            data[f"{column.field}_id"] = value
        else:
            data[column.field] = _plain(value)
    for name in extras:
        data[name] = _plain(stored.get(name))
    return data


def plain_values(values: dict) -> dict:
    """Parsed values as JSON for the audit log (the writer's own keys, such as a payment's plan, left out)."""
    return {key: _plain(value) for key, value in values.items() if not key.startswith("_")}
