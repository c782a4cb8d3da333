"""Find the data files of a billing export: one file, or a folder of parts read recursively.

AWS delivers exports as folders: CUR 2.0 puts Parquet parts under ``data/BILLING_PERIOD=YYYY-MM/`` and
JSON manifests under ``metadata/``; legacy CUR adds a manifest per billing period; Spark and Athena jobs
leave ``_SUCCESS`` markers and ``.crc`` checksums. Data files are recognised by their extension; every
other file is skipped and reported with the reason, so nothing is dropped silently.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from forecasting.errors import DataError

__all__ = ["ExportFiles", "SkippedFile", "find_export_files", "file_kind"]

Kind = Literal["csv", "parquet"]
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.zst", ".tsv", ".tsv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq", ".parquet.snappy", ".parquet.gz", ".parquet.zst")


@dataclass(frozen=True)
class SkippedFile:
    """A file under the input that is not read, and why."""

    path: Path
    reason: str


@dataclass(frozen=True)
class ExportFiles:
    """The data files of one export (all CSV or all Parquet), sorted by path, and the files skipped."""

    root: Path
    files: tuple[Path, ...]
    kind: Kind
    skipped: tuple[SkippedFile, ...]

    @property
    def total_bytes(self) -> int:
        """Size of the data files on disk."""
        return sum(p.stat().st_size for p in self.files)


def file_kind(path: Path) -> Kind | None:
    """``"csv"`` or ``"parquet"`` from the file name, or ``None`` for anything else.

    Example:
        >>> [file_kind(Path(n)) for n in ("report-00001.snappy.parquet", "cur.csv.gz", "a.json")]
        ['parquet', 'csv', None]
    """
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def _skip_reason(path: Path, root: Path) -> str | None:
    rel_parts = path.relative_to(root).parts if path != root else (path.name,)
    for part in rel_parts[:-1]:
        if part.startswith((".", "_")):
            return f"inside hidden or bookkeeping folder {part!r}"
    name = path.name
    lower = name.lower()
    if name.startswith("."):
        return "hidden file"
    if name.startswith("_"):
        return "marker file (e.g. _SUCCESS)"
    if lower.endswith(".crc"):
        return "checksum file"
    if "manifest" in lower or lower.endswith(".json"):
        return "manifest"
    if lower.endswith(".zip"):
        return "zip archive (unzip it first; CSV, CSV.gz and Parquet are read)"
    if file_kind(path) is None:
        return "not a CSV or Parquet file"
    return None


def find_export_files(path: str | os.PathLike[str]) -> ExportFiles:
    """List the data files of an export file or folder.

    Args:
        path: A ``.csv``, ``.csv.gz`` or ``.parquet`` file, or a folder read recursively (Hive partition
            folders such as ``year=2024/month=1`` or ``BILLING_PERIOD=2024-01`` included).

    Returns:
        The data files and the skipped ones (manifests, ``_SUCCESS`` markers, ``.crc`` files, hidden files
        and folders, anything that is not CSV or Parquet).

    Raises:
        DataError: The path does not exist, the folder holds no data files, or it mixes CSV and Parquet.
    """
    root = Path(path)
    if not root.exists():
        raise DataError(
            f"{root}: no such file or folder. Fix: pass the path of a billing export file or folder."
        )
    if root.is_file():
        kind = file_kind(root)
        if kind is None:
            raise DataError(
                f"{root}: not a CSV or Parquet file (name must end in .csv, .csv.gz or .parquet). "
                "Fix: pass the export's data file, or the folder that holds its parts."
            )
        return ExportFiles(root, (root,), kind, ())
    data: list[Path] = []
    skipped: list[SkippedFile] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            p = Path(dirpath) / name
            reason = _skip_reason(p, root)
            if reason is None:
                data.append(p)
            else:
                skipped.append(SkippedFile(p, reason))
    if not data:
        listed = "; ".join(f"{s.path.relative_to(root)} ({s.reason})" for s in skipped[:10]) or "nothing"
        raise DataError(
            f"{root}: folder with no data files (found: {listed}). "
            "Fix: point at the folder holding the export's .csv, .csv.gz or .parquet parts."
        )
    kinds = {p: file_kind(p) for p in data}
    csv = [p for p, k in kinds.items() if k == "csv"]
    parquet = [p for p, k in kinds.items() if k == "parquet"]
    if csv and parquet:
        raise DataError(
            f"{root}: the folder mixes CSV parts ({csv[0].relative_to(root)}, ...) and Parquet parts "
            f"({parquet[0].relative_to(root)}, ...). Fix: point at one export (one format) at a time."
        )
    return ExportFiles(root, tuple(data), "csv" if csv else "parquet", tuple(skipped))
