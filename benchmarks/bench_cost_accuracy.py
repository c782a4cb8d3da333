"""Accuracy on daily cost series, h=30: WQL of each model and of AutoML relative to seasonal naive.

Usage::

    .venv/bin/python benchmarks/bench_cost_accuracy.py                      # bills + 500 synthetic series
    .venv/bin/python benchmarks/bench_cost_accuracy.py --series 100 --models ets,theta --params \\
        '{"ets": {"max_history": 364}}'

Two datasets. ``bills``: the daily series per service and account of the sample bills
(``data/bills/cur2``, read by ``forecasting.prepare``). ``synthetic``: ``--series`` seeded series of
``--days`` days from ``bench_forecast_speed.cost_series`` (log-normal levels, growth, a weekday
pattern, multiplicative noise, level shifts on 30%, intermittent usage on 10%, credits below zero on
5%) with 15% launched mid-history (shorter, ramped up). The last ``h`` days of each series are held out;
every model fits on the rest. WQL is dataset-level, the mean over the quantiles P10/P50/P90 of
``2 * sum(pinball) / sum(|y|)``; the goal is at most 0.8x seasonal naive. AutoML is
``forecasting.Forecaster`` (per-series choice by one backtest window of ``h`` days).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_forecast_speed import cost_series  # noqa: E402

from forecasting.forecaster import DEFAULT_MODELS, Forecaster  # noqa: E402
from forecasting.models import make_model  # noqa: E402
from forecasting.quantiles import DEFAULT_QUANTILES, quantile_columns  # noqa: E402
from forecasting.runner import Runner  # noqa: E402
from metrics.forecast import wql_loss  # noqa: E402

H = 30
SEASON = 7
QUANTILES = tuple(DEFAULT_QUANTILES)


def load_bills() -> pd.DataFrame:
    """Daily cost per service and account of the sample bills."""
    from forecasting.prepare import prepare_series

    return prepare_series(ROOT / "data" / "bills" / "cur2").series[["unique_id", "ds", "y"]]


def holdout(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The last ``H`` rows of each series as test, the rest as training (series too short dropped)."""
    df = df.sort_values(["unique_id", "ds"], ignore_index=True)
    from_end = df.groupby("unique_id").cumcount(ascending=False)
    sizes = df.groupby("unique_id")["y"].transform("size")
    df = df[sizes >= 4 * H]
    from_end = from_end[df.index]
    return df[from_end >= H].reset_index(drop=True), df[from_end < H].reset_index(drop=True)


def wql(fc: pd.DataFrame, test: pd.DataFrame) -> float:
    """Dataset-level WQL averaged over the quantiles."""
    merged = test.merge(fc, on=["unique_id", "ds"], how="left", validate="one_to_one")
    cols = quantile_columns(QUANTILES)
    if merged[cols].isna().any().any():
        raise RuntimeError("forecast rows missing for some test dates")
    return float(wql_loss(merged["y"].to_numpy(), merged[cols].to_numpy(), quantiles=QUANTILES))


def evaluate(
    label: str, df: pd.DataFrame, models: list[str], params: dict, automl: list[list[str]], jobs: int
) -> list[dict[str, Any]]:
    """Score every model and every AutoML candidate set on one dataset."""
    train, test = holdout(df)
    n = train["unique_id"].nunique()
    print(f"\n{label}: {n} series, h={H}, quantiles {QUANTILES}", flush=True)
    runner = Runner(n_jobs=jobs, show_progress=False)
    settings = {"quantiles": QUANTILES, "freq": "D", "season_length": SEASON}
    rows: list[dict[str, Any]] = []
    for name in models:
        start = time.perf_counter()
        result = runner.run(name, make_model(name, **params.get(name, {})), train, H, settings)
        if result.forecast is None:
            print(f"{name}: failed: {result.error}")
            continue
        rows.append({"dataset": label, "model": name, "wql": wql(result.forecast, test),
                     "seconds": time.perf_counter() - start})  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)
    for candidates in automl:
        start = time.perf_counter()
        forecaster = Forecaster(models=candidates, quantiles=QUANTILES, season_length=SEASON, n_jobs=jobs)
        fc = forecaster.fit(train, h=H).predict(H)
        rows.append({"dataset": label, "model": f"AutoML ({','.join(candidates)})", "wql": wql(fc, test),
                     "seconds": time.perf_counter() - start})  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)
    baseline = next((r["wql"] for r in rows if r["model"] == "seasonal_naive"), None)
    for r in rows:
        r["relative"] = r["wql"] / baseline if baseline else float("nan")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=500)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--models", default="naive,seasonal_naive,theta,ets,arima,lgbm")
    parser.add_argument(
        "--automl",
        action="append",
        help="AutoML candidate sets (repeatable; default: the default models, and those plus lgbm)",
    )
    parser.add_argument("--params", type=json.loads, default={}, help='e.g. {"ets": {"max_history": 364}}')
    parser.add_argument("--datasets", default="bills,synthetic")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)

    models = [m for m in args.models.split(",") if m]
    automl = [
        s.split(",") for s in (args.automl or [",".join(DEFAULT_MODELS), "naive,seasonal_naive,theta,ets"])
    ]
    automl = [[m for m in s if m] for s in automl if any(s)]
    rows: list[dict[str, Any]] = []
    for label in [d for d in args.datasets.split(",") if d]:
        if label == "bills":
            df = load_bills()
        else:
            df = cost_series(args.series, args.days, seed=1, launch_share=0.15)
        rows += evaluate(label, df, models, args.params, automl, args.jobs)
    print("\n| dataset | model | WQL | WQL / seasonal naive | seconds |")
    print("|---|---|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['dataset']} | {r['model']} | {r['wql']:.4f} | {r['relative']:.2f} | {r['seconds']:.0f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
