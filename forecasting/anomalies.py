"""Cost anomalies: periods outside the band of a rolling one-step-ahead forecast, scored and sorted by impact.

For every period ``t`` of every series the forecast uses only the periods before ``t``:

1. Candidate point forecasts, each a median so that one past spike does not move it:

   * ``level``: the median of the last 4 values (series without a usable season);
   * ``seasonal``: the median of the values 1, 2, 3 and 4 seasons back (same weekday for daily data);
   * ``seasonal + monthly`` (daily data only): the seasonal forecast plus the median of what the
     seasonal forecast missed on the same day 1, 2 and 3 months back, which is what month-start fees,
     support charges and monthly tax look like.

2. Per series and period, the candidate with the lowest mean absolute error over the trailing window
   is used: a rolling, causal version of choosing a model by backtest.
3. The band is the forecast plus the empirical ``lower``/``upper`` quantiles (P10/P90) of that
   candidate's errors over the trailing window, widened to at least ``min_deviation`` of the forecast
   so that near-deterministic series do not flag cent-sized wobbles; a series that has never been
   negative so far gets no band below zero.

A period on which no series has any row, or on which at least half of the series that had a cost in
the week before (two at least) are exactly zero, is a gap in the export, not a day without cost:
``forecast prepare`` fills a day missing from the export with zeros, while charges spread over the
month still show. Those zeros are neither flagged nor used by later forecasts.

A period is flagged when its actual value falls outside the band. Its ``impact`` is the actual minus
the median forecast, in currency; its ``severity`` (0-100) is ``100 * (1 - exp(-excess / width))``,
where ``excess`` is the distance outside the band and ``width`` the band's width: half a band width
outside scores 39, one band width 63, three 95. Rows are sorted by impact, largest extra cost first,
because unexpected spend is what a cost review acts on; drops (negative impact) follow.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.errors import DataError
from forecasting.quantiles import quantile_column, validate_quantiles
from forecasting.validation import validate_series

__all__ = ["AnomalySettings", "detect_anomalies", "rolling_band", "MIN_ERRORS"]

# Two weeks of daily errors: fewer make the P10/P90 of the errors a guess.
MIN_ERRORS = 14


@dataclass(frozen=True)
class AnomalySettings:
    """How the rolling band is built and what is reported.

    Attributes:
        season_length: Periods per season (7 for daily data).
        quantiles: The band's lower and upper levels.
        window: Trailing periods for the error quantiles and the candidate choice; default 8 seasons,
            between 28 and 120 periods.
        min_deviation: The band is at least this fraction of the forecast wide on each side.
        min_severity: Flagged periods below this severity are not reported.
    """

    season_length: int = 7
    quantiles: tuple[float, float] = (0.1, 0.9)
    window: int | None = None
    min_deviation: float = 0.05
    min_severity: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.season_length, bool) or int(self.season_length) != self.season_length:
            raise DataError(f"season_length must be a positive integer; got {self.season_length!r}")
        if self.season_length < 1:
            raise DataError(f"season_length must be a positive integer; got {self.season_length!r}")
        if len(self.quantiles) != 2:
            raise DataError(f"the band needs two quantiles (lower, upper); got {list(self.quantiles)}")
        validate_quantiles(self.quantiles)
        if self.window is not None and self.window < 4:
            raise DataError(f"window must be at least 4 periods; got {self.window}")
        if not 0.0 <= self.min_deviation < 1.0:
            raise DataError(f"min_deviation is a fraction in [0, 1); got {self.min_deviation}")
        if not 0.0 <= self.min_severity <= 100.0:
            raise DataError(f"min_severity lies between 0 and 100; got {self.min_severity}")

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
    # (a gap in the export) is tolerated.
    out = {"level": _median_of([_lagged(values, k) for k in range(1, 5)], least=3)}
    if season > 1:
        seasonal = _median_of([_lagged(values, k * season) for k in range(1, 5)], least=3)
        out["seasonal"] = seasonal
        if freq == "D":
            missed = values - seasonal
            monthly = _median_of([_months_back(missed, grid, m) for m in (1, 2, 3)])
            out["seasonal_monthly"] = seasonal + monthly
    return out


def _trailing(frame: np.ndarray, window: int, min_periods: int, stat: str, q: float = 0.5) -> np.ndarray:
    """A trailing statistic over time of each row, ending the period before (causal), NaN in warm-up."""
    rolling = pd.DataFrame(frame.T).rolling(window, min_periods=min_periods)
    result = rolling.mean() if stat == "mean" else rolling.quantile(q)
    return _lagged(result.to_numpy().T, 1)


def rolling_band(
    values: np.ndarray, grid: pd.DatetimeIndex, freq: str, settings: AnomalySettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-step-ahead median forecast and band of every period of a ``(series, time)`` matrix.

    Args:
        values: Series in rows, periods in columns, NaN outside each series' span.
        grid: The timestamps of the columns.
        freq: The frequency (``D`` enables the monthly candidate).
        settings: Season, band quantiles, window and minimum width.

    Returns:
        ``(lower, median, upper)`` of the same shape; NaN while the history is too short: until the
        level and (when the series is long enough for it) the seasonal candidate have a trailing error,
        so that a period is never judged by a forecast that only knows a few days.
    """
    window = settings.trailing
    best_err = np.full(values.shape, np.inf)
    ready = np.ones(values.shape, dtype=bool)
    median, lower, upper = (np.full(values.shape, np.nan) for _ in range(3))
    for name, point in _candidates(values, grid, freq, settings.season_length).items():
        errors = values - point
        mae = _trailing(np.abs(errors), window, settings.min_errors, "mean")
        if name != "seasonal_monthly":
            # A candidate the series will have must be ready; the monthly one only joins when it is.
            has = np.isfinite(mae)
            ready &= has | ~has.any(axis=1, keepdims=True)
        lo = point + _trailing(errors, window, settings.min_errors, "quantile", settings.quantiles[0])
        hi = point + _trailing(errors, window, settings.min_errors, "quantile", settings.quantiles[1])
        better = np.isfinite(mae) & np.isfinite(lo) & np.isfinite(hi) & (mae < best_err)
        best_err = np.where(better, mae, best_err)
        median, lower, upper = (
            np.where(better, new, old) for new, old in ((point, median), (lo, lower), (hi, upper))
        )
    median, lower, upper = (np.where(ready, a, np.nan) for a in (median, lower, upper))
    floor = settings.min_deviation * np.abs(median)
    lower, upper = np.minimum(lower, median - floor), np.maximum(upper, median + floor)
    # A series that has never gone below zero (cost without credits) gets no band below zero.
    seen_min = _lagged(np.fmin.accumulate(np.where(np.isnan(values), np.inf, values), axis=1), 1)
    lower = np.where(seen_min >= 0, np.maximum(lower, 0.0), lower)
    return lower, median, upper


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
    """Flag the periods whose actual value falls outside the rolling one-step-ahead band.

    Args:
        df: Long frame ``unique_id, ds, y`` (dimension columns such as ``service`` are carried over).
        freq: Frequency of the series.
        settings: Band and reporting settings; defaults to :class:`AnomalySettings`.
        since: Report only periods on or after this date.

    Returns:
        ``unique_id``, the dimension columns, ``ds, y``, the band (``p10, p50, p90`` named from the
        quantiles), ``severity`` (0-100) and ``impact`` (``y - p50``), sorted by impact, largest first.

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
    lower, median, upper = rolling_band(values, grid, base, settings)
    lo, hi = (lower[codes, pos], upper[codes, pos])
    mid = median[codes, pos]
    y = hist["y"].to_numpy()
    width = np.maximum(hi - lo, 1e-9)
    excess = np.where(y > hi, y - hi, np.where(y < lo, lo - y, 0.0))
    severity = 100.0 * (1.0 - np.exp(-excess / width))
    flagged = (
        np.isfinite(mid)
        & np.isfinite(values[codes, pos])
        & (excess > 0)
        & (severity >= settings.min_severity)
    )
    if since is not None:
        flagged &= (hist["ds"] >= pd.Timestamp(since)).to_numpy()
    cols = [quantile_column(q) for q in (settings.quantiles[0], 0.5, settings.quantiles[1])]
    out = hist.loc[flagged, ["unique_id", "ds", "y"]].copy()
    for col, arr in zip(cols, (lo, mid, hi), strict=True):
        out[col] = arr[flagged]
    out["severity"] = np.round(severity[flagged], 1)
    out["impact"] = (y - mid)[flagged]
    if valid.dims.shape[1] > 1:
        out = out.merge(valid.dims, on="unique_id", how="left", validate="many_to_one")
        dims = [c for c in valid.dims.columns if c != "unique_id"]
        out = out[["unique_id", *dims, *[c for c in out.columns if c not in dims and c != "unique_id"]]]
    return out.sort_values(["impact", "severity"], ascending=False, ignore_index=True, kind="stable")
