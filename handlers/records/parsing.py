"""Rows parsed a batch at a time, column by column: each column's cells go through one pass (a strip for text,
a remembered value for choices, dates, months and references, one pattern for plain amounts), and only the cells
that pass leaves unparsed go through their column's parser one by one, which also words the problem.

One implementation for every channel: a file's batches (the import), one row of a form or an API item
(``parse_row``), so a cell means the same everywhere and fails with the same message.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from handlers.records.spec import EMPTY, PARSERS, TAX_ID_RE, CellError, Column, RecordSpec, parse_money, parse_text

MEMO_TYPES = {"enum", "bool", "rate", "period", "date", "client", "staff", "contract"}  # few distinct cells a file
MEMO_SIZE = 1 << 15  # distinct texts remembered per column (a reference column: an agency's clients)
PLAIN_FEN = re.compile(r"(\d{1,13})(?:\.(\d\d?))?")  # 1200, 1200.5, 1200.50: the usual amount cell
AS_IS = {"taxid": TAX_ID_RE.fullmatch}  # a cell of this form is its own value (a tax id as the template has it)
REQUIRED = "必填，不能为空"
BLANK = {"", None}
_BAD = object()  # a cell that did not parse (its problem is recorded)


@dataclass
class _Step:
    """How one column is read: its parser, what an empty cell stores, and its fast pass."""
    name: str
    header: str
    required: bool
    parser: Any
    column: Column
    empty: Any
    memo: dict | None
    fast: str  # text | memo | money | "" (cell by cell)


def _step(column: Column) -> _Step:
    empty = column.default if column.default is not None or column.null else EMPTY.get(column.type)
    parser = PARSERS[column.type]
    memo = {} if column.type in MEMO_TYPES else None
    fast = ("text" if parser is parse_text else "money" if parser is parse_money else "as_is" if column.type in AS_IS
            else "memo" if memo is not None else "")
    return _Step(column.field, column.header, column.required, parser, column, empty, memo, fast)


class BatchParser:
    """``parser(fields, rows, lookups)`` -> [(values, problems)] per row. ``fields`` name the columns present (a
    file's header); each row holds their cells in that order. A column left out stores nothing (its field is left
    alone), unless it is required. Make one per import: it remembers parsed cells."""

    def __init__(self, spec: RecordSpec) -> None:
        self.steps = [_step(column) for column in spec.columns]
        self.check = spec.check

    def __call__(self, fields: tuple[str, ...], rows: list, lookups) -> list[tuple[dict | None, list]]:
        count = len(rows)
        problems: dict[int, list] = {}
        by_field = dict(zip(fields, zip(*rows))) if count else {}
        names, columns = [], []
        for step in self.steps:
            cells = by_field.get(step.name)
            if cells is None:
                if step.required:
                    for position in range(count):
                        problems.setdefault(position, []).append((step.header, REQUIRED))
                continue
            names.append(step.name)
            columns.append(self._column(step, cells, lookups, problems))
        check = self.check
        if not problems and not check:  # the usual batch of a type without a cross-field check
            return [(dict(zip(names, row)), []) for row in (zip(*columns) if columns else [()] * count)]
        parsed = []
        for position, row in enumerate(zip(*columns) if columns else [()] * count):
            if position in problems:
                parsed.append(({n: v for n, v in zip(names, row) if v is not _BAD}, problems[position]))
                continue
            values = dict(zip(names, row))
            found = check(values, lookups) if check else None
            parsed.append((values, found or []))
        return parsed

    def _column(self, step: _Step, cells: tuple, lookups, problems: dict) -> list:
        """The column's values; a cell the fast pass cannot take is parsed on its own (None marks it)."""
        out = None
        try:
            if step.fast == "text":
                out = [cell.strip() for cell in cells]
                if max(map(len, out), default=0) > step.column.max_len or (
                        (step.required or step.empty != "") and "" in out):
                    out = None  # too long, or an empty cell that is not simply ''
            elif step.fast == "memo":
                out = list(map(step.memo.get, cells))
            elif step.fast == "as_is":
                match = AS_IS[step.column.type]
                out = [cell if match(cell) else None for cell in cells]
            elif step.fast == "money":
                out = [_fen(match) if (match := PLAIN_FEN.fullmatch(cell)) else None for cell in cells]
        except (AttributeError, TypeError):  # a cell that is not text (a spreadsheet's number, date or empty cell)
            out = None
        if out is None:
            out = [None] * len(cells)
        elif None not in out:
            return out
        if not step.required and _all_blank(cells):  # a column nobody filled in
            return [step.empty] * len(cells)
        for position, value in enumerate(out):
            if value is None:
                out[position] = self._cell(step, cells[position], position, lookups, problems)
        return out

    @staticmethod
    def _cell(step: _Step, raw: Any, position: int, lookups, problems: dict) -> Any:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if step.required:
                problems.setdefault(position, []).append((step.header, REQUIRED))
                return _BAD
            if step.memo is not None and raw is not None and step.empty is not None:
                step.memo[raw] = step.empty  # a column left empty row after row takes the fast pass
            return step.empty
        try:
            value = step.parser(step.column, raw, lookups)
        except CellError as exc:
            problems.setdefault(position, []).append((step.header, str(exc)))
            return _BAD
        if step.memo is not None and raw.__class__ is str and len(step.memo) < MEMO_SIZE:
            step.memo[raw] = value
        return value


def _all_blank(cells: tuple) -> bool:
    try:
        return set(cells) <= BLANK
    except TypeError:  # an unhashable value (an API item's list)
        return False


def _fen(match: re.Match) -> int:
    whole, cents = match.groups()
    return int(whole) * 100 + (int(cents) * (10 if len(cents) == 1 else 1) if cents else 0)


def parse_row(spec: RecordSpec, cells: dict[str, Any], lookups) -> tuple[dict, list[tuple[str, str]]]:
    """(values by field, [(header, problem)]) for one row's cells keyed by field (a form, an API item): a field
    missing from ``cells`` is left alone, an empty one is cleared."""
    return BatchParser(spec)(tuple(cells), [tuple(cells.values())], lookups)[0]
