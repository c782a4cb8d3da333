"""Column names and types of every part of an export, read from Parquet footers and CSV headers.

Reading each part's schema up front is cheap (no data is scanned) and lets us name the exact file behind
an empty file, a corrupt Parquet footer or parts whose columns disagree, before any costly scan starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from costrec.suggest import closest
from costrec.textfile import text_file_problem
from forecasting.billing.files import ExportFiles
from forecasting.errors import DataError

__all__ = [
    "FileSchema",
    "read_schemas",
    "check_column_types",
    "type_family",
    "closest_columns",
    "csv_options",
    "sql_str",
    "source_sql",
]

# Values that mean "no value" in CSV exports (the FOCUS sample writes NULL, legacy CUR leaves cells empty).
CSV_NULLS = ("", "NULL", "null")


@dataclass(frozen=True)
class FileSchema:
    """The columns of one data file (Hive partition columns included) as DuckDB types."""

    path: Path
    columns: dict[str, str]


def sql_str(value: str) -> str:
    """A SQL string literal.

    Example:
        >>> sql_str("it's")
        "'it''s'"
    """
    return "'" + value.replace("'", "''") + "'"


def csv_options() -> str:
    """``read_csv`` options shared by every CSV scan: text columns, so ids keep leading zeros."""
    nulls = ", ".join(sql_str(v) for v in CSV_NULLS)
    return f"header = true, all_varchar = true, nullstr = [{nulls}]"


def type_family(duckdb_type: str) -> str:
    """Coarse family of a DuckDB type: ``number``, ``text``, ``time``, ``map`` or ``other``.

    Example:
        >>> type_family("DECIMAL(18,2)"), type_family("TIMESTAMP WITH TIME ZONE"), type_family("VARCHAR")
        ('number', 'time', 'text')
    """
    t = duckdb_type.upper()
    if t.startswith("MAP("):
        return "map"
    if t.startswith(("TIMESTAMP", "DATE")):
        return "time"
    if t in ("VARCHAR", "TEXT", "STRING") or t.startswith("VARCHAR"):
        return "text"
    numbers = ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC", "BIGINT", "INTEGER", "SMALLINT", "TINYINT",
               "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT", "UHUGEINT")  # fmt: skip
    if t.startswith(numbers):
        return "number"
    return "other"


def closest_columns(name: str, present: Iterable[str], n: int = 3) -> list[str]:
    """The column names most like ``name`` (case-insensitive), for 'did you mean' hints.

    Example:
        >>> closest_columns("lineItem/UnblendedCost", ["lineItem/BlendedCost", "bill/BillType", "x"])
        ['lineItem/BlendedCost']
    """
    # Below the shared cutoff: a hand-typed name often lacks the long prefix (``line_item_``,
    # ``lineItem/``) that export columns carry, and the tail alone scores 0.5 to 0.6.
    return closest(name, present, n=n, cutoff=0.5)


def source_sql(files: Sequence[str], kind: str, *, union: bool, filename: bool = False) -> str:
    """``read_parquet``/``read_csv`` over ``files`` with the options every scan uses."""
    paths = "[" + ", ".join(sql_str(f) for f in files) + "]"
    opts = "hive_partitioning = true"
    if union:
        opts += ", union_by_name = true"
    if filename:
        opts += ", filename = true"
    if kind == "parquet":
        return f"read_parquet({paths}, {opts})"
    return f"read_csv({paths}, {csv_options()}, {opts})"


def _describe(con: duckdb.DuckDBPyConnection, path: Path, kind: str) -> dict[str, str]:
    source = (
        f"read_parquet({sql_str(str(path))}, hive_partitioning = true)"
        if kind == "parquet"
        else f"read_csv({sql_str(str(path))}, {csv_options()}, hive_partitioning = true)"
    )
    rows = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    if kind == "parquet":
        # The scan reads footer statistics (min/max per row group); a damaged footer can describe fine
        # yet hold statistics that are not valid text. Reading them here names the file, before any scan.
        con.execute(
            "SELECT count(*), min(stats_min_value), max(stats_max_value) FROM parquet_metadata(?)",
            [str(path)],
        ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def read_schemas(con: duckdb.DuckDBPyConnection, export: ExportFiles) -> list[FileSchema]:
    """Read the schema of every data file of ``export``.

    Raises:
        DataError: A file is empty, is not readable Parquet, or is a CSV without a header line.
    """
    schemas = []
    for path in export.files:
        if path.stat().st_size == 0:
            raise DataError(
                f"{path}: empty file (0 bytes). Fix: delete it or re-download this part of the export."
            )
        try:
            columns = _describe(con, path, export.kind)
        except duckdb.Error as exc:
            problem = text_file_problem(path) if export.kind == "csv" else None
            if problem is not None:  # UTF-16, a damaged gzip...: the cause, not the CSV reader's symptom
                raise DataError(f"{path}: {problem}.") from exc
            what = "a readable Parquet file" if export.kind == "parquet" else "a readable CSV file"
            detail = str(exc).splitlines()[0]
            raise DataError(
                f"{path}: not {what} ({detail}). Fix: re-download this part of the export, or move it out "
                "of the input folder."
            ) from exc
        if export.kind == "csv" and len(columns) <= 1 and path.stat().st_size < 64:
            raise DataError(f"{path}: empty CSV (no header line). Fix: delete it or re-download it.")
        schemas.append(FileSchema(path, columns))
    return schemas


def check_column_types(schemas: Sequence[FileSchema], columns: Iterable[str]) -> None:
    """Parts must agree on the type family of every column we use (numbers here, text there is an error).

    Raises:
        DataError: Two parts disagree, naming both files, the column and the two types.
    """
    for column in columns:
        seen: dict[str, FileSchema] = {}
        for schema in schemas:
            if column in schema.columns:
                seen.setdefault(type_family(schema.columns[column]), schema)
        if len(seen) > 1:
            (fa, a), (fb, b) = list(seen.items())[:2]
            raise DataError(
                f"parts whose schemas disagree: column {column!r} is {a.columns[column]} in {a.path} but "
                f"{b.columns[column]} in {b.path}. Fix: re-export the odd part with the same settings, or "
                f"prepare the parts separately ({fa} vs {fb})."
            )
