"""Read a prepared series table (Parquet file or folder, CSV, CSV.gz, TSV) with errors that say what to fix.

Text files are read with every column as a string, so ids such as account ``012345678901`` keep their
leading zero; :func:`forecasting.validation.validate_series` parses ``ds`` and ``y`` afterwards. Every
failure of the underlying readers (a truncated or corrupt file, bytes that are not UTF-8, a header that
names a column twice) becomes a :class:`~forecasting.errors.DataError` naming the file and the fix.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import zlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from costrec.textfile import text_file_problem
from forecasting.errors import DataError

__all__ = ["read_series_table", "TEXT_SUFFIXES", "PARQUET_SUFFIXES"]

TEXT_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
# Failures of pandas/pyarrow on a damaged file; anything else is a bug and keeps its traceback.
_READ_ERRORS = (
    pa.ArrowException,
    pd.errors.ParserError,
    pd.errors.EmptyDataError,
    EOFError,
    zlib.error,
    gzip.BadGzipFile,
    csv.Error,
)


def _sep(name: str) -> str:
    return "\t" if name.endswith((".tsv", ".tsv.gz")) else ","


def _header(path: Path, sep: str) -> list[str]:
    """The header line's fields as written (pandas renames a repeated name to ``y.1`` silently)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        line = fh.readline(1 << 20)
    return next(csv.reader(io.StringIO(line), delimiter=sep), [])


def _check_names(path: Path, names: list[str]) -> None:
    repeated = [n for i, n in enumerate(names) if n in names[:i]]
    if repeated:
        raise DataError(
            f"INPUT {str(path)!r}: column {repeated[0]!r} appears more than once in the header; "
            "give every column a distinct name (one unique_id, one ds, one y)"
        )


def _read_text(path: Path) -> pd.DataFrame:
    sep = _sep(path.name.lower())
    _check_names(path, [n.strip() for n in _header(path, sep)])
    frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas turns the extra leading fields of rows longer than the header into an index, silently.
        raise DataError(
            f"INPUT {str(path)!r}: rows have more fields than the header ({len(frame.columns)} columns: "
            f"{list(frame.columns)[:5]}); quote values that contain the separator {sep!r}, or fix the header"
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    table = pq.read_table(path)
    # Parquet readers trust the bytes of text columns; a damaged page can hold invalid UTF-8 that would
    # only fail later, deep inside date parsing. Full validation checks it here, where the file is named.
    table.validate(full=True)
    try:
        frame = table.to_pandas()
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        # The pandas metadata (JSON in the footer) is damaged: bad JSON, bytes that are not UTF-8, ...
        raise pa.ArrowInvalid(f"damaged pandas metadata in the footer: {exc}") from exc
    _check_names(path, [str(c) for c in frame.columns])
    return frame


def read_series_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a series table as it is on disk (no parsing of dates or values).

    Args:
        path: A Parquet file (``.parquet``, ``.pq``), a folder of Parquet parts, or a text table
            (``.csv``, ``.csv.gz``, ``.tsv``, ``.tsv.gz``, ``.txt``; comma-separated except TSV, UTF-8).

    Returns:
        The frame; text columns of CSV files stay strings, empty cells are missing values.

    Raises:
        DataError: The path is missing or of another kind, the file is empty, truncated, corrupt or not
            UTF-8, or a column name is repeated; the message names the file and the fix.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
        >>> _ = p.write_text("unique_id,ds,y\\n007,2024-01-01,1.5\\n")
        >>> read_series_table(p)["unique_id"].tolist()
        ['007']
    """
    source = Path(path)
    if not source.exists():
        raise DataError(f"INPUT {str(source)!r} does not exist; pass a series file or a billing export")
    name = source.name.lower()
    try:
        if source.is_dir() or name.endswith(PARQUET_SUFFIXES):
            return _read_parquet(source)
        if name.endswith(TEXT_SUFFIXES):
            return _read_text(source)
    except UnicodeDecodeError as exc:
        problem = text_file_problem(source)  # UTF-16 needs another iconv than Latin-1
        if problem is not None:
            raise DataError(f"INPUT {str(source)!r}: {problem}") from exc
        raise DataError(
            f"INPUT {str(source)!r}: not UTF-8 text (byte {exc.object[exc.start : exc.start + 1]!r} at "
            f"offset {exc.start}); save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(
            f"INPUT {str(source)!r}: empty file (no header line); write the columns unique_id, ds, y "
            "and one row per period"
        ) from exc
    except PermissionError as exc:
        raise DataError(f"INPUT {str(source)!r}: permission denied ({exc}); make the file readable") from exc
    except (*_READ_ERRORS, OSError) as exc:
        problem = None if source.is_dir() or name.endswith(PARQUET_SUFFIXES) else text_file_problem(source)
        if problem is not None:
            raise DataError(f"INPUT {str(source)!r}: {problem}") from exc
        what = "Parquet" if source.is_dir() or name.endswith(PARQUET_SUFFIXES) else "CSV"
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"INPUT {str(source)!r}: cannot be read as {what} ({detail}); the file is truncated or "
            "corrupt: write or download it again"
        ) from exc
    raise DataError(
        f"INPUT {str(source)!r}: expected a Parquet or CSV file (.parquet, .csv, .csv.gz, .tsv) "
        "or a billing export folder"
    )
