"""The ``recommend`` command line: ``train``, ``batch``, ``evaluate`` and ``annotate``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from costrec.cli import CommandLine

__all__ = ["COMMANDS", "WORKSPACE_PATHS", "build_parser", "main"]

# Each sub-command lives in recsys/commands/<name>.py (see costrec.cli for the protocol).
COMMANDS: tuple[str, ...] = ("train", "batch", "evaluate", "annotate")

# Where a bare file name goes under --workspace/--tenant, per sub-command and argument.
_DATA = {"interactions": "raw", "users": "raw", "items": "raw"}
WORKSPACE_PATHS: dict[str, dict[str, str]] = {
    "train": {**_DATA, "output": "models"},
    "batch": {"model_dir": "models", "users": "raw", "items": "raw", "output": "recommendations"},
    "evaluate": {**_DATA, "output": "recommendations"},
    "annotate": {"model_dirs": "models", "output": "recommendations", "score": "recommendations"},
}

CLI = CommandLine(
    prog="recommend",
    description="Train job recommenders on implicit feedback and write top-k recommendations.",
    package="recsys",
    commands=COMMANDS,
    workspace_paths=WORKSPACE_PATHS,
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered sub-command."""
    return CLI.build_parser()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``recommend`` command line and return its exit status (see :meth:`CommandLine.main`).

    Args:
        argv: Arguments without the program name. Defaults to ``sys.argv[1:]``.
    """
    return CLI.main(argv)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
