"""Feature rows for the global LightGBM model: (series, forecast origin, step) -> scaled features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries import offsets

from forecasting.models._common import SeriesSet, offset_for

__all__ = ["Panel", "build_panel", "calendar_features", "feature_rows", "training_origins"]

# Scaled values are clipped to this magnitude: a spike over a near-zero recent level would otherwise
# give a squared-error booster one huge target that distorts every leaf it falls in.
CLIP = 50.0


def calendar_features(dates: pd.DatetimeIndex, freq: str) -> dict[str, np.ndarray]:
    """Calendar columns that make sense for the frequency.

    Daily: day of week, day of month, month, month start and month end. Hourly (and finer): hour and
    day of week. Weekly: ISO week and month. Monthly: month. Quarterly: quarter. Coarser: none.
    """
    offset = offset_for(freq)
    if isinstance(offset, offsets.Tick) and not isinstance(offset, offsets.Day):
        return {"hour": dates.hour.to_numpy(), "dayofweek": dates.day_of_week.to_numpy()}
    if isinstance(offset, offsets.Day | offsets.BusinessDay):
        return {
            "dayofweek": dates.day_of_week.to_numpy(),
            "day": dates.day.to_numpy(),
            "month": dates.month.to_numpy(),
            "month_start": np.asarray(dates.is_month_start, dtype=float),
            "month_end": np.asarray(dates.is_month_end, dtype=float),
        }
    if isinstance(offset, offsets.Week):
        return {"week": dates.isocalendar().week.to_numpy(dtype=float), "month": dates.month.to_numpy()}
    if isinstance(
        offset, offsets.MonthBegin | offsets.MonthEnd | offsets.SemiMonthBegin | offsets.SemiMonthEnd
    ):
        return {"month": dates.month.to_numpy()}
    if isinstance(offset, offsets.QuarterBegin | offsets.QuarterEnd):
        return {"quarter": dates.quarter.to_numpy()}
    return {}


@dataclass(frozen=True)
class Panel:
    """The series right-aligned in one matrix, with per-origin statistics.

    Attributes:
        values: ``(n_series, T)`` matrix, NaN before each series starts; column ``T - 1`` is every
            series' last observation.
        first: Column of each series' first observation.
        scale: ``(n_series, T)`` level used to scale features and targets at each origin: the mean
            absolute value over the last ``window`` points, else over all points so far, else 1.
        stats: Rolling statistics at each origin, each ``(n_series, T)``, already divided by ``scale``.
        season_length: Season length.
        lags: Number of recent values used as features.
    """

    values: np.ndarray
    first: np.ndarray
    scale: np.ndarray
    stats: dict[str, np.ndarray]
    season_length: int
    lags: int


def build_panel(series: SeriesSet, season_length: int, max_history: int | None) -> Panel:
    """Right-align the series (at most ``max_history`` recent points each) and compute rolling stats."""
    lengths = series.lengths()
    if max_history:
        lengths = np.minimum(lengths, max_history)
    width = int(lengths.max())
    values = np.full((len(series), width), np.nan)
    for i, y in enumerate(series):
        values[i, width - lengths[i] :] = y[len(y) - lengths[i] :]
    first = width - lengths
    m = max(int(season_length), 1)
    window = max(2 * m, 14) if m > 1 else 14
    frame = pd.DataFrame(values.T)
    abs_frame = frame.abs()
    recent = abs_frame.rolling(window, min_periods=1).mean().to_numpy().T
    overall = abs_frame.expanding(min_periods=1).mean().to_numpy().T
    scale = np.where(recent > 0, recent, np.where(overall > 0, overall, 1.0))
    scale = np.where(np.isfinite(scale), scale, 1.0)
    short = max(m, 7)
    previous = frame.shift(short).rolling(short, min_periods=1).mean().to_numpy().T
    stats = {
        "mean_short": frame.rolling(short, min_periods=1).mean().to_numpy().T,
        "mean_window": frame.rolling(window, min_periods=1).mean().to_numpy().T,
        "std_window": frame.rolling(window, min_periods=2).std().to_numpy().T,
        "min_window": frame.rolling(window, min_periods=1).min().to_numpy().T,
        "max_window": frame.rolling(window, min_periods=1).max().to_numpy().T,
    }
    stats["change_short"] = stats["mean_short"] - previous
    stats = {k: np.clip(v / scale, -CLIP, CLIP) for k, v in stats.items()}
    stats["zero_share"] = (frame == 0).astype(float).rolling(window, min_periods=1).mean().to_numpy().T
    stats["log_length"] = np.log1p(np.maximum(np.arange(width)[None, :] - first[:, None] + 1, 0)).astype(
        float
    )
    return Panel(values, first, scale, stats, m, lags=min(max(2 * m, 7), 28))


def training_origins(panel: Panel, h: int, max_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Forecast origins to learn from: evenly spaced back from each series' end, about ``max_rows`` rows.

    Every series contributes the same number of origins (its history permitting), so long series do
    not drown short ones; origins are spaced so that they cover the history rather than only its end.

    Returns:
        Series indices and origin columns, one entry per origin.
    """
    n, width = panel.values.shape
    per_series = max(1, max_rows // max(1, n * h))
    rows_i, rows_o = [], []
    for i in range(n):
        # An origin needs one observed point at or before it and a target after it.
        lo, hi = int(panel.first[i]), width - 2
        if hi < lo:
            continue
        count = min(per_series, hi - lo + 1)
        origins = np.unique(np.round(np.linspace(hi, lo, count)).astype(int))
        rows_i.append(np.full(len(origins), i))
        rows_o.append(origins)
    if not rows_i:
        return np.empty(0, dtype=int), np.empty(0, dtype=int)
    return np.concatenate(rows_i), np.concatenate(rows_o)


def feature_rows(
    panel: Panel,
    series_idx: np.ndarray,
    origins: np.ndarray,
    h: int,
    calendar: dict[str, np.ndarray],
    *,
    only_observed: bool,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """One row per (origin, step): scaled lags, seasonal lags of the target, rolling stats, calendar.

    Args:
        panel: The aligned series.
        series_idx: Series of each origin.
        origins: Origin column of each origin.
        h: Steps per origin.
        calendar: Calendar columns of shape ``(n_series, T + h)`` (column = position in the panel).
        only_observed: Keep only rows whose target column is inside the panel (training).

    Returns:
        The features, the scaled target (NaN beyond the panel), the scale and the row's series index.
    """
    width = panel.values.shape[1]
    m = panel.season_length
    step = np.tile(np.arange(1, h + 1), len(origins))
    i = np.repeat(series_idx, h)
    o = np.repeat(origins, h)
    target_col = o + step
    if only_observed:
        keep = target_col < width
        step, i, o, target_col = step[keep], i[keep], o[keep], target_col[keep]
    scale = panel.scale[i, o]

    def at(col: np.ndarray) -> np.ndarray:
        ok = (col >= 0) & (col < width)
        out = np.full(len(col), np.nan)
        out[ok] = panel.values[i[ok], col[ok]]
        return np.clip(out / scale, -CLIP, CLIP)

    features: dict[str, np.ndarray] = {"step": step.astype(float)}
    for lag in range(panel.lags):
        features[f"lag{lag}"] = at(o - lag)
    if m > 1:
        # The value at the target's phase one and two seasons back, the latest known at the origin.
        back = m * np.ceil(step / m).astype(int)
        features["season1"] = at(target_col - back)
        features["season2"] = at(target_col - back - m)
    for name, stat in panel.stats.items():
        features[name] = stat[i, o]
    for name, column in calendar.items():
        features[name] = column[i, target_col].astype(float)
    target = at(target_col) if only_observed else np.full(len(i), np.nan)
    return pd.DataFrame(features), target, scale, i
