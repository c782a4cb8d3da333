"""One manifest format for every output folder (forecast runs, model directories): SHA-256 and size per file.

A folder's ``manifest.json`` lists every other file with its digest; readers check it before they trust a
file, so a copied, truncated or edited output is named instead of read.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["compare_digests", "file_digests", "sha256_file"]


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "a.txt"; _ = p.write_text("abc")
        >>> sha256_file(p)[:12]
        'ba7816bf8f01'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_digests(
    folder: str | os.PathLike[str], *, skip: Iterable[str] = ("manifest.json",)
) -> dict[str, Any]:
    """``{relative path: {"sha256": ..., "bytes": ...}}`` of every file under ``folder`` but ``skip``."""
    root = Path(folder)
    left_out = set(skip)
    return {
        p.relative_to(root).as_posix(): {"sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).as_posix() not in left_out
    }


def compare_digests(
    recorded: Mapping[str, Any], actual: Mapping[str, Any]
) -> tuple[list[str], list[str], list[str]]:
    """Files changed, missing and unexpected in ``actual`` against ``recorded`` (each sorted).

    Example:
        >>> compare_digests({"a": {"sha256": "1", "bytes": 1}, "b": {"sha256": "2", "bytes": 1}},
        ...                 {"a": {"sha256": "9", "bytes": 1}, "c": {"sha256": "3", "bytes": 1}})
        (['a'], ['b'], ['c'])
    """
    changed = sorted(f for f in recorded.keys() & actual.keys() if dict(recorded[f]) != dict(actual[f]))
    return changed, sorted(recorded.keys() - actual.keys()), sorted(actual.keys() - recorded.keys())
