"""Run every ``benchmarks/bench_*.py`` script in its own process and print its figures.

``make bench`` calls this. Each script prints its own figures and ratios against a baseline measured
in the same run; this runner adds wall times and stops with a non-zero status if any script fails.
Pass script names (``bench_metrics``) to run a subset.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    """Run the selected benchmark scripts (all by default) and return the number of failures."""
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        wanted = {a.removesuffix(".py") for a in argv}
        scripts = [s for s in scripts if s.stem in wanted]
    failures = 0
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        took = time.perf_counter() - start
        print(f"=== {script.name}: {'ok' if code == 0 else f'FAILED ({code})'} in {took:.0f} s", flush=True)
        failures += code != 0
    return failures


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
