"""Write a forecast run the way Amazon Forecast exports it: forecasts, backtest values, accuracy, summary.

Layout of ``OUT/`` (Parquet always, the same tables as CSV next to them with ``csv=True``)::

    forecasts.parquet              final forecasts of the chosen models (+ dimension columns)
    history.parquet                the series the run was fitted on (for lookups and charts)
    forecasted-values/<model>.parquet        backtest forecasts: unique_id, model, cutoff, ds, y, p.., mean
    accuracy-metric-values/<model>.parquet   per series and window, plus one dataset row per model
    totals.parquet                 bill totals per level, key and period: actual to date, quantiles, mean
    totals-daily.parquet           running total of each level, key and period per day (quantiles, mean)
    totals-samples.parquet         the sampled period totals (``forecast budget`` reads them)
    summary.json                   settings, leaderboard, choices, ended and short series, totals
                                   calibration, timings, versions
    plots/NN-<series>.png          fan charts of the most expensive series
    manifest.json                  SHA-256 and size of every other file, checked by ``forecast lookup``

Two entries of ``summary.json`` list the series handled by a stated rule (see
:class:`~forecasting.forecaster.Forecaster`):

- ``ended_series``: series that stopped before the dataset's last period and were filled with 0 up to
  it, so they are forecast from the common end. Keys: ``count``, ``common_end`` (the dataset's last
  period), ``filled_periods`` (zeros added in all), ``rule`` (one sentence), ``by_series`` (id -> its
  last date in the input).
- ``short_series``: series with fewer than ``3 * h`` periods, left out of the backtest and forecast with
  the model chosen for the dataset. Keys: ``count``, ``min_periods`` (``3 * h``), ``rule``,
  ``by_series`` (id -> ``{"periods": n, "model": name}``).

The whole folder is built next to ``OUT`` and swapped in at the end, so a run that fails (or is killed)
leaves the previous ``OUT`` exactly as it was.
"""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from costrec.atomic import OutputError, atomic_dir
from costrec.manifest import file_digests, sha256_file
from forecasting.errors import DataError
from forecasting.plots import save_top_fan_charts

if TYPE_CHECKING:
    # Only for annotations: lookups read run folders without loading the models.
    from forecasting.forecaster import Forecaster
    from forecasting.totals_backtest import RunTotals

__all__ = [
    "SUMMARY",
    "MANIFEST",
    "TOTALS",
    "TOTALS_DAILY",
    "TOTALS_SAMPLES",
    "write_run",
    "file_manifest",
    "check_manifest",
    "accuracy_table",
    "to_json",
    "check_output_folder",
    "library_versions",
]

SUMMARY = "summary.json"
TOTALS = "totals.parquet"
TOTALS_DAILY = "totals-daily.parquet"
TOTALS_SAMPLES = "totals-samples.parquet"
MANIFEST = "manifest.json"
MANIFEST_FORMAT = "costrec.forecast.run"
_LIBRARIES = (
    "costrec",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "lightgbm",
    "pyarrow",
    "duckdb",
    "matplotlib",
)


def check_output_folder(out: str | os.PathLike[str]) -> Path:
    """Refuse an output path that is a file or a folder holding something other than an earlier run.

    The run replaces ``OUT`` as a whole; pointing it at a home folder by mistake must not delete it.

    Raises:
        DataError: If ``out`` is a file, or a non-empty folder without a ``summary.json``.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DataError(f"output {str(out)!r} is a file; pass a folder for the run's outputs")
    if out.is_dir() and any(out.iterdir()) and not (out / SUMMARY).is_file():
        raise DataError(
            f"output folder {str(out)!r} is not empty and holds no earlier forecast run ({SUMMARY}); "
            "the run replaces the folder as a whole, so pass a new or empty folder"
        )
    return out


def file_manifest(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """SHA-256 and size of every file under ``folder`` except the manifest itself.

    Example:
        >>> import tempfile
        >>> d = Path(tempfile.mkdtemp()); _ = (d / "a.txt").write_text("abc")
        >>> file_manifest(d)["files"]["a.txt"]["sha256"][:12], file_manifest(d)["files"]["a.txt"]["bytes"]
        ('ba7816bf8f01', 3)
    """
    files = file_digests(folder, skip=(MANIFEST,))
    return {"format": MANIFEST_FORMAT, "algorithm": "sha256", "files": files}


def check_manifest(folder: str | os.PathLike[str], names: tuple[str, ...] | None = None) -> None:
    """Check files of a run folder against its ``manifest.json`` (all of them, or only ``names``).

    Raises:
        DataError: No or unreadable manifest, or a checked file missing, resized or changed since the run
            wrote it; the message names the files and the fix.
    """
    root = Path(folder)
    path = root / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        recorded = manifest["files"]
        if manifest.get("format") != MANIFEST_FORMAT or not isinstance(recorded, dict):
            raise ValueError(f"format {manifest.get('format')!r}")
    except FileNotFoundError as exc:
        raise DataError(
            f"{str(root)!r} has no {MANIFEST} (written by `forecast run` since output hashes were added), so "
            "its files cannot be checked; run `forecast run` again to write this folder"
        ) from exc
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise DataError(
            f"{str(path)!r} is damaged ({exc}); run `forecast run` again to write this folder"
        ) from exc
    changed, missing = [], []
    for name in names if names is not None else tuple(recorded):
        entry, file = recorded.get(name), root / name
        if not isinstance(entry, dict) or not file.is_file():
            missing.append(name)
        elif file.stat().st_size != entry.get("bytes") or sha256_file(file) != entry.get("sha256"):
            changed.append(name)
    if changed or missing:
        raise DataError(
            f"{str(root)!r} was modified after `forecast run` wrote it (changed: {changed}, missing or not "
            f"in {MANIFEST}: {missing}); its numbers cannot be trusted. Run `forecast run` again, or restore "
            "the folder from a backup"
        )


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries that shape the numbers."""
    out = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def to_json(value: Any) -> Any:
    """Make a value JSON-safe: NaN/inf -> null, numpy scalars -> Python, timestamps -> ISO strings.

    Example:
        >>> to_json({"a": np.float64("nan"), "b": [np.int64(2), pd.Timestamp("2024-01-01")]})
        {'a': None, 'b': [2, '2024-01-01T00:00:00']}
    """
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray | pd.Index | pd.Series):
        return [to_json(v) for v in list(value)]
    if isinstance(value, pd.Timestamp | datetime):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    return value


def accuracy_table(forecaster: Forecaster) -> pd.DataFrame:
    """Accuracy rows: one per series, window and model, then one dataset-level row per model.

    Columns: ``level`` (``series`` or ``dataset``), ``unique_id``, ``cutoff`` (empty on dataset rows),
    ``model``, ``wql_<q>`` per quantile, ``mean_wql``, ``wape``, ``rmse``, ``mase``, ``mape``, ``smape``,
    ``coverage`` (share of actuals inside the outer band) and ``interval_width``.
    """
    if forecaster.selection_ is None:
        return pd.DataFrame()
    series = forecaster.selection_.scores.assign(level="series")
    overall = forecaster.selection_.overall.assign(level="dataset")
    # Dataset rows pool every series and window: no id, no cutoff.
    overall["unique_id"] = pd.Series([None] * len(overall), dtype="str", index=overall.index)
    overall["cutoff"] = pd.Series(pd.NaT, index=overall.index, dtype=series["cutoff"].dtype)
    table = pd.concat([series, overall[series.columns]], ignore_index=True)
    first = ["level", "unique_id", "cutoff", "model"]
    return table[first + [c for c in table.columns if c not in first]]


def _write(df: pd.DataFrame, path: Path, csv: bool) -> list[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False)
    written = [path]
    if csv:
        df.to_csv(path.with_suffix(".csv"), index=False)
        written.append(path.with_suffix(".csv"))
    return written


def _with_dims(df: pd.DataFrame, dims: pd.DataFrame) -> pd.DataFrame:
    if dims.shape[1] <= 1:
        return df
    merged = df.merge(dims, on="unique_id", how="left", validate="many_to_one")
    extra = [c for c in dims.columns if c != "unique_id"]
    rest = [c for c in df.columns if c != "unique_id"]
    return merged[["unique_id", *extra, *rest]]


def _summary(forecaster: Forecaster, forecasts: pd.DataFrame, extra: Mapping[str, Any]) -> dict[str, Any]:
    from forecasting.automl import BASELINE, lift_vs_baseline

    history = forecaster.history_
    selection = forecaster.selection_
    choices = forecaster.choices_
    assert choices is not None
    settings = {
        "h": int(forecasts.groupby("unique_id").size().max()),
        "quantiles": list(forecaster.quantiles_),
        "freq": forecaster.freq_,
        "season_length": int(forecaster.season_length_),
        "ends": forecaster.ends,
        "backtest_windows": int(forecaster.n_windows),
        "step_size": forecaster.step_size,
        "select": forecaster.select,
        "models": list(forecaster.models_),
    }
    data = {
        "series": int(len(forecaster.dims_)),
        "rows": int(len(history)),
        "start": history["ds"].min(),
        "end": history["ds"].max(),
        "history_length": int(forecaster.history_length_),
        "forecast_start": forecasts["ds"].min(),
        "forecast_end": forecasts["ds"].max(),
    }
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": settings,
        "data": data,
        "leaderboard": [] if selection is None else selection.leaderboard.to_dict("records"),
        # Per-series ratios with bootstrap intervals: "x times seasonal naive".
        "lift": {
            "baseline": BASELINE,
            "rows": [] if selection is None else lift_vs_baseline(selection).to_dict("records"),
        },
        "choices": {
            "counts": choices["model"].value_counts().to_dict(),
            "basis": choices["basis"].value_counts().to_dict(),
            "by_series": dict(zip(choices["unique_id"], choices["model"], strict=True)),
        },
        "ended_series": _ended(forecaster, history),
        "short_series": _short(forecaster, int(forecasts.groupby("unique_id").size().max())),
        "timings": {**forecaster.timings_, **extra.get("timings", {})},
        "versions": library_versions(),
        **{k: v for k, v in extra.items() if k != "timings"},
    }


def _totals_summary(totals: RunTotals) -> dict[str, Any]:
    from forecasting.totals import METHOD

    table = totals.result.table
    return {
        "method": METHOD,
        "total_freq": totals.total_freq,
        "n_paths": int(totals.result.samples["sample"].max() + 1),
        "levels": list(dict.fromkeys(table["level"])),
        "periods": sorted({f"{p:%Y-%m-%d}" for p in table["period"]}),
        "calibration": totals.calibration,
        # Days forecast after --horizon so that the last period's total is whole.
        "beyond_horizon_steps": totals.beyond_horizon,
        "seconds": round(totals.seconds, 3),
    }


def _ended(forecaster: Forecaster, history: pd.DataFrame) -> dict[str, Any]:
    ended = forecaster.ended_
    return {
        "count": len(ended),
        "common_end": history["ds"].max(),
        "filled_periods": int(ended["filled"].sum()),
        "rule": "a series whose last date is before the dataset's last period is filled with 0 (no cost) up "
        "to it and forecast from the common end"
        if forecaster.ends == "common"
        else "every series is forecast from its own last date (ends='own'); none was filled",
        "by_series": dict(zip(ended["unique_id"], ended["last_ds"], strict=True)),
    }


def _short(forecaster: Forecaster, h: int) -> dict[str, Any]:
    from forecasting.forecaster import SHORT_RULE

    short = forecaster.short_
    return {
        "count": len(short),
        "min_periods": SHORT_RULE * h,
        "rule": f"a series with fewer than {SHORT_RULE} * h periods is left out of the backtest and forecast "
        "with the model chosen for the dataset",
        "by_series": {
            uid: {"periods": int(n), "model": model}
            for uid, n, model in zip(short["unique_id"], short["periods"], short["model"], strict=True)
        },
    }


def write_run(
    out: str | os.PathLike[str],
    forecaster: Forecaster,
    forecasts: pd.DataFrame,
    *,
    csv: bool = False,
    n_plots: int = 10,
    currency: str = "USD",
    extra: Mapping[str, Any] | None = None,
    totals: RunTotals | None = None,
) -> Path:
    """Write every output of a fitted run into ``out``, atomically (all of it or none of it).

    Args:
        out: The output folder; replaced as a whole (see :func:`check_output_folder`).
        forecaster: A fitted :class:`~forecasting.forecaster.Forecaster` (its backtest, choices, timings).
        forecasts: Its ``predict(h)`` output.
        csv: Also write every table as CSV.
        n_plots: Fan charts of this many most expensive series (0 for none).
        currency: Unit shown on the charts.
        extra: More top-level entries for ``summary.json`` (input file, prepare report, total time).
        totals: The bill totals (:func:`forecasting.totals_backtest.run_totals`): written to
            ``totals*.parquet``, their settings and calibration to ``summary.json`` under ``totals``.

    Returns:
        The output folder.
    """
    out = check_output_folder(out)
    try:
        _write_folder(out, forecaster, forecasts, csv, n_plots, currency, extra, totals)
    except OSError as exc:  # OutputError from costrec.atomic names the cause and the fix already
        detail = str(exc) if isinstance(exc, OutputError) else f"cannot write {str(out)!r}: {exc}"
        raise DataError(f"{detail} (the run itself finished; nothing was written)") from exc
    return out


def _write_folder(
    out: Path,
    forecaster: Forecaster,
    forecasts: pd.DataFrame,
    csv: bool,
    n_plots: int,
    currency: str,
    extra: Mapping[str, Any] | None,
    totals: RunTotals | None = None,
) -> None:
    dims = forecaster.dims_
    with atomic_dir(out) as tmp:
        written = _write(_with_dims(forecasts, dims), tmp / "forecasts.parquet", csv)
        written += _write(_with_dims(forecaster.history_, dims), tmp / "history.parquet", csv)
        if forecaster.cv_ is not None:
            cv = forecaster.cv_[["unique_id", "model", "cutoff", "ds", "y", *forecaster.cv_.columns[5:]]]
            accuracy = accuracy_table(forecaster)
            for model, part in cv.groupby("model", sort=False):
                written += _write(part, tmp / "forecasted-values" / f"{model}.parquet", csv)
            for model, part in accuracy.groupby("model", sort=False):
                written += _write(part, tmp / "accuracy-metric-values" / f"{model}.parquet", csv)
        if n_plots > 0:
            written += save_top_fan_charts(
                tmp / "plots", forecaster.history_, forecasts, forecaster.quantiles_, n=n_plots,
                currency=currency, freq=forecaster.freq_,
            )  # fmt: skip
        if totals is not None:
            written += _write(totals.result.table, tmp / TOTALS, csv)
            written += _write(totals.result.daily, tmp / TOTALS_DAILY, csv)
            # Thousands of draws per total: Parquet only.
            written += _write(totals.result.samples, tmp / TOTALS_SAMPLES, False)
        # The currency is recorded so that lookups label their tables and charts with it.
        summary = _summary(forecaster, forecasts, {"currency": currency, **(extra or {})})
        if totals is not None:
            summary["totals"] = _totals_summary(totals)
        elif getattr(forecaster, "totals_note_", ""):
            summary["totals"] = {"note": forecaster.totals_note_}
        summary["outputs"] = sorted(p.relative_to(tmp).as_posix() for p in written) + [SUMMARY]
        summary["outputs"].append(MANIFEST)
        (tmp / SUMMARY).write_text(json.dumps(to_json(summary), indent=2) + "\n", encoding="utf-8")
        # Last, over everything else: a lookup trusts only files whose hash matches.
        (tmp / MANIFEST).write_text(json.dumps(file_manifest(tmp), indent=1) + "\n", encoding="utf-8")
