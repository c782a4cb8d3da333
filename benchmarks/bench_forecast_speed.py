"""Forecast speed: 1,000 daily cost-like series x 730 days, h=30, quantiles 0.1/0.5/0.9.

Usage::

    .venv/bin/python benchmarks/bench_forecast_speed.py                  # every model + AutoETS + AutoML
    .venv/bin/python benchmarks/bench_forecast_speed.py --series 200 --models ets,theta --no-automl

For each model: one fit + predict over all series in this process (per-series models run on one core,
so seconds/series is per core), and the holdout WQL of the last 30 days relative to seasonal naive as
a sanity check. statsforecast's AutoETS (benchmark-only dependency, ``n_jobs=1``) runs on the same
series in the same run for a ratio. Then, if ``forecasting.forecaster`` is available, the whole
``Forecaster`` run (default models, one backtest window, per-series selection, final forecasts) is timed
with its default worker processes; the goal is under 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forecasting.models import MODELS, make_model  # noqa: E402
from forecasting.quantiles import quantile_columns  # noqa: E402
from metrics.forecast import wql_loss  # noqa: E402

H = 30
QUANTILES = (0.1, 0.5, 0.9)


def cost_series(n_series: int, days: int, seed: int = 0, launch_share: float = 0.0) -> pd.DataFrame:
    """Seeded daily cost series: level, growth, weekday pattern, noise, level shifts, some sparse/credits.

    With ``launch_share``, that share of the series starts mid-history (a service launched late, with a
    two-week ramp-up), so they are shorter; drawn after everything else, so the other series are the
    same whatever the share.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    ds = pd.date_range("2023-01-01", periods=days, freq="D")
    weekday = ds.day_of_week.to_numpy()
    frames = []
    for i in range(n_series):
        level = rng.lognormal(3.0, 1.5)
        growth = rng.normal(0.0005, 0.001)
        weekly = 1.0 + rng.uniform(0.0, 0.5) * np.where(weekday >= 5, -1.0, 0.4)
        y = level * np.exp(growth * t) * weekly * rng.lognormal(0.0, rng.uniform(0.02, 0.2), days)
        if rng.random() < 0.3:  # a resize or migration: the level steps once
            y[rng.integers(days // 4, days) :] *= rng.uniform(0.5, 1.8)
        kind = rng.random()
        if kind < 0.1:  # sparse usage (batch jobs, support cases)
            y = np.where(rng.random(days) < 0.15, y * 5, 0.0)
        elif kind < 0.15:  # credits push some days below zero
            y = y - np.where(rng.random(days) < 0.1, 2.5 * y, 0.0)
        frames.append(pd.DataFrame({"unique_id": f"s{i:04d}", "ds": ds, "y": np.round(y, 4)}))
    launches = np.random.default_rng(seed + 1)
    for i, frame in enumerate(frames):
        if launches.random() < launch_share:
            start = int(launches.integers(days // 3, days - 120))
            ramp = np.clip((np.arange(days - start) + 1) / 14.0, 0.0, 1.0)
            frames[i] = frame.iloc[start:].assign(y=np.round(frame["y"].to_numpy()[start:] * ramp, 4))
    return pd.concat(frames, ignore_index=True)


def holdout_wql(fc: pd.DataFrame, test: pd.DataFrame) -> float:
    merged = test.merge(fc, on=["unique_id", "ds"], validate="one_to_one")
    return wql_loss(
        merged["y"].to_numpy(), merged[quantile_columns(QUANTILES)].to_numpy(), quantiles=QUANTILES
    )


def time_model(name: str, train: pd.DataFrame, params: dict) -> tuple[pd.DataFrame, float, float]:
    """Fit + predict in this process; wall and CPU seconds (the CPU figure is steadier on a busy VM)."""
    start, cpu = time.perf_counter(), time.process_time()
    fc = make_model(name, **params).fit(train, freq="D", season_length=7).predict(H, QUANTILES)
    return fc, time.perf_counter() - start, time.process_time() - cpu


def time_autoets(train: pd.DataFrame) -> tuple[pd.DataFrame, float, float] | None:
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS
    except ImportError:
        print("statsforecast is not installed (make bench adds it); AutoETS skipped")
        return None
    sf = StatsForecast(models=[AutoETS(season_length=7)], freq="D", n_jobs=1)
    sf.forecast(df=train.head(730 * 2), h=H)  # numba compiles on first use; not counted
    start, cpu = time.perf_counter(), time.process_time()
    raw = sf.forecast(df=train, h=H, level=[80])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    fc = raw[["unique_id", "ds"]].assign(
        p10=raw["AutoETS-lo-80"], p50=raw["AutoETS"], p90=raw["AutoETS-hi-80"]
    )
    return fc, seconds, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--models", default=",".join(m for m in MODELS if m != "ensemble"))
    parser.add_argument("--no-automl", action="store_true")
    parser.add_argument("--no-autoets", action="store_true")
    parser.add_argument("--params", type=json.loads, default={}, help='e.g. {"lgbm": {"n_estimators": 150}}')
    args = parser.parse_args(argv)

    df = cost_series(args.series, args.days)
    cut = df["ds"].max() - pd.Timedelta(days=H)
    train, test = df[df["ds"] <= cut], df[df["ds"] > cut]
    print(f"{args.series} daily series x {args.days} days (fit on {args.days - H}), h={H}, {QUANTILES}")
    rows = []
    for name in [m for m in args.models.split(",") if m]:
        fc, seconds, cpu = time_model(name, train, args.params.get(name, {}))
        rows.append((name, seconds, cpu, holdout_wql(fc, test)))
        print(f"{name:16s} {seconds:8.1f} s wall {cpu:8.1f} s CPU", flush=True)
    reference = None if args.no_autoets else time_autoets(train)
    if reference is not None:
        fc, seconds, cpu = reference
        rows.append(("statsforecast AutoETS", seconds, cpu, holdout_wql(fc, test)))
    baseline = {name: wql for name, _, _, wql in rows}.get("seasonal_naive")
    cpu_of = {name: cpu for name, _, cpu, _ in rows}
    print()
    print("| model | wall s | CPU s | CPU ms/series | holdout WQL | WQL / seasonal naive |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, seconds, cpu, wql in rows:
        ratio = f"{wql / baseline:.2f}" if baseline else "-"
        per_series = 1000 * cpu / args.series
        print(f"| {name} | {seconds:.1f} | {cpu:.1f} | {per_series:.1f} | {wql:.4f} | {ratio} |")
    if "ets" in cpu_of and "statsforecast AutoETS" in cpu_of:
        print(
            f"\nets / statsforecast AutoETS CPU time: {cpu_of['ets'] / cpu_of['statsforecast AutoETS']:.2f}x"
        )
    print("load average during the run:", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    if not args.no_automl:
        run_automl(train, test)
    return 0


def _tree_cpu() -> float:
    """CPU seconds (user + sys) of this process and of its finished worker processes."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run_automl(train: pd.DataFrame, test: pd.DataFrame) -> None:
    """Time the whole default Forecaster run on all cores: backtest, selection and final forecasts.

    The CPU figure covers the worker processes too (they are joined when each model's run ends), so
    ``CPU / cores`` is the wall time the run would take on an otherwise idle machine.
    """
    try:
        from forecasting.forecaster import DEFAULT_MODELS, Forecaster
    except ImportError:
        print("forecasting.forecaster is not available; AutoML timing skipped")
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    start, cpu = time.perf_counter(), _tree_cpu()
    model = Forecaster(quantiles=QUANTILES, freq="D", season_length=7, n_windows=1, n_jobs=None)
    fc = model.fit(train, h=H).predict(H)
    seconds, cpu = time.perf_counter() - start, _tree_cpu() - cpu
    print(
        f"\nAutoML, default models {list(DEFAULT_MODELS)}, 1 backtest window, {cores} cores: "
        f"{seconds:.0f} s wall, {cpu:.0f} s CPU (CPU / {cores} cores = {cpu / cores:.0f} s), "
        f"holdout WQL {holdout_wql(fc, test):.4f}"
    )
    print("seconds per phase and model:", json.dumps(model.timings_))
    assert model.choices_ is not None
    print("chosen models:", model.choices_["model"].value_counts().to_dict())


if __name__ == "__main__":
    raise SystemExit(main())
