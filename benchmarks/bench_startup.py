"""Start-up benchmark: whole-process times of ``--help`` and a small ``forecast prepare`` against imports.

What a user waits for is the whole process: interpreter start, imports, then the work. Each command runs
as a fresh process and is timed from launch to exit (wall clock), against two baselines measured in the
same run:

- ``python -c "import pandas"``: the floor of any command that reads a table. Goal: ``forecast --help``
  and ``recommend --help`` (and every sub-command's ``--help``) no slower;
- ``python -c "import pandas, duckdb, pyarrow.parquet"``: the floor of ``forecast prepare``. Goal: preparing
  the real 1,281-row legacy CUR sample (``data/real_bills/``) at most 1.5x that.

The commands are the installed console scripts beside this interpreter (``forecast``, ``recommend``),
else ``python -m``. Rounds alternate the commands so that a burst of load on a shared machine hits them
alike; each figure is the best of ``--repeat`` rounds (the least disturbed run).

Usage: ``python benchmarks/bench_startup.py [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REAL_CUR = HERE.parent / "data" / "real_bills" / "aws_cur_legacy_anonymized_sample_2023-11.csv.gz"
PACKAGES = {"forecast": "forecasting", "recommend": "recsys"}
SUBCOMMANDS = {
    "forecast": ("prepare", "run", "lookup", "anomalies"),
    "recommend": ("train", "batch", "evaluate", "annotate"),
}
# The baselines: what any command reading a table, and what prepare, must import anyway.
PANDAS, PREPARE_IMPORTS = "import pandas", "import pandas, duckdb, pyarrow.parquet"


def _command(name: str) -> list[str]:
    """The installed console script beside this interpreter, else ``python -m`` of its package."""
    script = Path(sys.executable).with_name(name)
    return [str(script)] if script.exists() else [sys.executable, "-m", PACKAGES[name]]


def _commands(out: Path) -> dict[str, list[str]]:
    """Label -> command line, baselines first."""
    commands = {
        PANDAS: [sys.executable, "-c", "import pandas"],
        PREPARE_IMPORTS: [sys.executable, "-c", "import pandas, duckdb, pyarrow.parquet"],
    }
    for name, subs in SUBCOMMANDS.items():
        commands[f"{name} --help"] = [*_command(name), "--help"]
        for sub in subs:
            commands[f"{name} {sub} --help"] = [*_command(name), sub, "--help"]
    commands["forecast prepare (real CUR, 1,281 rows)"] = [
        *_command("forecast"),
        "prepare",
        str(REAL_CUR),
        "-o",
        str(out / "series.parquet"),
        "--no-progress",
    ]
    return commands


def _wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds


def measure(repeat: int) -> dict[str, float]:
    """Best wall seconds of each command over ``repeat`` alternating rounds."""
    with tempfile.TemporaryDirectory() as tmp:
        commands = _commands(Path(tmp))
        for cmd in commands.values():  # one untimed round: file-system caches warm for everyone
            _wall(cmd)
        times: dict[str, list[float]] = {label: [] for label in commands}
        for _ in range(repeat):
            for label, cmd in commands.items():
                times[label].append(_wall(cmd))
    return {label: min(values) for label, values in times.items()}


def table(best: dict[str, float]) -> str:
    """A Markdown table: each command, its best wall time, its ratio to its baseline and the goal."""
    lines = ["| process | best wall s | vs baseline | goal |", "|---|---:|---:|---|"]
    for label, seconds in best.items():
        if label in (PANDAS, PREPARE_IMPORTS):
            lines.append(f'| `python -c "{label}"` | {seconds:.2f} | baseline | |')
            continue
        prepare = label.startswith("forecast prepare (")
        base, limit = (PREPARE_IMPORTS, 1.5) if prepare else (PANDAS, 1.0)
        ratio = seconds / best[base]
        verdict = "met" if ratio <= limit else "NOT met"
        lines.append(f"| `{label}` | {seconds:.2f} | {ratio:.2f}x `{base}` | <= {limit:g}x: {verdict} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table; the exit status is 0 (a missed goal is reported, not fatal)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds; each figure is the best (default 3)")
    args = parser.parse_args(argv)
    if not REAL_CUR.exists():
        print(
            f"missing {REAL_CUR}: the real legacy CUR sample (see data/real_bills/README.md)", file=sys.stderr
        )
        return 2
    started = time.perf_counter()
    best = measure(args.repeat)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"best of {args.repeat} rounds in {time.perf_counter() - started:.0f} s; Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} cores, load average {load} at the end")  # fmt: skip
    print(table(best))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
