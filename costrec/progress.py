"""Whether to draw progress bars: only where someone watches them (a terminal, or a notebook).

A bar redrawn into a log file or a CI capture fills it with carriage-return noise and hides the
messages that matter, so every bar in the project asks :func:`progress_enabled` (``--no-progress``,
``show_progress=False`` and ``-q`` still turn it off everywhere).

Example:
    >>> import io
    >>> progress_enabled(True, stream=io.StringIO()), progress_enabled(False)
    (False, False)
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TextIO

__all__ = ["forced_progress", "progress_enabled", "in_notebook"]

# Set by ``--progress`` for the duration of one command: bars even into a pipe or a log.
_FORCED = False


def in_notebook() -> bool:
    """Whether the code runs in a Jupyter kernel (whose bars are widgets, not terminal text)."""
    ipython = sys.modules.get("IPython")  # never imported here: a command line must not pay for it
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def progress_enabled(flag: bool | None = True, *, stream: TextIO | None = None) -> bool:
    """Whether a progress bar should be drawn.

    Args:
        flag: The caller's wish (``--no-progress`` or ``show_progress=False`` give ``False``); ``None``
            means no wish and is treated as ``True``.
        stream: Where the bar is drawn; defaults to ``sys.stderr`` (tqdm's stream).

    Returns:
        ``False`` when ``flag`` is false; otherwise ``True`` if ``stream`` is a terminal, the code runs in a
        notebook, or a command runs under ``--progress`` (:func:`forced_progress`).
    """
    if flag is False:
        return False
    if _FORCED:
        return True
    out = sys.stderr if stream is None else stream
    try:
        tty = bool(out.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams (pytest capture, daemons)
        tty = False
    return tty or in_notebook()


@contextlib.contextmanager
def forced_progress(on: bool) -> Iterator[None]:
    """Within the block, draw bars wherever they are allowed, terminal or not (``--progress``)."""
    global _FORCED
    before, _FORCED = _FORCED, bool(on) or _FORCED
    try:
        yield
    finally:
        _FORCED = before
