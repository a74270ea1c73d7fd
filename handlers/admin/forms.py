"""Console forms from the record specs of the imports (handlers/records): a spec's columns become form fields, and
a posted form is parsed through the same Column parsers, so a date, an amount (元 → 分), a choice or a member of
staff means the same in a form as in an import (one rule, one function). Also the one wording of a refused delete.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import models
from bot import keys
from bot.money import format_fen
from handlers.admin.kit import FormErrors
from handlers.admin.shell import done
from handlers.invoices.rules import rate_text
from handlers.records.lookups import Lookups
from handlers.records.parsing import parse_row
from handlers.records.spec import CellError, RecordSpec

INPUT_TYPES = {"date": "date", "int": "number"}


@dataclass(frozen=True)
class FormField:
    """One field of a form as the template draws it."""
    name: str
    label: str
    kind: str  # text | textarea | date | select | checkbox | number
    required: bool = False
    hint: str = ""
    max_len: int = 64
    options: tuple = ()  # ((value, label), ...) for selects


class FormLookups(Lookups):
    """The import's references, plus what a form's selects post: a member of staff or a contract by its id."""

    def __init__(self, staff_ids: Iterable[int] = (), contract_ids: dict[int, int] | None = None) -> None:
        super().__init__()
        self._staff_ids = set(staff_ids)
        self._contract_ids = contract_ids or {}

    def staff(self, text: str) -> int:
        if text.isdigit() and int(text) in self._staff_ids:
            return int(text)
        return super().staff(text)

    def contract(self, text: str) -> tuple[int, int]:
        if text.isdigit() and int(text) in self._contract_ids:
            return int(text), self._contract_ids[int(text)]
        return super().contract(text)

    def contract_client(self, contract_id: int) -> int:
        if contract_id in self._contract_ids:
            return self._contract_ids[contract_id]
        return super().contract_client(contract_id)


def staff_options() -> tuple:
    """Active members of staff for a select (id, name), by name."""
    return tuple((str(i), n) for i, n in models.Staff.select(models.Staff.id, models.Staff.name)
                 .where(models.Staff.active == True).order_by(models.Staff.name).tuples())  # noqa: E712


def fields_of(spec: RecordSpec, names: Iterable[str], options: dict[str, tuple] | None = None,
              textareas: Iterable[str] = ()) -> list[FormField]:
    """The form fields for ``names`` (in that order) of ``spec``; ``options`` fills selects of references."""
    options, found = options or {}, []
    for name in names:
        column = spec.column(name)
        hint = column.help or (f"例如 {column.example}" if column.example and column.type in ("text", "money", "tags")
                               else "")
        kind = ("textarea" if name in textareas else "checkbox" if column.type == "bool"
                else "select" if column.type == "enum" or name in options else INPUT_TYPES.get(column.type, "text"))
        choices = options.get(name) or tuple((str(k), v) for k, v in (column.choices or {}).items())
        found.append(FormField(name, column.header, kind, column.required, hint, column.max_len, choices))
    return found


def form_text(spec: RecordSpec, stored: dict[str, Any]) -> dict[str, str]:
    """A stored record's values as a form shows them (the inverse of parsing): 元 for fen, ISO dates, ids."""
    shown = {}
    for column in spec.columns:
        value = stored.get(column.field)
        if value is None:
            shown[column.field] = ""
        elif column.type == "money":
            shown[column.field] = format_fen(value, "").replace(",", "")
        elif column.type == "tags":
            shown[column.field] = "、".join(value)
        elif column.type == "bool":
            shown[column.field] = "1" if value else ""
        elif column.type == "rate":
            shown[column.field] = rate_text(value)
        elif isinstance(value, models.Model):
            shown[column.field] = str(value.get_id())
        elif isinstance(value, (dt.date, dt.datetime)):
            shown[column.field] = value.isoformat()
        else:
            shown[column.field] = str(value)
    return shown


def parse_form(spec: RecordSpec, form, names: Iterable[str], lookups: Lookups,
               fixed: dict | None = None) -> tuple[dict, FormErrors]:
    """(values by field, errors by field) for the posted ``names`` through the spec's parsers and checks;
    ``fixed`` are values the page decides (the client of the page), parsed as given."""
    names = list(names)
    cells = {name: str(form.get(name, "")).strip() for name in names}
    values, problems = parse_row(_part(spec, names), cells, lookups)
    values.update(fixed or {})
    if not problems and spec.check:
        try:
            problems = spec.check(values, lookups)
        except CellError as exc:
            problems = [(spec.columns[0].header, str(exc))]
    by_header = {c.header: c.field for c in spec.columns}
    errors = FormErrors()
    for header, problem in problems:
        errors.setdefault(by_header.get(header, "_"), problem)
    return values, errors


def _part(spec: RecordSpec, names: list[str]) -> RecordSpec:
    """The spec with only the form's columns and no cross-field check (parse_form runs it with fixed values)."""
    return RecordSpec(kind=spec.kind, title=spec.title, model=spec.model, key=spec.key,
                      columns=tuple(spec.column(name) for name in names))


def in_use(what: str, uses: list[tuple[str, str, int]]) -> str | None:
    """The reason a delete is refused, naming each kind of record still using it and how many; None if unused.
    ``uses`` is [(label, measure word, count)], e.g. ("应收", "笔", 3)."""
    named = [f"{label} {count} {unit}" for label, unit, count in uses if count]
    if not named:
        return None
    return f"{what}还有{'、'.join(named)}，不能删除。请先删除或转移这些记录。"


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that differ, for the audit log's before/after."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def plain(values: dict) -> dict:
    """Values as JSON can hold them (dates as ISO text), for the audit log."""
    return {k: v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v for k, v in values.items()}


async def submit(request, me, page: Callable, save: Callable, client_id, record_id, *extra,
                 not_found: Callable[[], Any], saved: Callable[[Any], tuple[str, str]]):
    """The POST of a record's form, for every record page: ``save(me, client_id, record_id, form, *extra)`` runs in
    one transaction and answers (record, errors); errors show the form again with what was typed (400), a missing
    client or record is ``not_found()``, else back to ``saved(record)`` = (location, message)."""
    form = await request.post()
    record, errors = await request.app[keys.DB].atomic(save, me, client_id, record_id, form, *extra)
    if errors and not errors.get("404"):
        values = {k: str(v) for k, v in form.items() if k != "_csrf"}
        return await page(request, me, client_id, record_id, values, errors, status=400)
    if record is None:
        return not_found()
    return done(*saved(record))
