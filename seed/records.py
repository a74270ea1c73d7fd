"""The demo's records go in through the import (X10): each step fills a template's rows in memory and imports
them, so every `make demo` exercises the parsing, the checks and the upsert that staff's files go through."""
from handlers.records.importer import import_table
from handlers.records.kinds import spec_for
from handlers.records.reader import MemoryTable
from handlers.records.template import header_text


def yuan_text(fen: int) -> str:
    """Fen as the yuan text a spreadsheet holds: 123456 -> '1234.56'."""
    return f"{fen // 100}.{fen % 100:02d}"


def import_records(kind: str, records: list[dict]) -> None:
    """Import ``records`` (template header -> cell) of ``kind``; a demo row the import refuses is a bug here."""
    spec = spec_for(kind)
    header = [header_text(c) for c in spec.columns]
    rows = [[record.get(c.header, "") for c in spec.columns] for record in records]
    outcome = import_table(spec, MemoryTable(header, rows))
    if not outcome.ok:
        problems = "; ".join(f"{e.row}/{e.column}: {e.message}" for e in outcome.errors[:5])
        raise RuntimeError(f"demo {kind} import refused: {problems}")
