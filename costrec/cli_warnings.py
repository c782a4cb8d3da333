"""Warnings on the command line: each printed once, as ``forecast prepare: warning: <message>``.

Python's default display adds the file and line that raised the warning and echoes that source line
("prepare.py:151: DataWarning: ... / return prepare_series(...)"): internal detail a user cannot act
on. Inside :func:`one_line_warnings` a warning prints as one line naming the command, and a message
already printed is not printed again (the same cause reached through two code paths).

Only the formatting is replaced, not ``warnings.showwarning``: code that records warnings
(``warnings.catch_warnings(record=True)``, ``pytest.warns``) still receives them untouched.

Example:
    >>> format_warning("forecast prepare", UserWarning("the last day is partial"))
    'forecast prepare: warning: the last day is partial'
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

__all__ = ["one_line_warnings", "format_warning"]


def format_warning(prog: str, message: Warning | str) -> str:
    """The one line ``"<prog>: warning: <message>"``, inner line breaks folded into spaces."""
    text = " ".join(str(message).split())
    return f"{prog}: warning: {text}"


@contextlib.contextmanager
def one_line_warnings(prog: str) -> Iterator[None]:
    """Inside the block, warnings print as ``<prog>: warning: <message>``, each distinct message once.

    Args:
        prog: The command as the user typed it, e.g. ``"forecast prepare"`` or ``"recommend train"``.
    """
    seen: set[str] = set()

    def _format(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        line: str | None = None,
    ) -> str:
        del category, filename, lineno, line  # the source location is what this display leaves out
        text = format_warning(prog, message)
        if text in seen:
            return ""  # already on screen: the writer prints nothing
        seen.add(text)
        return text + "\n"

    previous = warnings.formatwarning
    warnings.formatwarning = _format
    try:
        yield
    finally:
        warnings.formatwarning = previous
