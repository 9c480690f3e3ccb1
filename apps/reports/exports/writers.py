"""Writers of the exports: CSV in streamed chunks with spreadsheet-formula guards, and Excel row by row."""

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Iterator

from apps.reports.exports.registers import CHUNK, Progress

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_CHARS = frozenset("=+-@\t\r")


def cell(value):
    """A value as text for a CSV cell: ISO 8601 times, and no spreadsheet formula can hide in a text cell."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _guarded(rows: Iterable[tuple], text_columns: list[int]) -> Iterator[list]:
    """Rows of text, numbers and None (csv writes None as empty): only the text columns need the formula guard."""
    for row in rows:
        row = list(row)
        for i in text_columns:
            value = row[i]
            if value and value[0] in FORMULA_CHARS:
                row[i] = "'" + value
        yield row


def csv_chunks(
    header: list[str],
    rows: Iterable[tuple],
    progress: Progress = None,
    batch: int = 500,
    text_columns: list[int] | None = None,
) -> Iterator[str]:
    """CSV text in chunks of `batch` rows, for a StreamingHttpResponse or a file. With `text_columns`, the rows hold
    only text, numbers and None, and only those columns are guarded (the fast path of the register export)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    count = 0
    cells = _guarded(rows, text_columns) if text_columns is not None else ([cell(v) for v in row] for row in rows)
    for row in cells:
        writer.writerow(row)
        count += 1
        if count % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if progress and count % CHUNK == 0:
                progress(count)
    yield buffer.getvalue()
    if progress:
        progress(count)


def write_csv(
    path: str,
    header: list[str],
    rows: Iterable[tuple],
    progress: Progress = None,
    text_columns: list[int] | None = None,
) -> str:
    """Writes a CSV file; returns its SHA-256."""
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        for chunk in csv_chunks(header, rows, progress, text_columns=text_columns):
            data = chunk.encode()
            digest.update(data)
            out.write(data)
    return digest.hexdigest()


def _xlsx_value(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value  # Excel has no time zones
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_xlsx(path: str, header: list[str], rows: Iterable[tuple], progress: Progress = None) -> None:
    """An Excel workbook written row by row (openpyxl write-only mode keeps memory flat)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Deployments")
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
        count += 1
        if progress and count % CHUNK == 0:
            progress(count)
    workbook.save(path)
    if progress:
        progress(count)
