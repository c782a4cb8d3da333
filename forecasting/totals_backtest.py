"""Bill totals of a fitted run, and how well their bands held on the backtest windows (calibration)."""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecasting.copula import Dependence
from forecasting.quantiles import quantile_columns
from forecasting.totals import BillTotals, TotalsResult, period_end, period_starts

if TYPE_CHECKING:
    from forecasting.forecaster import Forecaster

__all__ = [
    "RunTotals",
    "chosen_backtest",
    "backtest_totals",
    "calibration_summary",
    "forecast_with_totals",
    "run_totals",
    "totals_report",
]


@dataclass(frozen=True)
class RunTotals:
    """The totals of a run, their calibration (for ``summary.json``) and the seconds they took."""

    result: TotalsResult
    calibration: dict[str, Any]
    seconds: float
    total_freq: str = "M"
    horizon_end: pd.Timestamp | None = None
    """The last forecast step of ``--horizon``; later days were forecast to close the last period."""
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)
    """The levels of the tables' quantile columns."""

    @property
    def beyond_horizon(self) -> int:
        """Days of the totals forecast after ``horizon_end`` (to close the last period), 0 if none."""
        if self.horizon_end is None:
            return 0
        days = pd.DatetimeIndex(self.result.daily["ds"].unique())
        return int((days > self.horizon_end).sum())


def chosen_backtest(forecaster: Forecaster) -> pd.DataFrame | None:
    """The backtest rows of the model chosen for each series (``None`` without a backtest)."""
    cv, choices = forecaster.cv_, forecaster.choices_
    if cv is None or choices is None:
        return None
    chosen = cv.merge(choices[["unique_id", "model"]], on=["unique_id", "model"], how="inner")
    return chosen.sort_values(["cutoff", "unique_id", "ds"], ignore_index=True)


def _level_sums(frame: pd.DataFrame, dims: pd.DataFrame, total_freq: str, values: list[str]) -> pd.DataFrame:
    """``level, key, period`` and the sums of ``values``: the whole bill and each dimension value, per period.

    Each series' period sums come first: the dimensions are joined to those, not to every day.
    """
    rows = frame[frame["unique_id"].isin(dims["unique_id"])]
    period = period_starts(rows["ds"], total_freq).rename("period")
    sums = rows.groupby([rows["unique_id"], period])[values].sum().reset_index()
    sums = sums.merge(dims, on="unique_id", how="inner")
    frames = [sums.groupby("period", as_index=False)[values].sum().assign(level="total", key="total")]
    for level in (c for c in dims.columns if c != "unique_id"):
        part = sums.groupby([sums[level].astype("str").rename("key"), "period"], as_index=False)[values].sum()
        frames.append(part.assign(level=level))
    return pd.concat(frames, ignore_index=True)


def backtest_totals(
    backtest: pd.DataFrame,
    history: pd.DataFrame,
    dims: pd.DataFrame,
    quantiles: Sequence[float],
    *,
    total_freq: str = "M",
    n_paths: int = 1000,
    dependence: Dependence | None = None,
    freq: str | None = None,
) -> pd.DataFrame:
    """Forecast the period totals from each backtest window and set them against the actual totals.

    Only periods the window covers to their end, and forecasts for at least half of their steps, are
    scored: a period mostly observed before the cutoff says little about the band of a period to come.
    The dependence used for a window is fitted on the windows that do not overlap it, so the bands are
    judged out of sample; without such windows (one window) it is fitted on the window itself, and the
    rows say so (``in_sample``).

    Args:
        backtest: The chosen models' backtest rows (:func:`chosen_backtest`).
        history: ``unique_id, ds, y``.
        dims: ``unique_id`` and the dimension columns.
        quantiles: The levels of the quantile columns.
        total_freq: ``M``, ``W`` or ``Q``.
        n_paths: Sample paths per window.
        dependence: With a single window, its already fitted :class:`Dependence` (series in the order of
            ``dims``), to skip fitting it again.
        freq: The series' frequency (counts the steps of a period; ``None`` infers it).

    Returns:
        ``cutoff, level, key, period, actual``, the quantiles and ``mean`` of the forecast total,
        ``sum_lower, sum_upper`` (the outer quantiles of the series added up: the naive band),
        ``forecast_share`` (of the period's steps) and ``in_sample``.
    """
    cols = quantile_columns(quantiles)
    ids = backtest["unique_id"].unique()
    dims = dims[dims["unique_id"].isin(ids)].reset_index(drop=True)
    history = history[history["unique_id"].isin(ids)]
    actual = _level_sums(history, dims, total_freq, ["y"]).rename(columns={"y": "actual"})
    cutoffs = sorted(backtest["cutoff"].unique())
    spans = backtest.groupby("cutoff")["ds"].agg(["min", "max"])
    rows = []
    for cutoff in cutoffs:
        window = backtest[backtest["cutoff"] == cutoff]
        if not _covers_a_period(pd.DatetimeIndex(window["ds"].unique()), total_freq):
            continue  # nothing to score: skip the sampling
        # Windows that share days with this one (--step-size below the horizon) hold its actuals.
        apart = spans.index[
            (spans["max"] < spans.loc[cutoff, "min"]) | (spans["min"] > spans.loc[cutoff, "max"])
        ]
        in_sample = len(apart) == 0
        others = window if in_sample else backtest[backtest["cutoff"].isin(apart)]
        reuse = dependence is not None and len(cutoffs) == 1  # the same window's fit, already at hand
        totals = BillTotals(quantiles, total_freq, n_paths, freq=freq).fit(None if reuse else others, dims)
        if reuse and dependence is not None:
            totals.dependence_ = dependence
        table = totals.predict(window, history[history["ds"] <= cutoff]).table
        table = table[(table["missing_steps"] == 0) & (table["forecast_steps"] >= table["observed_steps"])]
        if table.empty:
            continue
        naive = _level_sums(window, dims, total_freq, [cols[0], cols[-1]])
        naive = naive.rename(columns={cols[0]: "sum_lower", cols[-1]: "sum_upper"})
        table = table.merge(naive, on=["level", "key", "period"], how="left")
        table["sum_lower"] += table["actual_to_date"]
        table["sum_upper"] += table["actual_to_date"]
        table["forecast_share"] = table["forecast_steps"] / (
            table["forecast_steps"] + table["observed_steps"]
        )
        table = table.merge(actual, on=["level", "key", "period"], how="inner")
        rows.append(table.assign(cutoff=cutoff, in_sample=in_sample))
    if not rows:
        return pd.DataFrame()
    out = pd.concat(rows, ignore_index=True)
    return out[["cutoff", "level", "key", "period", "actual", *cols, "mean", "sum_lower", "sum_upper",
                "forecast_share", "in_sample"]]  # fmt: skip


def _covers_a_period(days: pd.DatetimeIndex, total_freq: str) -> bool:
    """Whether the window's days reach the end of one of the periods they touch."""
    if len(days) < 2:
        return False
    days = days.sort_values()
    last = days[-1] + (days[1] - days[0])
    starts = period_starts(days, total_freq).unique()
    return any(period_end(p, total_freq) <= last for p in starts)


def calibration_summary(scored: pd.DataFrame, quantiles: Sequence[float]) -> dict[str, Any]:
    """Coverage of the outer band and WQL of the totals, overall and per level.

    ``coverage``: share of backtest totals inside the outer band (P10-P90: goal 0.7-0.9);
    ``wql``: mean weighted quantile loss of the totals; ``sum_of_quantiles_coverage``: the same share for
    the band obtained by adding up the series' quantiles, for contrast.
    """
    from metrics.forecast import wql_loss

    cols = quantile_columns(quantiles)
    if scored.empty:
        return {"rows": 0, "note": "no period is scored: a backtest window must forecast at least half of a "
                "period's steps, to its end; a --horizon of half a period or more, with --backtest-windows "
                "reaching back over whole periods, gives some"}  # fmt: skip

    def measure(part: pd.DataFrame) -> dict[str, Any]:
        y = part["actual"].to_numpy(float)
        inside = (y >= part[cols[0]].to_numpy(float)) & (y <= part[cols[-1]].to_numpy(float))
        naive = (y >= part["sum_lower"].to_numpy(float)) & (y <= part["sum_upper"].to_numpy(float))
        wql = wql_loss(y, part[cols].to_numpy(float), quantiles=quantiles) if np.abs(y).sum() > 0 else None
        return {"rows": len(part), "coverage": float(inside.mean()), "wql": wql,
                "sum_of_quantiles_coverage": float(naive.mean())}  # fmt: skip

    out = measure(scored)
    out["band"] = f"{cols[0]}-{cols[-1]}"
    out["windows"] = int(scored["cutoff"].nunique())
    out["periods"] = sorted({f"{p:%Y-%m-%d}" for p in scored["period"]})
    out["min_forecast_share"] = round(float(scored["forecast_share"].min()), 3)
    in_sample = scored.drop_duplicates("cutoff")["in_sample"]
    out["in_sample"] = bool(in_sample.all())
    out["dependence"] = (
        "fitted on the same window (in-sample: no other window to fit it on)"
        if in_sample.all()
        else "fitted on the windows that do not overlap the scored one"
        if not in_sample.any()
        else f"fitted on the windows that do not overlap the scored one ({int(in_sample.sum())} in-sample)"
    )
    out["by_level"] = {str(level): measure(part) for level, part in scored.groupby("level", sort=False)}
    return out


def forecast_with_totals(
    forecaster: Forecaster, h: int, *, n_paths: int = 1000
) -> tuple[pd.DataFrame, RunTotals | None]:
    """Forecast ``h`` steps and the bill totals of every period they touch, each to its end.

    The one path of ``forecast run`` and the notebooks. The forecaster's one final forecast runs
    through the end of the last period (``Forecaster(total_freq=...)``, :meth:`Forecaster.closing_steps`);
    the forecasts returned are its first ``h`` steps, exactly ``forecaster.predict(h)``, and the totals
    add up all of it.

    Returns:
        The forecasts (``h`` steps per series) and the :class:`RunTotals`, or ``None`` with a
        :class:`~forecasting.errors.DataWarning` saying why when the run has no periods to total
        (``forecaster.totals_note_``).
    """
    from forecasting.errors import DataWarning

    forecasts = forecaster.predict(h)
    if forecaster.total_freq_ is None:
        warnings.warn(f"no bill totals: {forecaster.totals_note_}", DataWarning, stacklevel=2)
        return forecasts, None
    full = forecaster.predict(h, whole_periods=True)
    totals = run_totals(forecaster, full, total_freq=forecaster.total_freq_, n_paths=n_paths)
    return forecasts, dataclasses.replace(totals, horizon_end=pd.Timestamp(forecasts["ds"].max()))


def run_totals(
    forecaster: Forecaster, forecasts: pd.DataFrame, *, total_freq: str = "M", n_paths: int = 1000
) -> RunTotals:
    """The totals of a fitted run's forecasts and their calibration on its backtest windows."""
    start = time.perf_counter()
    quantiles = forecaster.quantiles_
    backtest = chosen_backtest(forecaster)
    dims = forecaster.dims_
    model = BillTotals(quantiles, total_freq, n_paths, freq=forecaster.freq_).fit(backtest, dims)
    result = model.predict(forecasts, forecaster.history_)
    calibration: dict[str, Any] = {"rows": 0, "note": "no backtest (n_windows = 0)"}
    if backtest is not None and len(backtest):
        # Half the paths: enough to tell whether an actual falls inside P10-P90, at half the time.
        # One window: its dependence is the one just fitted, when every series was backtested.
        same = backtest["cutoff"].nunique() == 1 and backtest["unique_id"].nunique() == len(dims)
        scored = backtest_totals(backtest, forecaster.history_, dims, quantiles, total_freq=total_freq,
                                 n_paths=max(n_paths // 2, 100), freq=forecaster.freq_,
                                 dependence=model.dependence_ if same else None)  # fmt: skip
        calibration = calibration_summary(scored, quantiles)
        calibration["backtest_windows"] = int(backtest["cutoff"].nunique())
    return RunTotals(result, calibration, time.perf_counter() - start, total_freq, None, tuple(quantiles))


def totals_report(totals: RunTotals, currency: str = "USD") -> str:
    """Printout lines: the whole bill per period with its band, and the calibration of the totals."""
    from forecasting.money import format_money

    table = totals.result.table
    cols = quantile_columns(totals.quantiles)
    lo, hi = cols[0], cols[-1]
    label = {"M": "%Y-%m", "W": "week of %Y-%m-%d", "Q": "quarter from %Y-%m"}[totals.total_freq]
    lines = []
    for _, row in table[table["level"] == "total"].iterrows():
        steps = int(row["observed_steps"] + row["forecast_steps"] + row["missing_steps"])
        gap = f"; {int(row['missing_steps'])} of its {steps} steps lie beyond the horizon, not included"
        gap = gap if row["missing_steps"] else ""
        beyond = (totals.result.daily["period"] == row["period"]) & (
            totals.result.daily["ds"] > (totals.horizon_end or pd.Timestamp.max)
        )
        extra = totals.result.daily.loc[beyond, "ds"].nunique()
        if extra:
            gap += f"; its last {extra} step(s) forecast beyond the horizon to close the period"
        middle, name = (row["p50"], "P50") if "p50" in row else (row["mean"], "mean")
        lines.append(
            f"bill total {row['period']:{label}}: {name} {format_money(middle)} "
            f"{currency} ({lo.upper()} {format_money(row[lo])} - {hi.upper()} {format_money(row[hi])}; "
            f"{format_money(row['actual_to_date'])} already observed{gap})"
        )
    cal = totals.calibration
    if cal.get("rows"):
        inside = round(cal["coverage"] * cal["rows"])
        wql = "n/a" if cal["wql"] is None else f"{cal['wql']:.4f}"
        windows = f"{cal['windows']} window(s)"
        if cal.get("backtest_windows", cal["windows"]) != cal["windows"]:
            windows = f"{cal['windows']} of {cal['backtest_windows']} windows scored"
        lines.append(
            f"totals backtest ({windows}, periods {', '.join(cal['periods'])}): {inside} of "
            f"{cal['rows']} totals inside {cal['band'].upper()} ({cal['coverage']:.0%}, goal 70-90%; adding "
            f"the series' bands: {cal['sum_of_quantiles_coverage']:.0%}), WQL {wql}"
            f"{'; in-sample: one window fits and scores the dependence' if cal.get('in_sample') else ''}"
            " (summary.json: totals)"
        )
    else:
        lines.append(f"totals backtest: {cal.get('note', 'no whole period in the backtest windows')}")
    return "\n".join(lines)
