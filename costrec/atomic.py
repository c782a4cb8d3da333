"""Atomic outputs: write to a temporary sibling, fsync, then rename over the target.

A reader never sees a half-written file, and a run that fails (or is killed) leaves the previous
output in place. Folders are swapped as a whole, so a model directory is either the old one or the new one:
on Linux with one ``renameat2(RENAME_EXCHANGE)`` call, elsewhere by two renames (a crash between them
leaves the old folder under a ``.tmp-old-`` name, which the next write of that folder puts back).

Temporary siblings start with ``.tmp-``: hidden files that the readers skip. A write that fails for lack
of space or permission raises :class:`OutputError` (an ``OSError``) that names the target and the fix.

Kill points, for crash tests only: with ``COSTREC_TEST_KILL_AT=n`` in the environment the process sends
itself ``SIGKILL`` at the n-th commit point it reaches. Commit points are counted from 1 in the order a
process reaches them: a file's temporary copy is written and fsynced, just before its rename (one per
:func:`atomic_file`); a folder's temporary copy is complete, just before the swap (one per
:func:`atomic_dir`); and, when the swap takes two renames, between them (one more). Unset (always, outside
tests) it costs one dictionary lookup per write.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import signal
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Only annotations: the module stays importable without pandas (crash tests start it in milliseconds).
    import pandas as pd

__all__ = [
    "KILL_ENV",
    "OutputError",
    "atomic_dir",
    "atomic_file",
    "check_output_path",
    "write_frame",
    "write_frames",
    "write_text",
]

# Temporary siblings carry this prefix so that readers and globbing code can skip them.
TMP_PREFIX = ".tmp-"
KILL_ENV = "COSTREC_TEST_KILL_AT"
_commit_points = 0
_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


class OutputError(OSError):
    """Writing an output failed (disk full, read-only folder, ...); the previous output is unchanged."""

    def __str__(self) -> str:
        # The message already says what failed and why; "[Errno 28]" in front only hides that.
        return str(self.strerror)


def _kill_point() -> None:
    """Count a commit point; SIGKILL this process at the one named by ``COSTREC_TEST_KILL_AT``."""
    global _commit_points
    wanted = os.environ.get(KILL_ENV)
    if not wanted:
        return
    _commit_points += 1
    if _commit_points == int(wanted):
        os.kill(os.getpid(), signal.SIGKILL)


def _clear_error(exc: OSError, target: Path) -> OutputError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "free disk space (or write elsewhere) and run again"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = f"make {str(target.parent)!r} writable (or write elsewhere) and run again"
    else:
        fix = "check the output path and run again"
    reason = exc.strerror or str(exc)
    return OutputError(
        exc.errno or 0, f"cannot write {str(target)!r}: {reason}; {fix}. Earlier outputs there are unchanged"
    )


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``); ``False`` where that is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # the file system cannot exchange; the caller falls back to two renames
    raise OSError(code, os.strerror(code), str(b))


def _restore_old(target: Path) -> None:
    """Put back the old folder a crash between the two renames of a swap left under its aside name."""
    if target.exists():
        return
    aside = sorted(target.parent.glob(f"{TMP_PREFIX}old-{target.name}.*"), key=lambda p: p.stat().st_mtime)
    if aside:
        os.replace(aside[-1], target)


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
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{target.name}.", dir=target.parent)
    except OSError as exc:
        raise _clear_error(exc, target) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        _kill_point()
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise _clear_error(exc, target) from exc
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
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _restore_old(target)
        tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{target.name}.", dir=target.parent))
    except OSError as exc:
        raise _clear_error(exc, target) from exc
    try:
        yield tmp
        for root, _dirs, files in os.walk(tmp):
            for f in files:
                with open(os.path.join(root, f), "rb") as fh:
                    os.fsync(fh.fileno())
        _kill_point()
        if target.exists() and _exchange(tmp, target):
            # tmp now holds the old folder.
            _fsync_dir(target.parent)
            shutil.rmtree(tmp, ignore_errors=True)
            return
        old = target.parent / f"{TMP_PREFIX}old-{target.name}.{uuid.uuid4().hex[:8]}"
        if target.exists():
            os.replace(target, old)
            _kill_point()
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise _clear_error(exc, target) from exc
        raise


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """Refuse, before any work, an output path that cannot become a file: a folder, or one under a file.

    Raises:
        OutputError: Naming the path, the culprit and the fix (nothing has been written).
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(
            errno.EISDIR,
            f"cannot write {str(target)!r}: it is a folder. Fix: pass a file path (nothing was written).",
        )
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(
                    errno.ENOTDIR,
                    f"cannot write {str(target)!r}: {str(parent)!r} is a file, not a folder. Fix: choose "
                    "another output path (nothing was written).",
                )
            break
    return target


def write_frames(outputs: Mapping[str, pd.DataFrame | str] | Mapping[Path, pd.DataFrame | str]) -> list[Path]:
    """Write several outputs as one unit: all of them, or none.

    Each output (a frame, CSV or Parquet by suffix as :func:`write_frame`, or a text) is staged as a
    temporary sibling before any is renamed into place, so a failure while writing one leaves every
    earlier output as it was.

    Returns:
        The target paths, in the given order.
    """
    targets = [check_output_path(p) for p in outputs]
    with contextlib.ExitStack() as staged:
        # Entering stages a file (creating its folder); leaving renames them, the last one first.
        temps = [staged.enter_context(atomic_file(t)) for t in targets]
        for target, tmp, value in zip(targets, temps, outputs.values(), strict=True):
            if isinstance(value, str):
                tmp.write_text(value, encoding="utf-8")
            elif target.suffix.lower() == ".csv":
                value.to_csv(tmp, index=False)
            else:
                value.to_parquet(tmp, index=False)
    return targets


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
