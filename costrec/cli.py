"""The entry layer both command lines share: parser assembly, workspace paths, warnings, errors, exit codes.

``forecast`` and ``recommend`` differ only in their sub-commands: each lives in ``<package>/commands/
<name>.py`` and exposes ``add_parser(subparsers) -> None`` (which sets ``func`` on its parser) and
``run(args) -> int``. Building the parser imports those modules only, so ``--help`` stays light; a command
imports its heavy libraries when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from costrec.errors import CostrecError
from costrec.workspace import WorkspaceError, add_workspace_arguments, confine_paths

__all__ = ["CommandLine", "ExamplesFormatter", "add_progress_arguments", "examples"]


def add_progress_arguments(parser: argparse.ArgumentParser) -> None:
    """``--progress`` / ``--no-progress`` of every command: ``args.progress`` is True, False or None.

    None (neither given) draws bars only on a terminal or in a notebook; ``--progress`` draws them into
    pipes and logs too; ``--no-progress`` never draws them.
    """
    group = parser.add_argument_group("progress")
    flags = group.add_mutually_exclusive_group()
    flags.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="draw progress bars even "
        "when the output is not a terminal (default: only on a terminal or in a notebook)",
    )
    flags.add_argument(
        "--no-progress", dest="progress", action="store_false", help="never draw progress bars"
    )


class ExamplesFormatter(argparse.HelpFormatter):
    """Wraps one-line descriptions as usual; text written on several lines (paragraphs, the ``examples:``
    epilog) prints line for line, as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def examples(*lines: str) -> dict[str, Any]:
    """``add_parser`` keywords for a help that ends with example command lines (one per argument).

    Example:
        >>> kw = examples("forecast run series.parquet -o out --horizon 30")
        >>> print(kw["epilog"])
        examples:
          forecast run series.parquet -o out --horizon 30
    """
    return {
        "epilog": "examples:\n" + "\n".join(f"  {line}" for line in lines),
        "formatter_class": ExamplesFormatter,
    }


@dataclass(frozen=True)
class CommandLine:
    """One console script.

    Attributes:
        prog: The program name (``forecast``).
        description: The top-level help text.
        package: The package whose ``commands`` sub-package holds the sub-commands.
        commands: Sub-command names, in help order.
        workspace_paths: Per sub-command, where a bare file name of each argument goes under
            ``--workspace/--tenant`` (see :mod:`costrec.workspace`).
    """

    prog: str
    description: str
    package: str
    commands: tuple[str, ...]
    workspace_paths: Mapping[str, Mapping[str, str]]

    def build_parser(self) -> argparse.ArgumentParser:
        """The argument parser with every sub-command."""
        parser = argparse.ArgumentParser(prog=self.prog, description=self.description)
        parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
        sub = parser.add_subparsers(dest="command", metavar="COMMAND")
        for name in self.commands:
            importlib.import_module(f"{self.package}.commands.{name}").add_parser(sub)
        for name, command in sub.choices.items():
            add_progress_arguments(command)
            if name in self.workspace_paths:
                add_workspace_arguments(command)
        return parser

    def main(self, argv: Sequence[str] | None = None) -> int:
        """Parse ``argv``, run the sub-command and return its exit status.

        Returns:
            The command's status on success; 2 on bad input (a package ``DataError``, a path outside the
            tenant's workspace) or an ``OSError`` (disk full, read-only folder), printed as one line
            without a traceback; 2 with the help when no sub-command is given.
        """
        parser = self.build_parser()
        args = parser.parse_args(argv)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        try:
            confine_paths(args, dict(self.workspace_paths.get(args.command, {})))
            from costrec.cli_warnings import one_line_warnings  # each warning once, without source lines
            from costrec.progress import forced_progress

            with one_line_warnings(f"{self.prog} {args.command}"), forced_progress(args.progress is True):
                return int(args.func(args))
        # OSError: a full disk, a read-only folder or a vanished file is the machine's state, not a bug;
        # it gets the same one-line message (outputs are written atomically, so earlier ones are intact).
        except (CostrecError, WorkspaceError, OSError) as exc:
            print(f"{self.prog} {args.command}: error: {exc}", file=sys.stderr)
            return 2
