"""Shared plumbing for the models: split a long frame into series, future dates, output frames."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset

from forecasting.errors import DataError
from forecasting.quantiles import quantile_columns, sort_quantiles, validate_quantiles

__all__ = [
    "SeriesSet",
    "check_fitted",
    "check_horizon",
    "future_dates",
    "make_forecast_frame",
    "normal_quantiles",
    "offset_for",
    "split_series",
]

# Spellings that older pandas accepted and pandas 3 rejects; users and the CLI may still pass them.
_FREQ_ALIASES = {"H": "h", "T": "min", "S": "s", "M": "ME", "Q": "QE", "A": "YE", "Y": "YE"}


def offset_for(freq: str) -> BaseOffset:
    """Turn a frequency string (``D``, ``W``, ``W-MON``, ``MS``, ``QS``, ``H``/``h``) into a pandas offset.

    Example:
        >>> offset_for("H")
        <Hour>
    """
    text = str(freq).strip()
    head, sep, tail = text.partition("-")
    digits = head.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    unit = head[len(digits) :]
    text = digits + _FREQ_ALIASES.get(unit, unit) + sep + tail
    try:
        return to_offset(text)
    except ValueError as exc:
        raise DataError(
            f"freq: {freq!r} is not a pandas frequency; use one of D, W (or W-MON...), MS, QS, h"
        ) from exc


@dataclass(frozen=True)
class SeriesSet:
    """The series of a long frame as numpy arrays, in order of first appearance.

    Attributes:
        ids: The ``unique_id`` values, one per series (original dtype kept by ``id_dtype``).
        starts: Offsets of each series' first row in ``values`` (length ``len(ids) + 1``).
        values: Every ``y`` value, series after series, as float64.
        last_ds: The last timestamp of each series.
        id_dtype: The dtype of the input ``unique_id`` column, reused for the output.
    """

    ids: np.ndarray
    starts: np.ndarray
    values: np.ndarray
    last_ds: pd.DatetimeIndex
    id_dtype: Any

    def __len__(self) -> int:
        return len(self.ids)

    def series(self, i: int) -> np.ndarray:
        """The values of series ``i`` (a view, do not modify)."""
        return self.values[self.starts[i] : self.starts[i + 1]]

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self.ids)):
            yield self.series(i)

    def lengths(self) -> np.ndarray:
        """Number of observations of each series."""
        return np.diff(self.starts)

    def minimum(self) -> np.ndarray:
        """Smallest value of each series."""
        return np.minimum.reduceat(self.values, self.starts[:-1])

    def maximum(self) -> np.ndarray:
        """Largest value of each series."""
        return np.maximum.reduceat(self.values, self.starts[:-1])


def split_series(df: pd.DataFrame) -> SeriesSet:
    """Split a long frame ``unique_id, ds, y`` into per-series arrays.

    The frame should already be sorted by ``unique_id, ds``; if the rows of a series are not contiguous
    or not in time order, it is sorted here (stable), so callers never get silently mixed series.

    Raises:
        DataError: If a column is missing, the frame is empty or ``y`` holds NaN / infinite values.
    """
    missing = [c for c in ("unique_id", "ds", "y") if c not in df.columns]
    if missing:
        raise DataError(
            f"the series frame lacks columns {missing}; got {list(df.columns)}. Expected unique_id, ds, y"
        )
    if df.empty:
        raise DataError("the series frame is empty; pass at least one row per series")
    codes, _ = pd.factorize(df["unique_id"], sort=False)
    ds = pd.to_datetime(df["ds"]).to_numpy()
    contiguous = bool(np.all(np.diff(codes) >= 0))
    in_order = contiguous and bool(np.all((np.diff(codes) > 0) | (np.diff(ds) > np.timedelta64(0))))
    if not in_order:
        df = df.sort_values(["unique_id", "ds"], kind="stable")
        codes, _ = pd.factorize(df["unique_id"], sort=False)
        ds = pd.to_datetime(df["ds"]).to_numpy()
    y = pd.to_numeric(df["y"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(y)
    if bad.any():
        where = df["unique_id"].to_numpy()[bad.argmax()]
        raise DataError(
            f"y has {int(bad.sum())} missing or infinite values (first in series {where!r}); "
            "fill gaps (e.g. with 0 for cost) before forecasting"
        )
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1], True])
    ids = df["unique_id"].to_numpy()[starts[:-1]]
    return SeriesSet(
        ids=ids,
        starts=starts,
        values=y,
        last_ds=pd.DatetimeIndex(ds[starts[1:] - 1]),
        id_dtype=df["unique_id"].dtype,
    )


def future_dates(last_ds: pd.DatetimeIndex, h: int, freq: str) -> np.ndarray:
    """The ``h`` timestamps after each last date, shape ``(len(last_ds) * h,)``, series after series.

    ``last + offset`` rolls an off-anchor date (a Monday for ``W-SUN``) onto the next anchor, so the
    first future date is never skipped; series sharing a last date share one ``date_range``.
    """
    offset = offset_for(freq)
    out = np.empty((len(last_ds), h), dtype="datetime64[ns]")
    cache: dict[pd.Timestamp, np.ndarray] = {}
    for i, last in enumerate(last_ds):
        if last not in cache:
            cache[last] = pd.date_range(last + offset, periods=h, freq=offset).as_unit("ns").to_numpy()
        out[i] = cache[last]
    return out.reshape(-1)


def check_horizon(h: int) -> int:
    """Check that the horizon is a positive integer and return it."""
    if isinstance(h, bool) or int(h) != h or h < 1:
        raise DataError(f"h (the horizon) must be a positive integer; got {h!r}")
    return int(h)


def check_fitted(model: object, attribute: str = "series_") -> None:
    """Raise a clear error when ``predict`` is called before ``fit``."""
    if not hasattr(model, attribute):
        raise DataError(
            f"{type(model).__name__} is not fitted yet; call fit(df) before predict(h, quantiles)"
        )


def normal_quantiles(mean: np.ndarray, sd: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """Quantiles of independent normals: ``mean + z_q * sd``, shape ``mean.shape + (len(quantiles),)``."""
    from scipy.special import ndtri  # the normal quantile function, without scipy.stats' dispatch

    z = ndtri(np.asarray(quantiles, dtype=float))
    sd = np.nan_to_num(np.maximum(np.asarray(sd, dtype=float), 0.0))
    return np.asarray(mean, dtype=float)[..., None] + sd[..., None] * z


def make_forecast_frame(
    series: SeriesSet,
    h: int,
    freq: str,
    mean: np.ndarray,
    quantile_values: np.ndarray,
    quantiles: Sequence[float],
    *,
    clip_nonnegative: bool = True,
) -> pd.DataFrame:
    """Build the output frame ``unique_id, ds, mean, p..`` of ``h`` rows per series.

    Quantiles are sorted row-wise (no crossing) and any non-finite value, which a numerical failure
    could leave, is replaced by the row's mean so the frame never holds NaN. Two rules hold for every
    model: a constant series (all zero included) is forecast as that constant with a zero-width band,
    and a series that never went below zero gets no negative value (``clip_nonnegative``).

    Args:
        series: The fitted series (ids, last dates).
        h: Horizon.
        freq: Frequency of the series.
        mean: Point forecasts, shape ``(n_series, h)``.
        quantile_values: Quantile forecasts, shape ``(n_series, h, len(quantiles))``.
        quantiles: The quantile levels (validated here).
        clip_nonnegative: Clip the forecasts of series whose history is never negative at zero.
    """
    qs = validate_quantiles(quantiles)
    n = len(series)
    mean = np.asarray(mean, dtype=float).reshape(n * h)
    values = np.asarray(quantile_values, dtype=float).reshape(n * h, len(qs))
    if not np.isfinite(mean).all():
        middle = values[:, len(qs) // 2]
        mean = np.where(np.isfinite(mean), mean, np.where(np.isfinite(middle), middle, 0.0))
    values = np.where(np.isfinite(values), values, mean[:, None])
    # A constant history (all zero included) carries no sign of change or noise: every model forecasts
    # the constant with a zero-width band, whatever it would extrapolate from nothing.
    low, high = series.minimum(), series.maximum()
    constant = np.repeat(low == high, h)
    if constant.any():
        level = np.repeat(high, h)[constant]
        mean[constant] = level
        values[constant] = level[:, None]
    if clip_nonnegative:
        # A series that never went below zero (cost without credits) gets no negative forecast: clipping
        # at the lower bound of the support never increases the pinball loss.
        floor = np.repeat(np.where(series.minimum() >= 0.0, 0.0, -np.inf), h)
        mean = np.maximum(mean, floor)
        values = np.maximum(values, floor[:, None])
    values = sort_quantiles(values)
    frame = pd.DataFrame(
        {
            "unique_id": pd.Series(np.repeat(series.ids, h)).astype(series.id_dtype),
            "ds": future_dates(series.last_ds, h, freq),
            "mean": mean,
        }
    )
    for j, column in enumerate(quantile_columns(qs)):
        frame[column] = values[:, j]
    return frame
