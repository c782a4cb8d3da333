"""Every sub-command's help ends with examples, and every example is a command line the parser accepts."""

from __future__ import annotations

import shlex

import pytest

import forecasting.cli
import recsys.cli

CLIS = {"forecast": forecasting.cli, "recommend": recsys.cli}
COMMANDS = [(prog, name) for prog, cli in CLIS.items() for name in cli.COMMANDS]


def _help(prog: str, name: str) -> str:
    parser = CLIS[prog].build_parser()
    sub = next(a for a in parser._subparsers._group_actions if a.dest == "command")  # type: ignore[union-attr]
    return sub.choices[name].format_help()


@pytest.mark.parametrize(("prog", "name"), COMMANDS)
def test_every_command_shows_examples_that_parse(prog: str, name: str) -> None:
    text = _help(prog, name)
    assert "examples:" in text
    lines = [line.strip() for line in text.split("examples:", 1)[1].splitlines() if line.strip()]
    examples = [line for line in lines if line.startswith(f"{prog} {name}")]
    assert len(examples) >= 2
    parser = CLIS[prog].build_parser()
    for line in examples:
        args = parser.parse_args(shlex.split(line)[1:])  # SystemExit (exit 2) if an example went stale
        assert args.command == name
