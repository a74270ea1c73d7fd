"""All or nothing per file: read every row, parse and check it (types, required cells, references, duplicates,
conflicts with what is stored) and only when no row has a problem write them all in one transaction, in batches.

The file is streamed once and every cell parsed once: the check pass spools its parsed batches to a temporary
file, which the write pass reads back (planning each batch again against the stored rows, inside the transaction,
and confirming the references still exist). Memory stays flat in the file's size: only a 64-bit hash of each row's
natural key is kept (12 bytes a row), to report a key that appears twice. A dry run is the check pass alone: it
counts what would be created, updated or left unchanged.
"""
from __future__ import annotations

import datetime as dt
import pickle
import tempfile
from array import array
from dataclasses import dataclass, field
from typing import Any, Callable
from zoneinfo import ZoneInfo

import models
from bot.router import UserError
from handlers.records.lookups import Lookups
from handlers.records.reader import FileError, Table
from handlers.records.spec import RecordSpec, clean, is_blank, row_parser
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
    """``rows(outcome)`` yields (row number, cells by field). The check pass parses them once and spools the parsed
    batches to a temporary file; the write pass reads that back instead of parsing the file again."""
    writer = spec.writer or ModelWriter()
    checked = Outcome(spec.kind, dry_run=dry_run)
    with _Spool(enabled=not dry_run) as spool:
        try:
            _check(spec, rows(checked), writer, checked, context, spool, progress)
        except FileError as exc:
            checked.add(0, "", str(exc))
        if not checked.ok or dry_run:
            return checked
        written = Outcome(spec.kind, rows=[] if keep_rows else None)
        try:
            with models.db.atomic() as transaction:
                _write(spec, spool, writer, written, context, progress, total=checked.total,
                       sample_keys=dict((number, key) for number, _, key in checked.samples))
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
        if _blank_row(cells):
            continue
        if columns is None:
            columns = _header(spec, cells, number, outcome)
            if columns is None:
                return
            positions = list(columns.items())
            continue
        width = len(cells)
        yield number, {name: cells[i] if i < width else None for i, name in positions}
    if columns is None:
        outcome.add(1, "", "文件中没有表头和数据行（请使用下载的模板）")


def _blank_row(cells: list) -> bool:
    try:
        return not "".join(cells).strip()  # a CSV row: text only
    except TypeError:
        return all(is_blank(cell) for cell in cells)


def _check(spec: RecordSpec, rows, writer, outcome: Outcome, context: Context, spool: "_Spool",
           progress: Progress | None) -> None:
    """Parse and check every row (types, references, duplicates, conflicts with stored rows); spool the good ones."""
    lookups, parse, seen = Lookups(), row_parser(spec), _Seen()
    key_fields, key_header = spec.key, spec.column(spec.key[-1]).header
    plain_key = not any(spec.column(name).type == "tags" for name in key_fields)  # no list to make hashable
    batch, raws = [], []

    def flush() -> None:
        spool.add(batch)  # before plan(): a writer may add its own entries to the values
        _flush(spec, writer, batch, lambda position: _key(spec, raws[position]), outcome, lookups, context,
               write=False)

    for number, raw in rows:
        outcome.total += 1
        values, problems = parse(raw, lookups)
        if problems:
            for header, message in problems:
                outcome.add(number, header, message)
            continue
        key = tuple([values.get(name) for name in key_fields]) if plain_key \
            else tuple(_hashable(values.get(name)) for name in key_fields)
        first = seen.first(hash(key), number)
        if first != number:
            outcome.add(number, key_header, f"与第 {first} 行重复（{_key(spec, raw)}）")
            continue
        batch.append((number, values))
        raws.append(raw)
        if len(batch) >= BATCH:
            flush()
            batch, raws = [], []
            if progress:
                progress("校验", outcome.total, 0)
    if batch:
        flush()
    if progress:
        progress("校验", outcome.total, 0)


def _write(spec: RecordSpec, spool: "_Spool", writer, outcome: Outcome, context: Context,
           progress: Progress | None, *, total: int, sample_keys: dict[int, str]) -> None:
    """Write the checked batches: stored rows are planned again (inside the transaction) and the references the
    check pass resolved are confirmed to still exist."""
    lookups, references = Lookups(), _References(spec)

    def key_of(batch):
        return lambda position: sample_keys.get(batch[position][0]) or " / ".join(
            str(batch[position][1].get(name, "")) for name in spec.key)

    for batch in spool:
        outcome.total += len(batch)
        references.confirm(batch, outcome)
        _flush(spec, writer, batch, key_of(batch), outcome, lookups, context, write=True)
        if progress:
            progress("写入", outcome.total, total)


def _key(spec: RecordSpec, raw: dict) -> str:
    """A row's natural key as written, for messages."""
    return " / ".join(clean(raw.get(name)) for name in spec.key)


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


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


class _Seen:
    """The natural keys met so far, to report a row whose key an earlier row has: each key's 64-bit hash and the
    first row with it, in an open-addressing table of two flat arrays kept at most half full — 12 bytes a slot,
    about 25 MB at 1,000,000 rows, where a dict of int objects took about 120 MB."""

    def __init__(self) -> None:
        self._allocate(1 << 12)

    def _allocate(self, size: int) -> None:
        self.mask, self.count = size - 1, 0
        self.digests, self.rows = array("q", bytes(8 * size)), array("i", bytes(4 * size))

    def first(self, digest: int, row: int) -> int:
        """The first row with ``digest``; ``row`` itself (now remembered) when it is the first."""
        digest = digest or 1  # 0 marks an empty slot
        digests, mask = self.digests, self.mask
        slot = digest & mask
        while True:
            found = digests[slot]
            if found == 0:
                break
            if found == digest:
                return self.rows[slot]
            slot = (slot + 1) & mask
        digests[slot], self.rows[slot] = digest, row
        self.count += 1
        if self.count * 2 > mask:
            self._grow()
        return row

    def _grow(self) -> None:
        digests, rows = self.digests, self.rows
        self._allocate(2 * len(digests))
        for digest, row in zip(digests, rows):
            if digest:
                self.first(digest, row)


class _Spool:
    """The check pass's parsed batches, pickled to an anonymous temporary file (so memory stays flat in the file's
    size) and read back, in order, by the write pass."""

    def __init__(self, enabled: bool = True) -> None:
        self.file = tempfile.TemporaryFile(prefix="zf-import-") if enabled else None

    def add(self, batch: list) -> None:
        if self.file is not None:
            pickle.dump(batch, self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def __iter__(self):
        self.file.flush()
        self.file.seek(0)
        while True:
            try:
                yield pickle.load(self.file)
            except EOFError:
                return

    def __enter__(self) -> "_Spool":
        return self

    def __exit__(self, *exc) -> None:
        if self.file is not None:
            self.file.close()


REFERENCES = {"client": models.Client, "staff": models.Staff, "contract": models.Contract, "invoice": models.Invoice}


class _References:
    """The write pass takes the check pass's resolved references (ids) as they are; one query a batch per reference
    column confirms they still exist, so a record deleted between the passes is reported at its row and column."""

    def __init__(self, spec: RecordSpec) -> None:
        self.columns = [(c.field, c.header, REFERENCES[c.type]) for c in spec.columns if c.type in REFERENCES]

    def confirm(self, batch: list, outcome: Outcome) -> None:
        for name, header, model in self.columns:
            ids = list({values[name] for _, values in batch if values.get(name) is not None})
            if not ids:
                continue
            meta = model._meta
            marks = ", ".join([meta.database.param] * len(ids))
            found = {row_id for (row_id,) in meta.database.execute_sql(
                f'SELECT "{meta.primary_key.column_name}" FROM "{meta.table_name}" WHERE '
                f'"{meta.primary_key.column_name}" IN ({marks})', ids)}
            for number, values in batch:
                if values.get(name) is not None and values[name] not in found:
                    outcome.add(number, header, "引用的记录在校验之后被删除了，请重新导入")


def _flush(spec, writer, batch, key_of: Callable[[int], str], outcome: Outcome, lookups, context: Context,
           write: bool) -> None:
    if not batch:
        return
    actions = writer.plan(spec, batch, lookups, context)
    for position, ((number, values), action) in enumerate(zip(batch, actions)):
        if isinstance(action, tuple):  # (header, problem): a conflict with stored records
            outcome.add(number, *action)
            continue
        setattr(outcome, action, getattr(outcome, action) + 1)
        if outcome.rows is not None:
            outcome.rows.append((number, action, values))
        if action != "unchanged" and len(outcome.samples) < MAX_SAMPLES:
            outcome.samples.append((number, "新增" if action == "created" else "更新", key_of(position)))
    if write and outcome.ok:
        writer.write(spec, batch, actions, lookups, context)


def upsert(spec: RecordSpec, rows: list[dict], *, dry_run: bool = False, context: Context | None = None) -> Outcome:
    """Rows keyed by field name, with cells as a person typed them ('1,200.50', '2026-10', a client's 税号): the
    same checks, natural-key upsert, all-or-nothing write and audit as a file import. For channels that take
    records one form or one JSON body at a time; row numbers in problems count from 2, as in a file."""
    from handlers.records.reader import MemoryTable
    table = MemoryTable([c.header for c in spec.columns], [[row.get(c.field) for c in spec.columns] for row in rows])
    return import_table(spec, table, dry_run=dry_run, context=context)
