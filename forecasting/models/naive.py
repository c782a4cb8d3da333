"""Naive forecast (repeat the last value) with quantiles from empirical k-step residuals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd

from forecasting.models._common import (
    SeriesSet,
    check_fitted,
    check_horizon,
    make_forecast_frame,
    split_series,
)
from forecasting.quantiles import validate_quantiles

__all__ = ["MIN_RESIDUALS", "Naive", "predict_seasonal_naive", "residual_band", "seasonal_naive_forecast"]

# Fewer k-step residuals than this give too noisy an empirical quantile; the band then falls back to
# the shortest-lag residuals scaled by sqrt(k / base_lag), the random-walk rule.
MIN_RESIDUALS = 10


def residual_band(
    y: np.ndarray, lags: np.ndarray, quantiles: Sequence[float], base_lag: int = 1
) -> np.ndarray:
    """Empirical quantiles of the in-sample errors of "copy the value ``lag`` steps back".

    For horizon step ``j`` the naive forecast copies the value ``lags[j]`` steps before the target, so
    its error distribution is that of ``y[t] - y[t - lags[j]]`` over the history (the k-step residuals).
    The band therefore widens with the horizon as the data say (drift, autocorrelation, weekly
    spikes), not by an assumed normal law. When a lag leaves fewer than ``MIN_RESIDUALS`` residuals,
    the ``base_lag`` residuals are used scaled by ``sqrt(lag / base_lag)``; with no residual at all (a
    one-point series) the band has zero width.

    Args:
        y: History of one series.
        lags: The look-back of each horizon step, shape ``(h,)``.
        quantiles: Quantile levels.
        base_lag: The shortest lag (1 for naive, the season length for seasonal naive).

    Returns:
        Offsets to add to the point forecast, shape ``(h, len(quantiles))``.

    Example:
        >>> residual_band(np.arange(20.0), np.array([1, 2]), [0.1, 0.9]).tolist()
        [[1.0, 1.0], [2.0, 2.0]]
    """
    qs = np.asarray(quantiles, dtype=float)
    n = len(y)
    base = y[base_lag:] - y[:-base_lag] if n > base_lag else np.empty(0)
    base_q = np.quantile(base, qs) if base.size else np.zeros(len(qs))
    unique, position = np.unique(np.asarray(lags, dtype=int), return_inverse=True)
    table = base_q[None, :] * np.sqrt(unique / base_lag)[:, None]
    enough = n - unique >= MIN_RESIDUALS
    if enough.any():
        table[enough] = _lag_quantiles(y, unique[enough], qs)
    return table[position]


def _lag_quantiles(y: np.ndarray, lags: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """``np.quantile(y[lag:] - y[:-lag], qs)`` for every lag at once (linear interpolation, as numpy).

    The differences of all lags are sorted in one call, padded with ``inf`` past each row's length,
    instead of one ``np.quantile`` call per lag (a naive forecast of 30 steps has 30 lags per series).
    """
    n = len(y)
    counts = n - lags
    width = int(counts.max())
    column = np.arange(width)
    source = np.minimum(column[None, :] + lags[:, None], n - 1)
    diffs = np.where(column[None, :] < counts[:, None], y[source] - y[np.minimum(column, n - 1)], np.inf)
    diffs.sort(axis=1)
    at = qs[None, :] * (counts[:, None] - 1)
    low = np.floor(at).astype(int)
    high = np.minimum(low + 1, counts[:, None] - 1)
    rows = np.arange(len(lags))[:, None]
    below, above = diffs[rows, low], diffs[rows, high]
    return below + (above - below) * (at - low)


def seasonal_naive_forecast(
    y: np.ndarray, h: int, quantiles: Sequence[float], season_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """Seasonal naive point forecast of one series and its empirical band (naive for ``season_length=1``).

    Step ``j`` copies the value ``m * ceil(j / m)`` steps before the target; its band is the point
    plus :func:`residual_band` at that lag. A series shorter than one season uses ``m = 1``.

    Returns:
        The point forecast ``(h,)`` and the quantiles ``(h, len(quantiles))``.

    Example:
        >>> point, band = seasonal_naive_forecast(np.arange(20.0), 2, [0.5], 1)
        >>> point.tolist(), band[:, 0].tolist()
        ([19.0, 19.0], [20.0, 21.0])
    """
    m = int(season_length) if len(y) >= season_length else 1
    steps = np.arange(1, h + 1)
    lags = m * np.ceil(steps / m).astype(int)
    point = y[len(y) - lags + steps - 1].astype(float)
    return point, point[:, None] + residual_band(y, lags, quantiles, base_lag=m)


def predict_seasonal_naive(
    series: SeriesSet, freq: str, season_length: int, h: int, quantiles: Sequence[float]
) -> pd.DataFrame:
    """The forecast frame of :func:`seasonal_naive_forecast` for every series of a set."""
    h = check_horizon(h)
    qs = validate_quantiles(quantiles)
    n = len(series)
    mean = np.empty((n, h))
    band = np.empty((n, h, len(qs)))
    for i, y in enumerate(series):
        mean[i], band[i] = seasonal_naive_forecast(y, h, qs, season_length)
    return make_forecast_frame(series, h, freq, mean, band, qs)


class Naive:
    """Forecast every step as the last observed value.

    Quantiles are the point forecast plus empirical quantiles of the in-sample k-step differences
    ``y[t] - y[t-k]`` for step ``k`` (see :func:`residual_band`). Works for any series length: a
    one-point series gets a flat forecast with a zero-width band.

    Example:
        >>> ds = pd.date_range("2024-01-01", periods=20)
        >>> df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": range(20)})
        >>> Naive().fit(df).predict(2, [0.5])[["mean", "p50"]].to_numpy().tolist()
        [[19.0, 20.0], [19.0, 21.0]]
    """

    alias = "naive"
    is_global = False

    def fit(self, df: pd.DataFrame, *, freq: str = "D", season_length: int = 7) -> Self:
        """Store the series (the model has no parameters to estimate; ``season_length`` is unused)."""
        del season_length
        self.series_: SeriesSet = split_series(df)
        self.freq_ = freq
        return self

    def predict(self, h: int, quantiles: Sequence[float]) -> pd.DataFrame:
        """Forecast ``h`` steps after each series' last date."""
        check_fitted(self)
        return predict_seasonal_naive(self.series_, self.freq_, 1, h, quantiles)
