"""All or nothing per file: read every row, parse and check it (types, required cells, references, duplicates,
conflicts with what is stored) and only when no row has a problem write them all in one transaction, in batches.

The file is streamed twice (check, then write) so memory stays flat in its size; only a 64-bit hash of each
row's natural key is kept, to report a key that appears twice. A dry run is the check pass alone: it counts
what would be created, updated or left unchanged.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable
from zoneinfo import ZoneInfo

import models
from bot.router import UserError
from handlers.records.lookups import Lookups
from handlers.records.reader import FileError, Table
from handlers.records.spec import RecordSpec, clean, is_blank, parse_row
from handlers.records.writer import ModelWriter

BATCH = 500
MAX_ERRORS = 10_000  # kept for the report; more are counted, not listed
MAX_SAMPLES = 50
Progress = Callable[[str, int, int], None]  # (phase, rows done, rows in all or 0 while unknown)


@dataclass
class Problem:
    row: int
    column: str
    message: str


@dataclass
class Outcome:
    """What an import found or did."""
    kind: str
    dry_run: bool = False
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[Problem] = field(default_factory=list)
    error_count: int = 0
    samples: list[tuple[int, str, str]] = field(default_factory=list)  # (row, 新增/更新, key) of the first rows
    rows: list | None = None  # [(row, action, values)] of every row, kept only for import_rows (the API)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(Problem(row, column, message))

    def counts(self) -> dict:
        return {"total": self.total, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "errors": self.error_count}


@dataclass
class Context:
    """Who imports, and the agency's clock and zone (payments date their receipts with them)."""
    actor: Any = None  # a Staff, or None for the command line and the seed
    tz: dt.tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    filename: str = ""
    run_id: int | None = None


def import_table(spec: RecordSpec, table: Table, *, dry_run: bool = False, context: Context | None = None,
                 progress: Progress | None = None) -> Outcome:
    """Check every row of ``table``; unless it is a dry run or a row has a problem, write them all (one
    transaction) and audit the run. Call with the database bound (a thread's own connection)."""
    context = context or Context()

    def audit_run(written: Outcome) -> None:
        models.audit(context.actor, "records.import", "ImportRun", entity_id=context.run_id,
                     after={"kind": spec.kind, "title": spec.title, "filename": context.filename,
                            **written.counts()})
    return _check_then_write(spec, lambda outcome: _table_rows(spec, table, outcome), dry_run=dry_run,
                             context=context, progress=progress, audit=audit_run)


def import_rows(spec: RecordSpec, items: list[dict], *, context: Context | None = None,
                audit: Callable[[Outcome], None] | None = None) -> Outcome:
    """The JSON API's entry: ``items`` are dicts keyed by field (a missing key leaves its field alone), numbered
    by their index; checked and written all or nothing like a table's rows. The written outcome lists each row's
    (index, action, values) in ``rows``; ``audit(outcome)`` runs inside the write transaction."""
    return _check_then_write(spec, lambda outcome: enumerate(items), dry_run=False, context=context or Context(),
                             progress=None, audit=audit or (lambda written: None), keep_rows=True)


def _check_then_write(spec: RecordSpec, rows: Callable, *, dry_run: bool, context: Context,
                      progress: Progress | None, audit: Callable[[Outcome], None], keep_rows: bool = False) -> Outcome:
    """``rows(outcome)`` yields (row number, cells by field) each time it is called: once to check, once to write."""
    writer = spec.writer or ModelWriter()
    checked = Outcome(spec.kind, dry_run=dry_run)
    try:
        _pass(spec, rows(checked), writer, checked, context, write=False, progress=progress)
    except FileError as exc:
        checked.add(0, "", str(exc))
    if not checked.ok or dry_run:
        return checked
    written = Outcome(spec.kind, rows=[] if keep_rows else None)
    try:
        with models.db.atomic() as transaction:
            _pass(spec, rows(written), writer, written, context, write=True, progress=progress,
                  total=checked.total)
            if not written.ok:  # the data changed between the passes (or a write refused): keep nothing
                transaction.rollback()
                return _failed(written)
            audit(written)
    except (FileError, UserError) as exc:
        written.add(0, "", str(exc))
        return _failed(written)
    return written


def _failed(outcome: Outcome) -> Outcome:
    outcome.created = outcome.updated = outcome.unchanged = 0
    return outcome


def _table_rows(spec: RecordSpec, table: Table, outcome: Outcome):
    """(row number, cells by field) of a table's data rows, the header row first mapped to fields."""
    columns = None
    for number, cells in table.rows():
        if all(is_blank(cell) for cell in cells):
            continue
        if columns is None:
            columns = _header(spec, cells, number, outcome)
            if columns is None:
                return
            continue
        yield number, {name: cells[i] if i < len(cells) else None for i, name in columns.items()}
    if columns is None:
        outcome.add(1, "", "文件中没有表头和数据行（请使用下载的模板）")


def _pass(spec: RecordSpec, rows, writer, outcome: Outcome, context: Context, *, write: bool,
          progress: Progress | None, total: int = 0) -> None:
    lookups = Lookups()
    seen, batch, keys = {}, [], []
    phase = "写入" if write else "校验"
    for number, raw in rows:
        outcome.total += 1
        values, problems = parse_row(spec, raw, lookups)
        for header, message in problems:
            outcome.add(number, header, message)
        key = " / ".join(clean(raw.get(name)) for name in spec.key)
        if problems or not _unique(spec, values, number, key, seen, outcome):
            continue
        batch.append((number, values))
        keys.append(key)
        if len(batch) >= BATCH:
            _flush(spec, writer, batch, keys, outcome, lookups, context, write)
            batch, keys = [], []
            if progress:
                progress(phase, outcome.total, total)
    _flush(spec, writer, batch, keys, outcome, lookups, context, write)
    if progress:
        progress(phase, outcome.total, total)


def _header(spec: RecordSpec, cells: list, number: int, outcome: Outcome) -> dict[int, str] | None:
    """Column position -> field, by header text ('*' marks a required column in the template)."""
    by_header = {c.header: c.field for c in spec.columns}
    found = {}
    for position, cell in enumerate(cells):
        name = clean(cell).rstrip("*").strip()
        if name in by_header:
            found[position] = by_header[name]
    missing = [c.header for c in spec.columns if c.required and c.field not in found.values()]
    for header in missing:
        outcome.add(number, header, "缺少必填列（表头应与模板一致）")
    return None if missing else found


def _unique(spec: RecordSpec, values: dict, number: int, key: str, seen: dict, outcome: Outcome) -> bool:
    digest = hash(tuple(_hashable(values.get(name)) for name in spec.key))
    first = seen.setdefault(digest, number)
    if first != number:
        outcome.add(number, spec.column(spec.key[-1]).header, f"与第 {first} 行重复（{key}）")
        return False
    return True


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _flush(spec, writer, batch, keys, outcome: Outcome, lookups, context: Context, write: bool) -> None:
    if not batch:
        return
    actions = writer.plan(spec, batch, lookups, context)
    for (number, values), key, action in zip(batch, keys, actions):
        if isinstance(action, tuple):  # (header, problem): a conflict with stored records
            outcome.add(number, *action)
            continue
        setattr(outcome, action, getattr(outcome, action) + 1)
        if outcome.rows is not None:
            outcome.rows.append((number, action, values))
        if action != "unchanged" and len(outcome.samples) < MAX_SAMPLES:
            outcome.samples.append((number, "新增" if action == "created" else "更新", key))
    if write and outcome.ok:
        writer.write(spec, batch, actions, lookups, context)


def upsert(spec: RecordSpec, rows: list[dict], *, dry_run: bool = False, context: Context | None = None) -> Outcome:
    """Rows keyed by field name, with cells as a person typed them ('1,200.50', '2026-10', a client's 税号): the
    same checks, natural-key upsert, all-or-nothing write and audit as a file import. For channels that take
    records one form or one JSON body at a time; row numbers in problems count from 2, as in a file."""
    from handlers.records.reader import MemoryTable
    table = MemoryTable([c.header for c in spec.columns], [[row.get(c.field) for c in spec.columns] for row in rows])
    return import_table(spec, table, dry_run=dry_run, context=context)
