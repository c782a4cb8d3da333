"""Cost anomalies: periods a rolling one-step-ahead forecast finds unlikely, costly, and grouped by date.

For every period ``t`` of every series the forecast uses only the periods before ``t``:

1. Candidate point forecasts, each a median so that one past spike does not move it:

   * ``level``: the median of the last 4 values (series without a usable season);
   * ``seasonal``: the median of the values 1, 2, 3 and 4 seasons back (same weekday for daily data);
   * ``seasonal + monthly`` (daily data only): the seasonal forecast plus the median of what the
     seasonal forecast missed on the same day 1, 2 and 3 months back (0 for a month before the
     series), which is what month-start fees, support charges and monthly tax look like: a charge seen
     in two of those months is learned, a one-day spike is not.

2. Per series and period, the candidate with the lowest mean absolute error over the trailing window
   is used (ties to the later one): a rolling, causal version of choosing a model by backtest.
3. The one-step-ahead predictive distribution is that candidate plus its errors over the trailing
   window: the median forecast ``p50`` is the candidate plus the median error, the band (``p10``,
   ``p90``) the empirical quantiles, widened to at least ``min_deviation`` of the forecast so that
   near-deterministic series do not flag cent-sized wobbles; a series that has never been negative so
   far gets no forecast below zero. The spread is the errors' interquartile range over 1.349 (the
   standard deviation for normal errors, and robust to the spikes it is meant to find), on each side
   at least what the band implies (``(p90 - p50) / 1.2816`` above, as costs are skewed: a long upper
   tail is normal for them) and at least ``min_deviation / threshold`` of the forecast.

A period on which no series has any row, or on which at least half of the series that had a cost in
the week before (two at least) are exactly zero, is a gap in the export, not a day without cost:
``forecast prepare`` fills a day missing from the export with zeros, while charges spread over the
month still show. Those zeros are neither flagged nor used by later forecasts.

A period is an anomaly when it is both unlikely and costly, as an alert should be (Amazon Lookout for
Metrics flags rare events; a P10-P90 band alone is left by one period in five):

* its robust z-score ``zscore = (y - p50) / spread`` is at least ``threshold`` (3.5, the modified
  z-score cut-off of Iglewicz and Hoaglin; about 1 in 4,300 on each side for normal errors), and
* its ``impact = y - p50`` is at least ``min_impact`` in currency, by default a quarter of the series'
  typical period (the median absolute value over the trailing window) and never less than one cent.

``severity`` (0-100) grows with both: ``100 * (1 - exp(-|z| / threshold)) * (1 - exp(-|impact| /
typical))``. At the threshold the first factor is 0.63, at twice 0.86; an impact of one typical period
gives 0.63, three 0.95. An impact of zero gives severity 0, and 100 needs an impact of more than seven
typical periods. Rows are sorted by severity, then impact.

Flagged periods are grouped by date (``date_rank``, 1 for the date with the most severe anomaly) and
:func:`impact_analysis` says, per date, which values of each dimension (service, account...) explain
the deviation and their share of it: Lookout for Metrics' impact analysis.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import NamedTuple

import numpy as np
import pandas as pd

from forecasting.errors import DataError
from forecasting.options import IMPACT_FLOOR, IMPACT_SHARE
from forecasting.quantiles import quantile_column, validate_quantiles
from forecasting.validation import validate_series

__all__ = [
    "AnomalySettings",
    "Band",
    "IMPACT_FLOOR",
    "IMPACT_SHARE",
    "MIN_ERRORS",
    "detect_anomalies",
    "impact_analysis",
    "rolling_band",
]

# Two weeks of daily errors: fewer make the quantiles of the errors a guess.
MIN_ERRORS = 14
# Interquartile range of the standard normal distribution (2 * 0.6745): IQR / 1.349 estimates sigma.
IQR_PER_SIGMA = 1.349
# A spread of zero (a flat fee) makes any change infinitely unlikely; the z-score is capped for output.
MAX_Z = 1000.0


@dataclass(frozen=True)
class AnomalySettings:
    """How the rolling forecast is built and what is flagged.

    Attributes:
        season_length: Periods per season (7 for daily data).
        quantiles: The band's lower and upper levels (reported as columns, e.g. ``p10, p90``).
        window: Trailing periods for the error quantiles and the candidate choice; default 8 seasons,
            between 28 and 120 periods.
        min_deviation: Never flag within this fraction of the forecast.
        min_severity: Flagged periods below this severity are not reported.
        threshold: Flag from this robust z-score on (both directions).
        min_impact: Flag only from this absolute impact on, in currency; None for a quarter of the
            series' typical period, at least one cent.
    """

    season_length: int = 7
    quantiles: tuple[float, float] = (0.1, 0.9)
    window: int | None = None
    min_deviation: float = 0.05
    min_severity: float = 0.0
    threshold: float = 3.5
    min_impact: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.season_length, bool) or int(self.season_length) != self.season_length:
            raise DataError(f"season_length must be a positive integer; got {self.season_length!r}")
        if self.season_length < 1:
            raise DataError(f"season_length must be a positive integer; got {self.season_length!r}")
        if len(self.quantiles) != 2:
            raise DataError(f"the band needs two quantiles (lower, upper); got {list(self.quantiles)}")
        validate_quantiles(self.quantiles)
        if not self.quantiles[0] < 0.5 < self.quantiles[1]:
            raise DataError(
                f"the band's quantiles must straddle 0.5, e.g. 0.1,0.9; got {list(self.quantiles)}"
            )
        if self.window is not None and self.window < 4:
            raise DataError(f"window must be at least 4 periods; got {self.window}")
        if not 0.0 <= self.min_deviation < 1.0:
            raise DataError(f"min_deviation is a fraction in [0, 1); got {self.min_deviation}")
        if not 0.0 <= self.min_severity <= 100.0:
            raise DataError(f"min_severity lies between 0 and 100; got {self.min_severity}")
        if not np.isfinite(self.threshold) or self.threshold <= 0:
            raise DataError(f"threshold is a positive z-score such as 3.5; got {self.threshold}")
        if self.min_impact is not None and not (np.isfinite(self.min_impact) and self.min_impact >= 0):
            raise DataError(f"min_impact is an amount of 0 or more, in currency; got {self.min_impact}")

    @property
    def trailing(self) -> int:
        """The trailing window in periods."""
        return self.window or int(np.clip(8 * self.season_length, 28, 120))

    @property
    def min_errors(self) -> int:
        """Past errors a candidate needs before its band is trusted."""
        return min(self.trailing, MIN_ERRORS)

    @property
    def warmup(self) -> int:
        """Periods of history before the first period can be judged (four lags, then ``min_errors``)."""
        return 4 + self.min_errors


class Band(NamedTuple):
    """The one-step-ahead predictive distribution of every period of a ``(series, time)`` matrix."""

    lower: np.ndarray
    median: np.ndarray
    upper: np.ndarray
    spread_down: np.ndarray
    spread_up: np.ndarray
    typical: np.ndarray


def _lagged(values: np.ndarray, lag: int) -> np.ndarray:
    """``values`` shifted ``lag`` periods later along time (axis 1), NaN where nothing precedes."""
    out = np.full_like(values, np.nan)
    if lag < values.shape[1]:
        out[:, lag:] = values[:, : values.shape[1] - lag]
    return out


def _median_of(stack: list[np.ndarray], least: int = 1) -> np.ndarray:
    """Median over the stacked arrays ignoring NaN, NaN where fewer than ``least`` values exist."""
    values = np.stack(stack)
    with warnings.catch_warnings():
        # All-NaN columns (the first periods of a series) are expected and stay NaN.
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(values, axis=0)
    return np.where(np.isfinite(values).sum(axis=0) >= least, median, np.nan)


def _months_back(values: np.ndarray, grid: pd.DatetimeIndex, months: int) -> np.ndarray:
    """Each column replaced by the one of the same day ``months`` earlier (clipped to shorter months)."""
    pos = grid.get_indexer(grid - pd.DateOffset(months=months))
    out = np.full_like(values, np.nan)
    ok = pos >= 0
    out[:, ok] = values[:, pos[ok]]
    return out


def _candidates(values: np.ndarray, grid: pd.DatetimeIndex, freq: str, season: int) -> dict[str, np.ndarray]:
    # Level and seasonal medians need three of their four lags: a median of one or two, early in a
    # series, is a noisy value and would poison the monthly term built on its errors; one missing lag
    # (a gap in the export) is tolerated. A month without history counts as "no monthly effect" (0) in
    # the monthly median: a charge seen in two of the three months is learned, a one-day spike a month
    # ago is not, which would otherwise make the same day of the next month look like a drop.
    out = {"level": _median_of([_lagged(values, k) for k in range(1, 5)], least=3)}
    if season > 1:
        seasonal = _median_of([_lagged(values, k * season) for k in range(1, 5)], least=3)
        out["seasonal"] = seasonal
        if freq == "D":
            missed = values - seasonal
            monthly = _median_of([np.nan_to_num(_months_back(missed, grid, m)) for m in (1, 2, 3)])
            out["seasonal_monthly"] = seasonal + monthly
    return out


def _trailing(frame: np.ndarray, window: int, min_periods: int, stat: str, q: float = 0.5) -> np.ndarray:
    """A trailing statistic over time of each row, ending the period before (causal), NaN in warm-up."""
    rolling = pd.DataFrame(frame.T).rolling(window, min_periods=min_periods)
    result = rolling.mean() if stat == "mean" else rolling.quantile(q)
    return _lagged(result.to_numpy().T, 1)


def rolling_band(values: np.ndarray, grid: pd.DatetimeIndex, freq: str, settings: AnomalySettings) -> Band:
    """One-step-ahead forecast distribution of every period of a ``(series, time)`` matrix.

    Args:
        values: Series in rows, periods in columns, NaN outside each series' span.
        grid: The timestamps of the columns.
        freq: The frequency (``D`` enables the monthly candidate).
        settings: Season, band quantiles, window, minimum width and threshold.

    Returns:
        A :class:`Band` of arrays of the shape of ``values``: the band's ``lower`` and ``upper``
        quantiles, the ``median`` forecast, the robust spread of the errors below and above it
        (``spread_down``, ``spread_up``) and the ``typical`` period (median absolute value over the
        trailing window). NaN while the history is too short:
        until the level and (when the series is long enough for it) the seasonal candidate have a
        trailing error, so that a period is never judged by a forecast that only knows a few days.
    """
    window, least = settings.trailing, settings.min_errors
    levels = (settings.quantiles[0], 0.25, 0.5, 0.75, settings.quantiles[1])
    best_err = np.full(values.shape, np.inf)
    ready = np.ones(values.shape, dtype=bool)
    chosen = [np.full(values.shape, np.nan) for _ in levels]
    for name, point in _candidates(values, grid, freq, settings.season_length).items():
        errors = values - point
        mae = _trailing(np.abs(errors), window, least, "mean")
        if name != "seasonal_monthly":
            # A candidate the series will have must be ready; the monthly one only joins when it is.
            has = np.isfinite(mae)
            ready &= has | ~has.any(axis=1, keepdims=True)
        stats = [point + _trailing(errors, window, least, "quantile", q) for q in levels]
        # Ties go to the later, richer candidate: it differs only where it has just learned something (a
        # month-start charge seen twice), and it is right there while the others miss.
        better = np.isfinite(mae) & np.isfinite(stats[0]) & np.isfinite(stats[-1]) & (mae <= best_err)
        best_err = np.where(better, mae, best_err)
        chosen = [np.where(better, new, old) for new, old in zip(stats, chosen, strict=True)]
    lower, q25, median, q75, upper = (np.where(ready, a, np.nan) for a in chosen)
    # A series that has never gone below zero (cost without credits) gets no forecast below zero.
    seen_min = _lagged(np.fmin.accumulate(np.where(np.isnan(values), np.inf, values), axis=1), 1)
    never_negative = seen_min >= 0
    median = np.where(never_negative, np.maximum(median, 0.0), median)
    # Each side's spread is the larger of the interquartile one and the band's own (skewed costs have a
    # long upper tail); its floor makes |z| >= threshold imply a deviation of at least min_deviation.
    z_lo, z_hi = (abs(NormalDist().inv_cdf(q)) for q in settings.quantiles)
    floor = settings.min_deviation * np.abs(median)
    sigma = np.maximum((q75 - q25) / IQR_PER_SIGMA, floor / settings.threshold)
    spread_down = np.maximum(sigma, (median - lower) / z_lo)
    spread_up = np.maximum(sigma, (upper - median) / z_hi)
    lower, upper = np.minimum(lower, median - floor), np.maximum(upper, median + floor)
    lower = np.where(never_negative, np.maximum(lower, 0.0), lower)
    typical = _trailing(np.abs(values), window, least, "quantile", 0.5)
    return Band(lower, median, upper, spread_down, spread_up, typical)


def _export_gaps(values: np.ndarray, reported_pos: np.ndarray) -> np.ndarray:
    """Mask of the values that are gaps in the export rather than real zero costs (see the module doc)."""
    reported = np.zeros(values.shape[1], dtype=bool)
    reported[reported_pos] = True
    recent = pd.DataFrame(np.abs(values).T).rolling(7, min_periods=1).max().to_numpy().T
    active = _lagged(recent, 1) > 0
    dropped = active & (values == 0.0)
    n_active = active.sum(axis=0)
    gap = (dropped.sum(axis=0) >= np.maximum(2, 0.5 * n_active)) & (n_active >= 2)
    return (dropped & gap[None, :]) | ~reported[None, :]


def detect_anomalies(
    df: pd.DataFrame, *, freq: str = "D", settings: AnomalySettings | None = None, since: str | None = None
) -> pd.DataFrame:
    """Flag the periods that are unlikely under the rolling one-step-ahead forecast and cost enough.

    Args:
        df: Long frame ``unique_id, ds, y`` (dimension columns such as ``service`` are carried over).
        freq: Frequency of the series.
        settings: Forecast, threshold and reporting settings; defaults to :class:`AnomalySettings`.
        since: Report only periods on or after this date.

    Returns:
        ``unique_id``, the dimension columns, ``ds, y``, the band (``p10, p50, p90`` named from the
        quantiles), ``severity`` (0-100), ``impact`` (``y - p50``), ``zscore`` (robust, capped at
        +-1000) and ``date_rank`` (1 for the date of the most severe anomaly); sorted by severity, then
        impact, largest first.

    Raises:
        DataError: On an invalid frame or settings.
    """
    settings = settings or AnomalySettings()
    valid = validate_series(df, freq=freq)
    hist = valid.df
    grid = pd.date_range(hist["ds"].min(), hist["ds"].max(), freq=valid.freq)
    codes, ids = pd.factorize(hist["unique_id"], sort=True)
    pos = grid.get_indexer(pd.DatetimeIndex(hist["ds"]))
    values = np.full((len(ids), len(grid)), np.nan)
    values[codes, pos] = hist["y"].to_numpy()
    values[_export_gaps(values, pos[~valid.filled])] = np.nan
    base = str(valid.freq).split("-")[0]
    band = rolling_band(values, grid, base, settings)
    lo, mid, hi, down, up, typical = (a[codes, pos] for a in band)
    impact = hist["y"].to_numpy() - mid
    spread = np.where(impact < 0, down, up)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(spread > 0, impact / spread, np.sign(impact) * MAX_Z)
    z = np.clip(z, -MAX_Z, MAX_Z)
    typical = np.maximum(np.nan_to_num(typical), IMPACT_FLOOR)
    least = (
        settings.min_impact
        if settings.min_impact is not None
        else np.maximum(IMPACT_SHARE * typical, IMPACT_FLOOR)
    )
    severity = (
        100.0 * (1.0 - np.exp(-np.abs(z) / settings.threshold)) * (1.0 - np.exp(-np.abs(impact) / typical))
    )
    flagged = (
        np.isfinite(mid)
        & np.isfinite(values[codes, pos])
        & (np.abs(z) >= settings.threshold)
        & (np.abs(impact) >= least)
        & (severity >= settings.min_severity)
    )
    if since is not None:
        flagged &= (hist["ds"] >= pd.Timestamp(since)).to_numpy()
    cols = [quantile_column(q) for q in (settings.quantiles[0], 0.5, settings.quantiles[1])]
    out = hist.loc[flagged, ["unique_id", "ds", "y"]].copy()
    for col, arr in zip(cols, (lo, mid, hi), strict=True):
        out[col] = arr[flagged]
    out["severity"] = np.round(severity[flagged], 1)
    out["impact"] = impact[flagged]
    out["zscore"] = np.round(z[flagged], 2)
    out["date_rank"] = _date_rank(out)
    if valid.dims.shape[1] > 1:
        out = out.merge(valid.dims, on="unique_id", how="left", validate="many_to_one")
        dims = [c for c in valid.dims.columns if c != "unique_id"]
        out = out[["unique_id", *dims, *[c for c in out.columns if c not in dims and c != "unique_id"]]]
    return out.sort_values(["severity", "impact"], ascending=False, ignore_index=True, kind="stable")


def _date_rank(flagged: pd.DataFrame) -> np.ndarray:
    """Rank of each row's date: by its most severe anomaly, then its total absolute impact."""
    if flagged.empty:
        return np.zeros(0, dtype="int64")
    dates = flagged.assign(abs_impact=flagged["impact"].abs()).groupby("ds")[["severity", "abs_impact"]]
    order = dates.agg({"severity": "max", "abs_impact": "sum"}).sort_values(
        ["severity", "abs_impact"], ascending=False, kind="stable"
    )
    rank = pd.Series(np.arange(1, len(order) + 1), index=order.index)
    return rank.loc[flagged["ds"]].to_numpy()


def impact_analysis(
    anomalies: pd.DataFrame, *, dimensions: Sequence[str] | None = None, top: int = 3
) -> pd.DataFrame:
    """Per anomalous date, the values of each dimension that explain its deviation, and their share.

    This is the impact analysis of Amazon Lookout for Metrics: on 2025-03-14, AWS Lambda explains 100 %
    of the unexpected cost and account 555566667777 100 %; on a date with two flagged series, each
    value's share is its part of the date's total absolute impact.

    Args:
        anomalies: The output of :func:`detect_anomalies`.
        dimensions: Columns to break the impact down by; default the dimension columns of ``anomalies``
            (the text columns other than ``unique_id``), or ``unique_id`` when there are none.
        top: Values reported per date and dimension, largest share first.

    Returns:
        One row per date, dimension and value: ``date_rank, ds, severity`` (the date's highest),
        ``impact`` (the date's total), ``series`` (flagged on that date), ``dimension, value``,
        ``value_impact`` and ``share`` (0-1 of the date's absolute impact); sorted by date rank.

    Raises:
        DataError: If a dimension is not a column of ``anomalies`` or ``top`` is below 1.
    """
    if top < 1:
        raise DataError(f"top must be at least 1; got {top}")
    if dimensions is None:
        reserved = {"unique_id", "ds"}
        dimensions = [
            c for c in anomalies.columns
            if c not in reserved and not pd.api.types.is_numeric_dtype(anomalies[c])
        ] or ["unique_id"]  # fmt: skip
    missing = [d for d in dimensions if d not in anomalies.columns]
    if missing:
        raise DataError(
            f"impact_analysis: no column {missing} in the anomalies; choose from {list(anomalies.columns)}"
        )
    columns = [
        "date_rank",
        "ds",
        "severity",
        "impact",
        "series",
        "dimension",
        "value",
        "value_impact",
        "share",
    ]
    if anomalies.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    flagged = anomalies.assign(abs_impact=anomalies["impact"].abs())
    dates = flagged.groupby("ds").agg(
        date_rank=("date_rank", "first"), severity=("severity", "max"), impact=("impact", "sum"),
        series=("unique_id", "nunique"), total=("abs_impact", "sum"),
    )  # fmt: skip
    parts = []
    for dimension in dimensions:
        by_value = flagged.groupby(["ds", dimension], observed=True).agg(
            value_impact=("impact", "sum"), abs_impact=("abs_impact", "sum")
        )
        by_value = by_value.reset_index(dimension).rename(columns={dimension: "value"}).join(dates)
        by_value["share"] = by_value["abs_impact"] / by_value["total"].where(by_value["total"] > 0)
        by_value["dimension"] = dimension
        by_value["value"] = by_value["value"].astype(str)
        parts.append(by_value.reset_index())
    table = pd.concat(parts, ignore_index=True)
    table["order"] = table["dimension"].map({d: k for k, d in enumerate(dimensions)})
    table = table.sort_values(["date_rank", "order", "share"], ascending=[True, True, False], kind="stable")
    table = table.groupby(["date_rank", "order"], sort=False).head(top)
    return table[columns].reset_index(drop=True)
