"""Run the benchmark scripts, each in its own process, and print their figures.

``make bench`` calls this. Each script prints its own figures and ratios against a baseline measured
in the same run; this runner adds wall times and stops with a non-zero status if any script fails.

By default it runs the *suite*: every script at a size that keeps the whole run under about 15 minutes
on 2 cores (the arguments are in ``SUITE``). ``--full`` runs every script at the sizes of the figures in
``benchmarks/README.md`` (about an hour and a half: the 21M/84M-row ingest, M3's 1,428 series, the 100k
user board). Pass script names (``bench_metrics``) to run a subset.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Quick arguments per script: the same code paths and baselines as the full runs, on smaller inputs.
SUITE: dict[str, list[str]] = {
    "bench_metrics": [],
    # Whole-process start-up: every --help and a small prepare against the import baselines (a minute).
    "bench_startup": [],
    # 6 months instead of 24: 5.3M and 21M line items, the same methods and ratios (pandas, raw DuckDB).
    "bench_prepare": ["--months", "6", "--out", "benchmarks/out/prepare_suite"],
    "bench_scaling": [],
    "bench_engines": [],
    "bench_forecast_speed": ["--series", "100", "--models", "naive,seasonal_naive,theta,ets"],
    "bench_cost_accuracy": ["--series", "100", "--models", "naive,seasonal_naive,theta,ets"],
    "bench_recsys": ["jobs"],
    # The default command lines and the references on every data set; --full adds every registry model.
    "bench_recsys_real": ["--quick"],
    # Bill totals: calibration on the sample bills' five backtest months (--full: their share of a run).
    "bench_totals": ["--bill", "data/bills/cur2", "--windows", "5"],
}


def main(argv: list[str]) -> int:
    """Run the selected benchmark scripts and return the number of failures."""
    full = "--full" in argv
    names = [a.removesuffix(".py") for a in argv if a != "--full"]
    available = {s.stem: s for s in sorted(HERE.glob("bench_*.py"))}
    if not names:
        names = list(available) if full else list(SUITE)
    unknown = [n for n in names if n not in available]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    failures = 0
    started = time.perf_counter()
    for name in names:
        args = [] if full else SUITE.get(name, [])
        print(f"\n=== {name} {' '.join(args)} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(available[name]), *args], cwd=HERE.parent)
        took = time.perf_counter() - start
        print(f"=== {name}: {'ok' if code == 0 else f'FAILED ({code})'} in {took:.0f} s", flush=True)
        failures += code != 0
    print(f"\n{len(names)} benchmark(s) in {time.perf_counter() - started:.0f} s, {failures} failed")
    return failures


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
