"""Feature rows for the global LightGBM model: (series, forecast origin, step) -> scaled features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries import offsets

from forecasting.models._common import SeriesSet, offset_for

__all__ = ["Panel", "build_panel", "calendar_features", "feature_rows", "forecast_rows", "training_rows"]

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
    # The level change over the longer window: slow growth that a week-on-week change hides in noise.
    stats["change_window"] = (
        stats["mean_window"] - frame.shift(window).rolling(window, min_periods=1).mean().to_numpy().T
    )
    # A scale near the smallest float (a series of subnormal values) overflows the division to inf,
    # which the clip turns into the bound it would have reached anyway.
    with np.errstate(over="ignore"):
        stats = {k: np.clip(v / scale, -CLIP, CLIP) for k, v in stats.items()}
    stats["zero_share"] = (frame == 0).astype(float).rolling(window, min_periods=1).mean().to_numpy().T
    stats["log_length"] = np.log1p(np.maximum(np.arange(width)[None, :] - first[:, None] + 1, 0)).astype(
        float
    )
    return Panel(values, first, scale, stats, m, lags=min(max(2 * m, 7), 28))


def training_rows(
    panel: Panel, h: int, max_rows: int, steps_per_origin: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (series, origin, step) triples to learn from, about ``max_rows`` of them.

    Every series contributes the same number of origins (its history permitting), so long series do not
    drown short ones, evenly spaced back from its end so that they cover the history. Each origin
    contributes ``steps_per_origin`` of its ``h`` steps, drawn at random: neighbouring steps of one
    origin are nearly the same example, so spending the row budget on more origins teaches more.
    Targets past the end of the history are left out.

    Returns:
        Series index, origin column and step of each row.
    """
    n, width = panel.values.shape
    k = int(min(h, max(1, steps_per_origin)))
    per_series = max(1, max_rows // max(1, n * k))
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
        empty = np.empty(0, dtype=int)
        return empty, empty, empty
    series_idx, origins = np.concatenate(rows_i), np.concatenate(rows_o)
    # k distinct steps per origin: the first k of a random permutation of 1..h (argsort of uniforms).
    steps = np.argsort(rng.random((len(origins), h)), axis=1)[:, :k] + 1
    rows_series, rows_origin, rows_step = np.repeat(series_idx, k), np.repeat(origins, k), steps.reshape(-1)
    keep = rows_origin + rows_step < width
    return rows_series[keep], rows_origin[keep], rows_step[keep]


def forecast_rows(panel: Panel, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows to predict: every series from its last point, steps ``1..h``."""
    n, width = panel.values.shape
    return np.repeat(np.arange(n), h), np.full(n * h, width - 1), np.tile(np.arange(1, h + 1), n)


def feature_rows(
    panel: Panel,
    i: np.ndarray,
    o: np.ndarray,
    step: np.ndarray,
    calendar: dict[str, np.ndarray],
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """One row per (series ``i``, origin ``o``, step): scaled lags, seasonal lags, rolling stats, calendar.

    Args:
        panel: The aligned series.
        i: Series of each row.
        o: Origin column of each row.
        step: Steps ahead of each row.
        calendar: Calendar columns of shape ``(n_series, T + h)`` (column = position in the panel).

    Returns:
        The features, the scaled target (NaN beyond the panel) and the scale of each row.
    """
    width = panel.values.shape[1]
    m = panel.season_length
    target_col = o + step
    scale = panel.scale[i, o]

    def at(col: np.ndarray) -> np.ndarray:
        ok = (col >= 0) & (col < width)
        out = np.full(len(col), np.nan)
        out[ok] = panel.values[i[ok], col[ok]]
        with np.errstate(over="ignore"):  # as in build_panel: the clip bounds an overflow
            return np.clip(out / scale, -CLIP, CLIP)

    features: dict[str, np.ndarray] = {"step": step.astype(float)}
    for lag in range(panel.lags):
        features[f"lag{lag}"] = at(o - lag)
    if m > 1:
        # The value at the target's phase one and two seasons back, the latest known at the origin.
        back = m * np.ceil(step / m).astype(int)
        features["season1"] = at(target_col - back)
        features["season2"] = at(target_col - back - m)
        # Same phase averaged over four seasons: the seasonal shape with a quarter of the noise.
        with np.errstate(all="ignore"):
            phase = np.column_stack([at(target_col - back - k * m) for k in range(4)])
            counts = np.isfinite(phase).sum(axis=1)
            sums = np.where(np.isfinite(phase), phase, 0.0).sum(axis=1)
            features["season_mean"] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    for name, stat in panel.stats.items():
        features[name] = stat[i, o]
    for name, column in calendar.items():
        features[name] = column[i, target_col].astype(float)
    return pd.DataFrame(features), at(target_col), scale
