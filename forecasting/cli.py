"""The ``forecast`` command line: ``prepare``, ``run``, ``lookup`` and ``anomalies``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from costrec.cli import CommandLine

__all__ = ["COMMANDS", "WORKSPACE_PATHS", "build_parser", "main"]

# Each sub-command lives in forecasting/commands/<name>.py (see costrec.cli for the protocol).
COMMANDS: tuple[str, ...] = ("prepare", "run", "lookup", "anomalies", "budget", "drivers")

# Where a bare file name goes under --workspace/--tenant, per sub-command and argument.
WORKSPACE_PATHS: dict[str, dict[str, str]] = {
    "prepare": {"input": "raw", "output": "series", "report": "series"},
    "run": {"input": "series", "output": "forecasts"},
    "lookup": {"run_folder": "forecasts", "plot": "forecasts"},
    "anomalies": {"input": "series", "output": "forecasts"},
    "budget": {"run_folder": "forecasts", "budgets": "raw"},
    "drivers": {"input": "series", "forecast": "forecasts", "output": "forecasts"},
}

CLI = CommandLine(
    prog="forecast",
    description="Prepare daily cost series from billing exports and forecast them with quantile models.",
    package="forecasting",
    commands=COMMANDS,
    workspace_paths=WORKSPACE_PATHS,
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered sub-command."""
    return CLI.build_parser()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``forecast`` command line and return its exit status (see :meth:`CommandLine.main`).

    Args:
        argv: Arguments without the program name. Defaults to ``sys.argv[1:]``.
    """
    return CLI.main(argv)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
