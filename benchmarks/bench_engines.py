"""The local engine against the Dask engine on the same machine and the same work: Dask's overhead.

On the 8x inputs of ``bench_scaling.py`` (written there first if missing), each job runs on the local
engine (this process, two worker processes for the forecasts) and on a local Dask cluster of two
single-threaded workers (started once, its start-up reported apart):

- ingest: ``prepare_series`` of the 8x export, scanned whole here or in groups of parts on the workers;
- forecast: ``Forecaster`` fit + predict of the 8x series, chunks of series on a process pool or on Dask;
- recommend: the ALS model's top-25 for every user of the board, in one process or in partitions; the
  cold runs load the model (the local engine once, every Dask worker once), the warm runs reuse it.

Wall time, CPU time (this process plus its pool, or plus every Dask worker) and the ratio Dask / local
are printed as a markdown table; the outputs of both engines are checked equal.

Usage: ``python benchmarks/bench_engines.py [--out benchmarks/out/scaling] [--base 1]`` (``--base 4``: four
times the inputs, where the fixed costs of a Dask run weigh less).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_scaling  # noqa: E402

from costrec.engine import dask_client  # noqa: E402

__all__ = ["main"]


def _rusage_cpu() -> float:
    return bench_scaling._cpu()


def _timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
    # The CPU of every process below this one: the local pool, or the Dask workers (children of the
    # local cluster's fork server or nannies).
    wall, cpu = time.perf_counter(), _rusage_cpu()
    result = work()
    return result, time.perf_counter() - wall, _rusage_cpu() - cpu


def main(argv: list[str] | None = None) -> int:
    """Run each job on both engines, check the outputs agree, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "out" / "scaling")
    parser.add_argument(
        "--base", type=int, default=1, help="multiply bench_scaling's sizes (use its own --out per base)"
    )
    parser.add_argument("--jobs", default="ingest,forecast,recommend", help="comma list of the jobs to run")
    args = parser.parse_args(argv)
    bench_scaling._data(args.out, args.base)
    wanted = set(args.jobs.split(","))

    from forecasting.forecaster import Forecaster
    from forecasting.prepare import prepare_series
    from forecasting.runner import use_executor
    from recsys.store import load_model

    series = pd.read_parquet(args.out / "series_8x.parquet")[["unique_id", "ds", "y"]]
    model_dir = args.out / "als"
    model = load_model(model_dir)
    ids = model.context_.users.ids
    export = args.out / "ingest_8x"

    def cold_recommend() -> pd.DataFrame:
        return load_model(model_dir).recommend(ids, k=25)

    def forecast() -> pd.DataFrame:
        fc = Forecaster(
            models=list(bench_scaling.FORECAST_MODELS),
            candidates=list(bench_scaling.FORECAST_CANDIDATES),
            n_jobs=2,
        )
        return fc.fit(series, h=14).predict(14)

    rows = []
    start = time.perf_counter()
    modules = ("forecasting.distributed", "forecasting.runner", "forecasting.models", "recsys.distributed")
    with dask_client(n_workers=2, preload=modules) as client:
        startup = time.perf_counter() - start
        jobs: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
            ("ingest", lambda: prepare_series(export).series, lambda: _prepare_dask(client, export)),
            ("forecast", forecast, lambda: _on(client, forecast, use_executor)),
            (
                "recommend",
                lambda: model.recommend(ids, k=25),
                lambda: _recommend_dask(client, model_dir, ids),
            ),
        ]
        for name, local, dask in [job for job in jobs if job[0] in wanted]:
            # Short jobs run twice: cold (first use of the cluster's workers: imports, model loading)
            # and warm (a cluster that stays up for repeated batches); the forecast once.
            for run in ("cold", "warm") if name != "forecast" else ("once",):
                # A cold Dask run loads the model in every worker; the local engine then loads it too,
                # as `recommend batch` does.
                first = cold_recommend if name == "recommend" and run == "cold" else local
                want, lw, lc = _timed(first)
                got, dw, dc = _timed(dask)
                pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9)
                rows.append((f"{name} ({run})", lw, lc, dw, dc))
            print(f"{name} done", flush=True)
    print(f"\nlocal Dask cluster of 2 workers started in {startup:.1f} s (not counted below)\n")
    print("| job | local wall / CPU s | Dask wall / CPU s | Dask / local (wall) |")
    print("|---|---|---|---|")
    for name, lw, lc, dw, dc in rows:
        print(f"| {name} | {lw:.2f} / {lc:.2f} | {dw:.2f} / {dc:.2f} | {dw / lw:.2f}x |")
    return 0


def _prepare_dask(client: Any, export: Path) -> pd.DataFrame:
    from forecasting.distributed import DaskScanner
    from forecasting.prepare import prepare_series

    return prepare_series(export, scanner=DaskScanner(client)).series


def _recommend_dask(client: Any, model_dir: Path, ids: Any) -> pd.DataFrame:
    from recsys.distributed import recommend_on_cluster
    from recsys.filters import Filters

    return recommend_on_cluster(client, model_dir, ids, k=25, filters=Filters())


def _on(client: Any, work: Callable[[], Any], use_executor: Any) -> Any:
    with use_executor(client.get_executor(pure=False)):
        return work()


if __name__ == "__main__":
    raise SystemExit(main())
