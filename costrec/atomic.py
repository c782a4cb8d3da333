"""Atomic outputs: write to a temporary sibling, fsync, then rename over the target.

A reader never sees a half-written file, and a run that fails (or is killed) leaves the previous
output in place. Folders are swapped as a whole, so a model directory is either the old one or the new one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

__all__ = ["atomic_file", "atomic_dir", "write_frame", "write_text"]

# Temporary siblings carry this prefix so that readers and globbing code can skip them.
TMP_PREFIX = ".tmp-"


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once the parent directory entry is flushed too.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_file(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success it is fsynced and renamed onto ``target``.

    Args:
        target: The final file path. Its parent folder is created when missing.

    Yields:
        The temporary path to write to. On an exception it is removed and ``target`` is untouched.

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> with atomic_file(d / "a.txt") as tmp:
        ...     _ = tmp.write_text("hello")
        >>> (d / "a.txt").read_text()
        'hello'
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{target.name}.", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh temporary folder next to ``target``; on success it replaces ``target`` as a whole.

    The old folder (if any) is renamed aside and removed only after the new one is in place, so an
    interruption leaves either the complete old folder or the complete new one at ``target``.

    Args:
        target: The final folder path.

    Yields:
        The temporary folder to fill.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{target.name}.", dir=target.parent))
    try:
        yield tmp
        for root, _dirs, files in os.walk(tmp):
            for f in files:
                with open(os.path.join(root, f), "rb") as fh:
                    os.fsync(fh.fileno())
        old = target.parent / f"{TMP_PREFIX}old-{target.name}.{uuid.uuid4().hex[:8]}"
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_frame(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a frame atomically: CSV when the name ends in ``.csv``, Parquet otherwise.

    Args:
        df: The frame to write (its index is not written).
        path: The target file.

    Returns:
        The target path.
    """
    path = Path(path)
    with atomic_file(path) as tmp:
        if path.suffix.lower() == ".csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False)
    return path


def write_text(text: str, path: str | os.PathLike[str]) -> Path:
    """Write UTF-8 text atomically and return the target path."""
    path = Path(path)
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
