"""All or nothing per file: read every row, parse and check it (types, required cells, references, duplicates,
conflicts with what is stored) and keep what is written only when no row has a problem.

One pass over the file, in batches: a batch is parsed column by column, checked, planned against the stored rows
(natural-key upsert: re-importing a file changes nothing) and written, all inside one transaction. The first
problem rolls the transaction back at once and the rest of the file is only checked, so the report still names
every problem, row and column. A dry run is the same pass without a transaction: it counts what would be created,
updated or left unchanged. Memory stays flat in the file's size: only a 64-bit hash of each row's natural key is
kept (12 bytes a row), to report a key that appears twice.
"""
from __future__ import annotations

import datetime as dt
import logging
from array import array
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Callable
from zoneinfo import ZoneInfo

import peewee

import models
from bot.router import UserError
from handlers.records.lookups import Lookups
from handlers.records.reader import FileError, Table
from handlers.records.parsing import BatchParser
from handlers.records.spec import RecordSpec, clean, is_blank
from handlers.records.writer import ModelWriter

BATCH = 500
MAX_ERRORS = 10_000  # kept for the report; more are counted, not listed
MAX_SAMPLES = 50
log = logging.getLogger(__name__)
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
    """Check every row of ``table`` and, unless it is a dry run, write them in one transaction that is kept only
    if no row has a problem; audit the run. Call with the database bound (a thread's own connection)."""
    context = context or Context()

    def audit_run(written: Outcome) -> None:
        models.audit(context.actor, "records.import", "ImportRun", entity_id=context.run_id,
                     after={"kind": spec.kind, "title": spec.title, "filename": context.filename,
                            **written.counts()})
    return _import(spec, lambda outcome: _table_chunks(spec, table, outcome), dry_run=dry_run, context=context,
                   progress=_Reporter(progress, table.estimate()), audit=audit_run)


def import_rows(spec: RecordSpec, items: list[dict], *, context: Context | None = None,
                audit: Callable[[Outcome], None] | None = None) -> Outcome:
    """The JSON API's entry: ``items`` are dicts keyed by field (a missing key leaves its field alone), numbered
    by their index; checked and written all or nothing like a table's rows. The written outcome lists each row's
    (index, action, values) in ``rows``; ``audit(outcome)`` runs inside the write transaction."""
    def chunks(outcome):
        return ((tuple(item), [number], [tuple(item.values())]) for number, item in enumerate(items))
    return _import(spec, chunks, dry_run=False, context=context or Context(), progress=_Reporter(None, len(items)),
                   audit=audit or (lambda written: None), keep_rows=True)


class _Abandon(Exception):
    """A row has a problem: what was written is rolled back, and the rest of the file is only checked."""


def _import(spec: RecordSpec, chunks: Callable, *, dry_run: bool, context: Context, progress: "_Reporter",
            audit: Callable[[Outcome], None], keep_rows: bool = False) -> Outcome:
    """One pass: each batch is parsed, checked, planned against the stored rows and written, inside one
    transaction (BEGIN IMMEDIATE on SQLite, so the references read stay true until the commit). The first problem
    rolls the transaction back and releases the database; the rest of the file is still checked, so the report
    names every problem. A dry run is the same pass without the transaction."""
    writer, lookups = spec.writer or ModelWriter(), Lookups()
    outcome = Outcome(spec.kind, dry_run=dry_run, rows=[] if keep_rows else None)
    batches = _checked(spec, chunks(outcome), outcome, lookups)
    if not dry_run:
        try:
            with models.db.atomic():
                for batch, key_of in batches:
                    _flush(spec, writer, batch, key_of, outcome, lookups, context, write=True)
                    if not outcome.ok:
                        raise _Abandon
                    progress("导入", outcome.total)
                audit(outcome)
                progress("导入", outcome.total, final=True)
                return outcome
        except _Abandon:
            pass
        except (FileError, UserError) as exc:
            outcome.add(0, "", str(exc))
        except peewee.IntegrityError:
            log.warning("import of %s refused by the database", spec.kind, exc_info=True)
            outcome.add(0, "", "数据库拒绝了写入（可能有人同时修改或删除了相关记录），未写入任何数据，请重新导入")
    try:
        for batch, key_of in batches:  # a dry run, or the rest of a file with problems: checked, never written
            _flush(spec, writer, batch, key_of, outcome, lookups, context, write=False)
            progress("校验", outcome.total)
    except FileError as exc:
        outcome.add(0, "", str(exc))
    progress("校验", outcome.total, final=True)
    return outcome if outcome.ok else _failed(outcome)


class _Reporter:
    """Progress as (phase, rows done, rows in all): the total is the table's estimate until the last call."""

    def __init__(self, progress: Progress | None, estimate: int) -> None:
        self.progress, self.estimate = progress, estimate

    def __call__(self, phase: str, done: int, final: bool = False) -> None:
        if self.progress:
            self.progress(phase, done, done if final else max(self.estimate, done) if self.estimate else 0)


def _failed(outcome: Outcome) -> Outcome:
    outcome.created = outcome.updated = outcome.unchanged = 0
    if outcome.rows is not None:
        outcome.rows.clear()
    return outcome


def _table_chunks(spec: RecordSpec, table: Table, outcome: Outcome):
    """(fields, row numbers, rows of cells in the fields' order) of a table's data rows, about BATCH at a time;
    the first non-blank row is the header, mapped to fields. Blank rows are skipped."""
    fields = None
    for first, chunk in table.chunks(BATCH):
        numbers = range(first, first + len(chunk))
        blank = _blank_rows(chunk)
        if blank:
            numbers, chunk = zip(*[(n, cells) for n, cells, empty in zip(numbers, chunk, blank) if not empty]) \
                if not all(blank) else ((), ())
        if fields is None and chunk:
            columns = _header(spec, chunk[0], numbers[0], outcome)
            if columns == {}:
                outcome.add(numbers[0], "", "表头中没有可识别的列（请使用下载的模板）")
            if not columns:
                return
            fields, width = tuple(columns.values()), max(columns) + 1
            pick = itemgetter(*columns) if len(columns) > 1 else (lambda row, at=next(iter(columns)): (row[at],))
            numbers, chunk = numbers[1:], chunk[1:]
        if not chunk:
            continue
        if min(map(len, chunk)) < width:  # a row shorter than the header: its missing cells are empty
            chunk = [cells if len(cells) >= width else [*cells, *[None] * (width - len(cells))] for cells in chunk]
        yield fields, list(numbers), list(map(pick, chunk))
    if fields is None and outcome.ok:
        outcome.add(1, "", "文件中没有表头和数据行（请使用下载的模板）")


def _blank_rows(chunk: list[list]) -> list[bool] | None:
    """Which rows of the chunk are blank, or None when none is."""
    try:
        blank = [not "".join(cells).strip() for cells in chunk]  # CSV rows: text only
    except TypeError:
        blank = [all(is_blank(cell) for cell in cells) for cells in chunk]
    return blank if any(blank) else None


def _checked(spec: RecordSpec, chunks, outcome: Outcome, lookups):
    """Batches of BATCH parsed rows without problems and without a key an earlier row has, each with a function
    giving a row's key as written (for messages); the problems go to ``outcome`` as they are found."""
    parse, seen = BatchParser(spec), _Seen()
    key_header = spec.column(spec.key[-1]).header
    key_of_values = _key_function(spec)
    batch, texts = [], []

    def key_of(batch_texts):
        return lambda position: _key_text(*batch_texts[position])

    for fields, numbers, rows in chunks:
        at = [fields.index(name) for name in spec.key if name in fields]
        parsed = parse(fields, rows, lookups)
        outcome.total += len(parsed)
        firsts = seen.firsts([hash(key_of_values(values)) if not problems else None for values, problems in parsed],
                             numbers)
        if firsts == numbers and not any([problems for _, problems in parsed]):  # every row new and without problems
            batch.extend([(number, values) for number, (values, _) in zip(numbers, parsed)])
            texts.extend([(row, at) for row in rows])
            parsed = ()
        for number, row, (values, problems), first in zip(numbers, rows, parsed, firsts):
            if problems:
                for header, message in problems:
                    outcome.add(number, header, message)
            elif first != number:
                outcome.add(number, key_header, f"与第 {first} 行重复（{_key_text(row, at)}）")
            else:
                batch.append((number, values))
                texts.append((row, at))
        while len(batch) >= BATCH:  # at most BATCH rows a write (the plan's query has a term per row)
            yield batch[:BATCH], key_of(texts[:BATCH])
            batch, texts = batch[BATCH:], texts[BATCH:]
    if batch:
        yield batch, key_of(texts)


def _key_function(spec: RecordSpec) -> Callable[[dict], Any]:
    """A row's natural key as a hashable value."""
    names = spec.key
    if any(spec.column(name).type == "tags" for name in names):  # a list: made hashable
        return lambda values: tuple(_hashable(values.get(name)) for name in names)
    pick = itemgetter(*names)

    def key(values: dict):
        try:
            return pick(values)
        except KeyError:  # a key field the row leaves out (an API item)
            return tuple([values.get(name) for name in names])
    return key


def _key_text(row: tuple, at: list[int]) -> str:
    """A row's natural key as written, for messages."""
    return " / ".join(clean(row[i]) for i in at)


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

    def firsts(self, digests: list[int], rows: list[int]) -> list[int]:
        """``first()`` of each (digest, row) in order; a digest of None (a row with problems) is skipped."""
        first, out = self.first, []
        for digest, row in zip(digests, rows):
            out.append(row if digest is None else first(digest, row))
        return out

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


def _flush(spec, writer, batch, key_of: Callable[[int], str], outcome: Outcome, lookups, context: Context,
           write: bool) -> None:
    actions = writer.plan(spec, batch, lookups, context)
    if outcome.rows is None and len(outcome.samples) >= MAX_SAMPLES and actions.count("created") == len(actions):
        outcome.created += len(actions)  # only new rows, and the samples are taken: counted without a walk
    else:
        _tally(batch, actions, key_of, outcome)
    if write and outcome.ok:
        writer.write(spec, batch, actions, lookups, context)


def _tally(batch, actions: list, key_of: Callable[[int], str], outcome: Outcome) -> None:
    """Count each row's action, keep the first samples (and every row for the API), report conflicts."""
    for position, ((number, values), action) in enumerate(zip(batch, actions)):
        if isinstance(action, tuple):  # (header, problem): a conflict with stored records
            outcome.add(number, *action)
            continue
        setattr(outcome, action, getattr(outcome, action) + 1)
        if outcome.rows is not None:
            outcome.rows.append((number, action, values))
        if action != "unchanged" and len(outcome.samples) < MAX_SAMPLES:
            outcome.samples.append((number, "新增" if action == "created" else "更新", key_of(position)))


def upsert(spec: RecordSpec, rows: list[dict], *, dry_run: bool = False, context: Context | None = None) -> Outcome:
    """Rows keyed by field name, with cells as a person typed them ('1,200.50', '2026-10', a client's 税号): the
    same checks, natural-key upsert, all-or-nothing write and audit as a file import. For channels that take
    records one form or one JSON body at a time; row numbers in problems count from 2, as in a file."""
    from handlers.records.reader import MemoryTable
    table = MemoryTable([c.header for c in spec.columns], [[row.get(c.field) for c in spec.columns] for row in rows])
    return import_table(spec, table, dry_run=dry_run, context=context)
