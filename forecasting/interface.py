"""How messages name a setting: ``freq='MS'`` to a Python caller, ``--freq MS`` on the command line.

Library code raises the same errors and warnings for both audiences; a message that tells a notebook
user to "pass --freq" sends them looking for a flag that does not exist. Messages therefore spell a
setting through :func:`setting`, and the ``forecast`` commands run inside :func:`command_line`.

Example:
    >>> setting("freq", "MS")
    "freq='MS'"
    >>> with command_line():
    ...     setting("freq", "MS"), setting("h", 7), setting("charges")
    ('--freq MS', '--horizon 7', '--charges')
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

__all__ = ["setting", "command_line", "on_command_line"]

# Python parameter -> command-line flag, where the flag is not the parameter with dashes.
_FLAGS = {"h": "--horizon", "n_windows": "--backtest-windows"}
_NOTHING = object()
_CLI: contextvars.ContextVar[bool] = contextvars.ContextVar("forecasting_command_line", default=False)


def on_command_line() -> bool:
    """Whether the current code runs for a ``forecast`` command (inside :func:`command_line`)."""
    return _CLI.get()


@contextlib.contextmanager
def command_line() -> Iterator[None]:
    """Spell settings as flags in every message raised inside the block."""
    token = _CLI.set(True)
    try:
        yield
    finally:
        _CLI.reset(token)


def setting(name: str, value: object = _NOTHING) -> str:
    """The setting ``name`` (a Python parameter name), with ``value`` if given, as the reader types it."""
    if _CLI.get():
        flag = _FLAGS.get(name, "--" + name.replace("_", "-"))
        return flag if value is _NOTHING else f"{flag} {value}"
    return f"{name}=" if value is _NOTHING else f"{name}={value!r}"
