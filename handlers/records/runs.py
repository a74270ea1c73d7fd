"""Import runs (ImportRun rows): start one, run the import on a stored file with progress, record the outcome.
The console and the command line both go through here, so both leave the same trace (run row and audit)."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import models
from handlers.records.importer import Context, Outcome, import_table
from handlers.records.kinds import spec_for
from handlers.records.reader import FileError, open_table

RUN_PREFIX = "records:"  # ImportRun.kind of a record import, e.g. 'records:clients'
STALE_FILE_SECONDS = 86_400
MAX_STORED_ERRORS = 10_000

# Progress of runs in flight in this process: run id -> (phase, rows done, rows in all). The import writes
# inside one transaction, so progress written to the run row would stay invisible until the end.
_progress: dict[int, tuple[str, int, int]] = {}
_lock = threading.Lock()


def progress_of(run_id: int) -> tuple[str, int, int] | None:
    with _lock:
        return _progress.get(run_id)


def start(kind: str, filename: str, dry_run: bool, staff_id: int | None, now) -> models.ImportRun:
    return models.ImportRun.create(kind=RUN_PREFIX + kind, filename=filename[:255], dry_run=dry_run,
                                   created_by=staff_id, created_at=now, phase="排队")


def execute(run_id: int, path: Path, tz, clock, on_progress=None) -> Outcome:
    """Run the import of ``run_id`` from ``path`` (on this thread's connection) and record its outcome."""
    run = models.ImportRun.get_by_id(run_id)
    spec = spec_for(run.kind.removeprefix(RUN_PREFIX))
    actor = models.Staff.get_or_none(models.Staff.id == run.created_by_id) if run.created_by_id else None

    def report(phase: str, done: int, total: int) -> None:
        with _lock:
            _progress[run_id] = (phase, done, total)
        if on_progress:
            on_progress(phase, done, total)

    try:
        table = open_table(path, run.filename, prefer_sheet=spec.title)
        outcome = import_table(spec, table, dry_run=run.dry_run, progress=report,
                               context=Context(actor=actor, tz=tz, filename=run.filename, run_id=run_id))
    except FileError as exc:
        outcome = Outcome(spec.kind, dry_run=run.dry_run)
        outcome.add(0, "", str(exc))
    finally:
        with _lock:
            _progress.pop(run_id, None)
    finish(run_id, outcome, clock())
    return outcome


def finish(run_id: int, outcome: Outcome, now) -> None:
    errors = [{"row": e.row, "column": e.column, "message": e.message} for e in outcome.errors[:MAX_STORED_ERRORS]]
    counts = {**outcome.counts(), "samples": outcome.samples}
    (models.ImportRun.update(state="done" if outcome.ok else "failed", total=outcome.total,
                             succeeded=0 if not outcome.ok else outcome.created + outcome.updated + outcome.unchanged,
                             failed=outcome.error_count, report=errors, counts=counts, phase="",
                             done=outcome.total, finished_at=now)
     .where(models.ImportRun.id == run_id).execute())


def fail(run_id: int, message: str, now) -> None:
    """An unexpected error ended the run: say so on the run (the log has the traceback)."""
    (models.ImportRun.update(state="failed", report=[{"row": 0, "column": "", "message": message}],
                             counts={"errors": 1}, failed=1, phase="", finished_at=now)
     .where(models.ImportRun.id == run_id).execute())


def sweep_files(directory: Path) -> None:
    """Stored uploads older than a day (dry runs nobody confirmed) are deleted."""
    if not directory.is_dir():
        return
    cutoff = time.time() - STALE_FILE_SECONDS
    for path in directory.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
