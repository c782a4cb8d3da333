"""Scaling curves of the three batch jobs: time and peak memory at 1x, 2x, 4x and 8x the input.

- ingest: ``prepare_series`` on an hourly CUR 2.0 export (``forecasting.billing.large``) of 1, 2, 4 and 8
  parts a month: the line items double, the series stay the same;
- forecast: ``Forecaster`` (seasonal naive, Theta, ETS; one backtest window; two worker processes) on 1x
  to 8x as many daily series, prepared from exports of 1x to 8x as many accounts;
- recommend: ``recommend`` of a saved ALS model for 1x to 8x as many users of a synthetic job board
  (``recsys.synthetic``).

Every point runs in its own subprocess, so its peak RSS (VmHWM, its own plus its worker processes') is
its own.
CPU time is reported next to wall time: the machine may be shared. The slope of a log-log fit of time
against size says how the cost grows (1.0: linear). Writes ``benchmarks/scaling.png``, ``scaling.json``
in OUT, and prints a markdown table.

Usage: ``python benchmarks/bench_scaling.py [--out benchmarks/out/scaling] [--base 1]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main", "measure", "slope"]

SIZES = (1, 2, 4, 8)
HERE = Path(__file__).resolve().parent
# Base sizes (1x); --base multiplies them.
INGEST_MONTHS, INGEST_ACCOUNTS = 3, 40  # 864k hourly line items per part (1 part a month at 1x)
FORECAST_ACCOUNTS, FORECAST_MONTHS = 3, 6  # 30 series of ~180 days at 1x
FORECAST_MODELS = ("seasonal_naive", "theta", "ets")
# Every series keeps ETS, so the final refit is the same work per series at every size: with a free choice
# the winner (cheap Theta at 1x-2x, ETS at 4x-8x) would change the work per series, not the scaling.
FORECAST_CANDIDATES = ("ets",)
RECSYS_USERS = 4000  # users scored at 1x; the board has 8x


def slope(sizes: list[float], seconds: list[float]) -> float:
    """Exponent of a power-law fit ``time ~ size ** slope`` (least squares on logs).

    Example:
        >>> round(slope([1, 2, 4, 8], [1.0, 2.0, 4.0, 8.0]), 6)
        1.0
    """
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def _link_view(src: Path, dst: Path, parts: int) -> Path:
    """A view of ``src`` with the first ``parts`` parts of each month, hard-linked (no copy)."""
    if dst.exists():
        return dst
    for path in sorted(src.rglob("*.parquet")):
        if int(path.stem.split("-")[1].split(".")[0]) <= parts:
            target = dst / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)
    return dst


def _data(out: Path, base: int) -> dict[str, Any]:
    """Write (or reuse) every input under OUT."""
    from forecasting.billing.large import write_large_cur2

    marker = out / "data.json"
    spec = {"base": base, "version": 2}
    if marker.exists() and json.loads(marker.read_text()) == spec:
        return spec
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    full = out / "ingest_full"
    write_large_cur2(
        full, months=INGEST_MONTHS, parts=max(SIZES), accounts=INGEST_ACCOUNTS * base, resources=1
    )
    for n in SIZES:
        _link_view(full, out / f"ingest_{n}x", n)
    from forecasting.prepare import prepare_series

    for n in SIZES:
        export = write_large_cur2(
            out / f"bill_{n}x", months=FORECAST_MONTHS, accounts=FORECAST_ACCOUNTS * base * n, resources=1
        )
        prepare_series(export.folder).series.to_parquet(out / f"series_{n}x.parquet")
    from recsys.dataset import Dataset
    from recsys.interactions import DEFAULT_WEIGHTS, aggregate_events, read_events
    from recsys.models import MODELS
    from recsys.store import save_model
    from recsys.synthetic import JobBoardConfig, generate_job_board

    board = generate_job_board(JobBoardConfig(n_users=RECSYS_USERS * base * max(SIZES), n_jobs=3000, seed=3))
    dataset = Dataset(aggregate_events(read_events(board.events)), None, None, DEFAULT_WEIGHTS)
    save_model(MODELS["als"]().fit(dataset), out / "als")
    marker.write_text(json.dumps(spec))
    return spec


def measure(kind: str, n: int, out: Path, base: int) -> dict[str, float]:
    """Run one point in this process and return its wall and CPU seconds (the work only)."""
    if kind == "ingest":
        from forecasting.prepare import prepare_series

        source = out / f"ingest_{n}x"
        work = lambda: prepare_series(source)  # noqa: E731
        import pyarrow.parquet as pq

        size = sum(pq.ParquetFile(f).metadata.num_rows for f in source.rglob("*.parquet"))
    elif kind == "forecast":
        import pandas as pd

        from forecasting.forecaster import Forecaster

        df = pd.read_parquet(out / f"series_{n}x.parquet")[["unique_id", "ds", "y"]]
        fc = Forecaster(models=list(FORECAST_MODELS), candidates=list(FORECAST_CANDIDATES), n_jobs=2)
        work = lambda: fc.fit(df, h=14).predict(14)  # noqa: E731
        size = df["unique_id"].nunique()
    else:
        from recsys.store import load_model

        model = load_model(out / "als")
        ids = model.context_.users.ids[: RECSYS_USERS * base * n]
        work = lambda: model.recommend(ids, k=25)  # noqa: E731
        size = len(ids)
    wall, cpu = time.perf_counter(), _cpu()
    work()
    return {"size": size, "wall": time.perf_counter() - wall, "cpu": _cpu() - cpu}


def _cpu() -> float:
    """CPU seconds of this process and of its worker processes, finished or still running."""
    import psutil

    own, gone = psutil.Process().cpu_times(), resource.getrusage(resource.RUSAGE_CHILDREN)
    alive = sum(c.cpu_times().user + c.cpu_times().system for c in psutil.Process().children(recursive=True))
    return own.user + own.system + gone.ru_utime + gone.ru_stime + alive


def _peak_mb() -> float:
    """Peak RSS of this process plus that of its live worker processes (VmHWM: exact, not sampled).

    ``getrusage``'s ``ru_maxrss`` would not do: a process started by fork and exec keeps its parent's.
    """
    import psutil

    def hwm(pid: int) -> int:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    pids = [os.getpid(), *(c.pid for c in psutil.Process().children(recursive=True))]
    return sum(hwm(pid) for pid in pids) / 1024


def _point(kind: str, n: int, out: Path, base: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--point", kind, str(n), "--out", str(out), "--base", str(base)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _plot(results: dict[str, list[dict[str, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import EngFormatter, FixedLocator, NullLocator

    fig, axes = plt.subplots(2, 3, figsize=(13, 7), sharex="col")
    units = {"ingest": "line items", "forecast": "series", "recommend": "users"}
    for col, (kind, points) in enumerate(results.items()):
        x = [p["size"] for p in points]
        for key, style in (("wall", "o-"), ("cpu", "s--")):
            axes[0, col].loglog(x, [p[key] for p in points], style, label=f"{key} s")
        ideal = [points[0]["wall"] * v / x[0] for v in x]
        axes[0, col].loglog(x, ideal, ":", color="grey", label="linear")
        axes[0, col].set_title(f"{kind}: slope {slope(x, [p['wall'] for p in points]):.2f}")
        axes[0, col].legend()
        axes[1, col].semilogx(x, [p["peak_mb"] for p in points], "o-")
        axes[1, col].set_xlabel(units[kind])
        # Ticks at the measured sizes only: log-scale minor labels overlap on a 1x-8x range.
        axes[1, col].xaxis.set_major_locator(FixedLocator(x))
        axes[1, col].xaxis.set_minor_locator(NullLocator())
        axes[1, col].xaxis.set_major_formatter(EngFormatter(sep=""))
        axes[1, col].set_ylim(bottom=0)
    axes[0, 0].set_ylabel("seconds")
    axes[1, 0].set_ylabel("peak RSS (MB)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    """Run every point, print the table, write the plot and the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "out" / "scaling")
    parser.add_argument("--plot", type=Path, default=HERE / "scaling.png")
    parser.add_argument("--base", type=int, default=1, help="multiply every 1x size")
    parser.add_argument("--point", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.point:
        result = measure(args.point[0], int(args.point[1]), args.out, args.base)
        print(json.dumps({**result, "peak_mb": _peak_mb()}))
        return 0
    start = time.perf_counter()
    _data(args.out, args.base)
    print(f"inputs ready in {time.perf_counter() - start:.0f} s", flush=True)
    results: dict[str, list[dict[str, float]]] = {}
    for kind in ("ingest", "forecast", "recommend"):
        results[kind] = [_point(kind, n, args.out, args.base) for n in SIZES]
        print(f"{kind} done", flush=True)
    print("\n| job | 1x size | " + " | ".join(f"{n}x wall / CPU s, peak MB" for n in SIZES) + " | slope |")
    print("|---|---|" + "---|" * (len(SIZES) + 1))
    for kind, points in results.items():
        cells = [f"{p['wall']:.2f} / {p['cpu']:.2f}, {p['peak_mb']:.0f}" for p in points]
        fit = slope([p["size"] for p in points], [p["wall"] for p in points])
        print(f"| {kind} | {points[0]['size']:,.0f} | " + " | ".join(cells) + f" | {fit:.2f} |")
    _plot(results, args.plot)
    (args.out / "scaling.json").write_text(json.dumps(results, indent=1))
    print(f"\nwrote {args.plot} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
