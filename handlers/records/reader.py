"""Rows of an uploaded spreadsheet, streamed: XLSX through openpyxl's read-only mode, CSV as UTF-8 (with or without
a BOM) or GBK/GB18030 as Chinese Excel saves it, a row at a time or a chunk of rows at a time (the import), never
holding the whole file in memory."""
from __future__ import annotations

import codecs
import csv
import io
import zipfile
from itertools import islice
from pathlib import Path
from typing import Iterator

SAMPLE = 1 << 16
DESCRIPTION_SHEET = "说明"


class FileError(Exception):
    """The file as a whole cannot be read; the message is shown to staff."""


class Table:
    """A file's first data sheet: ``rows()`` yields (row number, cells) from the top, every time it is called."""

    def rows(self) -> Iterator[tuple[int, list]]:
        raise NotImplementedError

    def chunks(self, size: int) -> Iterator[tuple[int, list[list]]]:
        """(number of the chunk's first row, up to ``size`` rows of cells), from the top."""
        rows = self.rows()
        while chunk := list(islice(rows, size)):
            yield chunk[0][0], [cells for _, cells in chunk]

    def estimate(self) -> int:
        """About how many data rows there are (for progress; 0 when unknown)."""
        return 0


class CsvTable(Table):
    def __init__(self, path: Path):
        self.path = path
        self.encoding = detect_encoding(path)

    def rows(self) -> Iterator[tuple[int, list]]:
        for first, chunk in self.chunks(1):
            yield first, chunk[0]

    def chunks(self, size: int) -> Iterator[tuple[int, list[list]]]:
        with open(self.path, encoding=self.encoding, newline="") as handle:
            reader, first = csv.reader(handle), 1
            while True:
                try:
                    chunk = list(islice(reader, size))
                except (UnicodeDecodeError, csv.Error) as exc:
                    raise FileError(f"CSV 文件第 {reader.line_num + 1} 行附近无法读取（{type(exc).__name__}），"
                                    "请另存为 UTF-8 或 GBK 编码的 CSV 后重试") from None
                if not chunk:
                    return
                yield first, chunk
                first += len(chunk)

    def estimate(self) -> int:
        """Lines after the header (a cell holding a line break counts twice: it is an estimate)."""
        lines, last = 0, b"\n"
        with open(self.path, "rb") as handle:
            while chunk := handle.read(SAMPLE * 16):
                lines, last = lines + chunk.count(b"\n"), chunk[-1:]
        return max(lines + (last != b"\n") - 1, 0)


class XlsxTable(Table):
    def __init__(self, path: Path, prefer: str = ""):
        self.path, self.prefer = path, prefer
        with self._open() as workbook:
            self.sheet = self._pick(workbook.sheetnames)

    def _open(self):
        from openpyxl import load_workbook
        try:
            workbook = load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise FileError(f"无法打开 XLSX 文件（{type(exc).__name__}），请确认是 Excel 2007 及以上格式（.xlsx）") from None
        return _Closing(workbook)

    def _pick(self, names: list[str]) -> str:
        if self.prefer in names:
            return self.prefer
        data = [name for name in names if name != DESCRIPTION_SHEET]
        if not data:
            raise FileError("文件中没有数据工作表")
        return data[0]

    def rows(self) -> Iterator[tuple[int, list]]:
        with self._open() as workbook:
            for number, cells in enumerate(workbook[self.sheet].iter_rows(values_only=True), start=1):
                yield number, list(cells)

    def estimate(self) -> int:
        """The sheet's stated size (its dimension record) less the header; 0 when the file does not say."""
        with self._open() as workbook:
            return max((workbook[self.sheet].max_row or 1) - 1, 0)


class MemoryTable(Table):
    """Rows built in memory (the demo seed fills the templates this way)."""

    def __init__(self, header: list[str], rows: list[list]):
        self.header, self.data = header, rows

    def rows(self) -> Iterator[tuple[int, list]]:
        yield 1, list(self.header)
        for number, cells in enumerate(self.data, start=2):
            yield number, cells

    def estimate(self) -> int:
        return len(self.data)


class _Closing:
    def __init__(self, workbook):
        self.workbook = workbook

    def __enter__(self):
        return self.workbook

    def __exit__(self, *exc):
        self.workbook.close()


def detect_encoding(path: Path) -> str:
    """'utf-8-sig' with a BOM; 'utf-8' when the whole file decodes as UTF-8; else 'gb18030' (a superset of GBK)."""
    with open(path, "rb") as handle:
        head = handle.read(3)
        if head == codecs.BOM_UTF8:
            return "utf-8-sig"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(SAMPLE):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            return "gb18030"


def open_table(path: Path, filename: str, prefer_sheet: str = "") -> Table:
    """The table in ``path``; ``filename`` (as uploaded) tells XLSX from CSV, then the content decides."""
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic.startswith(b"PK"):
        return XlsxTable(path, prefer_sheet)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise FileError("文件扩展名是 .xlsx，但内容不是 XLSX 文件")
    if filename.lower().endswith(".xls") or magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV 后再导入")
    return CsvTable(path)


def csv_bytes(header: list[str], rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    """A CSV file's bytes (tests and the template's CSV form)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)
