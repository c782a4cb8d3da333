"""Explain bad rows found by a scan: which file, which line, which column, which value, and the fix.

The scan only counts bad rows (by error code); this module runs on the error path alone, re-reading the
parts with their file names to find the first offending value, and the line number in a CSV.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from costrec.suggest import closest
from costrec.textfile import text_file_problem
from forecasting.billing.files import ExportFiles, file_kind
from forecasting.billing.formats import MONEY, Col, Columns, ExportFormat, quote
from forecasting.billing.schema import FileSchema, closest_columns, source_sql, sql_str
from forecasting.errors import DataError
from forecasting.interface import setting

if TYPE_CHECKING:
    from forecasting.billing.scan import ScanSpec

__all__ = [
    "ERR_BAD_START",
    "ERR_NO_START",
    "ERR_BAD_END",
    "ERR_BAD_COST",
    "explain_errors",
    "example_file",
    "currency_file",
    "unknown_dimension",
    "unreadable_parts",
]

ERR_BAD_START, ERR_NO_START, ERR_BAD_END, ERR_BAD_COST = 1, 2, 3, 4
TIME_HINT = "timestamps must look like 2024-01-31T00:00:00Z or 2024-01-31 00:00:00"


def _line_number(path: Path, value: str | None, header: bool) -> int | None:
    """1-based line of the first data line holding ``value`` (or repeating the header), or ``None``."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", errors="replace")
            first = text.readline()
            for number, line in enumerate(text, start=2):
                if header and line == first:
                    return number
                if not header and value is not None and value in line:
                    return number
                if not header and value is None and ",," in line:
                    return number
    except OSError:
        return None
    return None


def _where(path: str, kind: str, value: str | None, header: bool) -> str:
    if kind != "csv":
        return path
    line = _line_number(Path(path), value, header)
    return f"{path} (line {line})" if line else f"{path}"


def example_file(
    con: duckdb.DuckDBPyConnection, export: ExportFiles, condition: str, column: str
) -> tuple[str, str | None] | None:
    """The first ``(file, value of column)`` over all parts where ``condition`` holds, or ``None``."""
    src = source_sql([str(p) for p in export.files], export.kind, union=len(export.files) > 1, filename=True)
    rows = con.execute(
        f"SELECT filename, CAST({quote(column)} AS VARCHAR) FROM {src} WHERE {condition} LIMIT 1"
    ).fetchall()
    if not rows:
        return None
    row = rows[0]
    return str(row[0]), None if row[1] is None else str(row[1])


def explain_errors(
    con: duckdb.DuckDBPyConnection,
    table: str,
    export: ExportFiles,
    schemas: Sequence[FileSchema],
    spec: ScanSpec,
) -> None:
    """Raise a :class:`DataError` for the first kind of bad row counted in the scan table, if any."""
    counts = dict(
        con.execute(
            f"""SELECT CASE WHEN err > 0 THEN err ELSE {ERR_NO_START} END AS code, sum(n) FROM {table}
            WHERE err > 0 OR b0 IS NULL GROUP BY code"""
        ).fetchall()
    )
    if not counts:
        return
    cols = Columns({k: v for s in schemas for k, v in s.columns.items()})
    start = next(s.name for s in spec.fmt.start if isinstance(s, Col) and s.name in cols.types)
    end = next((s.name for s in spec.fmt.end if isinstance(s, Col) and s.name in cols.types), None)
    code = min(counts)
    count = int(counts[code])
    if code in (ERR_BAD_START, ERR_BAD_END):
        column = start if code == ERR_BAD_START else str(end)
        q = quote(column)
        found = example_file(con, export, f"{q} IS NOT NULL AND TRY_CAST({q} AS TIMESTAMPTZ) IS NULL", column)
        _raise_value(found, export.kind, column, count, "unparseable timestamp", TIME_HINT)
    if code == ERR_NO_START:
        q = quote(start)
        found = example_file(con, export, f"{q} IS NULL OR TRIM(CAST({q} AS VARCHAR)) = ''", start)
        where = _where(found[0], export.kind, None, False) if found else str(export.root)
        raise DataError(
            f"{where}: empty timestamp in column {start!r} ({count} line items). "
            "Fix: every line item needs a start time; remove those rows or re-export."
        )
    from forecasting.measures import measure_sql

    measure = measure_sql(spec.fmt, spec.measure, cols, "NULL")
    for column in measure.columns:
        bad = cols.bad_money(column)
        if bad is None:
            continue
        q = quote(column)
        found = example_file(con, export, f"TRY_CAST({q} AS {MONEY}) IS NULL AND TRIM({q}) <> ''", column)
        if found:
            _raise_value(found, export.kind, column, count, "non-numeric cost", "costs must be plain numbers")
    raise DataError(f"{export.root}: {count} line items with unreadable values. Fix: check the export.")


def _raise_value(
    found: tuple[str, str | None] | None, kind: str, column: str, count: int, what: str, hint: str
) -> None:
    if found is None:
        return
    path, value = found
    if value is not None and value.strip() == column:
        where = _where(path, kind, value, True)
        raise DataError(
            f"{where}: repeated header row in a CSV (the column names appear again as data, e.g. {value!r} "
            f"in column {column!r}; {count} such rows). Fix: remove the extra header lines (parts were "
            "probably concatenated with cat; keep the header once, or keep the parts as separate files)."
        )
    where = _where(path, kind, value, False)
    raise DataError(
        f"{where}: {what} {value!r} in column {column!r} ({count} line items). Fix: correct or remove "
        f"those rows ({hint}), or pass --format if the columns were misread."
    )


def currency_file(con: duckdb.DuckDBPyConnection, export: ExportFiles, column: str, currency: str) -> str:
    """A file holding line items billed in ``currency`` (for mixed-currency messages)."""
    found = example_file(con, export, f"CAST({quote(column)} AS VARCHAR) = {sql_str(currency)}", column)
    return found[0] if found else str(export.root)


def _guess_dimension(fmt: ExportFormat, cols: Columns, dimension: str) -> str | None:
    guesses = closest(dimension, fmt.dimensions)
    if guesses:
        return guesses[0]
    if any(cols.has(s) for s in fmt.tag(dimension)):
        return f"tag:{dimension}"
    near = closest_columns(dimension, cols.types, n=1)
    return near[0] if near else None


def _is_unknown(fmt: ExportFormat, cols: Columns, dimension: str) -> bool:
    return not (dimension in fmt.dimensions or dimension.startswith("tag:") or dimension in cols.types)


def unknown_dimension(
    fmt: ExportFormat, dims: Sequence[str], dimension: str, schema: FileSchema
) -> DataError | None:
    """The error for a ``--dims`` entry that is neither a dimension of ``fmt`` nor a column, or ``None``.

    A name that is not a known dimension is read as a column name, so a typo (``servce``) used to be
    reported as a missing column; this names it as an unknown dimension and suggests the closest known
    dimension, ``tag:KEY`` when a tag of that key exists, or the closest column, for every unknown entry
    of ``dims`` at once (so the suggested flag works on the first try).

    Args:
        fmt: The export's format (its dimension names).
        dims: Every requested dimension, to spell the corrected flag whole.
        dimension: The one that was not found.
        schema: The part that lacks it.
    """
    cols = Columns(schema.columns)
    if not _is_unknown(fmt, cols, dimension):
        return None  # a known dimension whose columns are missing: the caller's message fits
    unknown = [d for d in dims if _is_unknown(fmt, cols, d)]
    guesses = {d: _guess_dimension(fmt, cols, d) for d in unknown}
    names = ", ".join(repr(d) for d in unknown)
    what = f"unknown dimension{'s' if len(unknown) > 1 else ''} {names}"
    why = f"(no dimension of {fmt.label} exports, and no column of the export)"
    listed = (
        f"Known dimensions: {', '.join(fmt.dimensions)}; tag:KEY for a cost allocation tag; or a column name"
    )
    if all(guesses.values()):
        meant = ", ".join(f"{g!r}" if len(unknown) == 1 else f"{g!r} for {d!r}" for d, g in guesses.items())
        fixed = ",".join(guesses.get(d) or d for d in dims)
        return DataError(
            f"{schema.path}: {what} {why}. Did you mean {meant}? Fix: {setting('dims', fixed)}. {listed}."
        )
    return DataError(f"{schema.path}: {what} {why}. Fix: correct {setting('dims')}. {listed}.")


def unreadable_parts(batch: Sequence[FileSchema], exc: Exception | None = None) -> DataError:
    """The error for parts the scan could not read: the damage of a CSV part when its bytes show it."""
    if exc is not None and batch and file_kind(batch[0].path) == "csv":
        # A gzip cut short past the sniffed start fails only here: name the damage, not the reader's words.
        named = [s.path for s in batch if str(s.path) in str(exc)] or [s.path for s in batch]
        for path in named:
            problem = text_file_problem(path)
            if problem is not None:
                return DataError(f"{path}: {problem}.")
    names = ", ".join(str(s.path) for s in batch[:3]) + (", ..." if len(batch) > 3 else "")
    why = f" ({str(exc).splitlines()[0]})" if exc else ""
    return DataError(
        f"{names}: cannot be read{why}. Fix: re-download these parts, or move them out of the input folder."
    )
