"""The ``forecast`` command line: ``prepare``, ``run``, ``lookup`` and ``anomalies``."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from costrec.workspace import WorkspaceError, add_workspace_arguments, confine_paths
from forecasting.errors import DataError

__all__ = ["main", "build_parser"]

# Each sub-command lives in forecasting/commands/<name>.py and exposes
# ``add_parser(subparsers) -> None`` (which sets ``func`` on its parser) and ``run(args) -> int``.
COMMANDS: tuple[str, ...] = ("prepare", "run", "lookup", "anomalies", "budget")

# Where a bare file name goes under --workspace/--tenant, per sub-command and argument.
WORKSPACE_PATHS: dict[str, dict[str, str]] = {
    "prepare": {"input": "raw", "output": "series", "report": "series"},
    "run": {"input": "series", "output": "forecasts"},
    "lookup": {"run_folder": "forecasts", "plot": "forecasts"},
    "anomalies": {"input": "series", "output": "forecasts"},
}


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="forecast",
        description="Prepare daily cost series from billing exports and forecast them with quantile models.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"forecasting.commands.{name}").add_parser(sub)
    for name, command in sub.choices.items():
        if name in WORKSPACE_PATHS:
            add_workspace_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``forecast`` command line and return its exit status.

    Args:
        argv: Arguments without the program name. Defaults to ``sys.argv[1:]``.

    Returns:
        0 on success, 2 on bad input (a ``DataError``, or a path outside the tenant's workspace) or an
        ``OSError`` (disk full, read-only folder), printed without a traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        confine_paths(args, WORKSPACE_PATHS.get(args.command, {}))
        return int(args.func(args))
    # OSError: a full disk, a read-only folder or a vanished file is the machine's state, not a bug; it
    # gets the same one-line message (outputs are written atomically, so earlier ones are intact).
    except (DataError, WorkspaceError, OSError) as exc:
        print(f"forecast {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
