"""Quantile levels, their column names (``0.1 -> "p10"``) and the no-crossing guarantee."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from forecasting.errors import DataError

__all__ = [
    "DEFAULT_QUANTILES",
    "point_column",
    "quantile_column",
    "quantile_columns",
    "sort_quantiles",
    "validate_quantiles",
]

DEFAULT_QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)


def validate_quantiles(quantiles: Sequence[float]) -> tuple[float, ...]:
    """Check that quantiles are distinct, sorted values in (0, 1) and return them as a tuple.

    Args:
        quantiles: Quantile levels such as ``(0.1, 0.5, 0.9)``.

    Returns:
        The levels as floats.

    Raises:
        DataError: If the list is empty, unsorted, repeated or outside (0, 1).

    Example:
        >>> validate_quantiles([0.1, 0.5, 0.9])
        (0.1, 0.5, 0.9)
    """
    qs = tuple(float(q) for q in quantiles)
    if not qs:
        raise DataError("quantiles: got an empty list; pass levels in (0, 1) such as 0.1,0.5,0.9")
    bad = [q for q in qs if not 0.0 < q < 1.0 or not np.isfinite(q)]
    if bad:
        raise DataError(f"quantiles must lie strictly between 0 and 1; got {bad}. Use e.g. 0.1,0.5,0.9")
    if list(qs) != sorted(set(qs)):
        raise DataError(f"quantiles must be distinct and increasing; got {list(qs)}. Use {sorted(set(qs))}")
    return qs


def quantile_column(q: float) -> str:
    """Name the output column of quantile ``q``: 0.1 gives ``p10``, 0.05 ``p5``, 0.975 ``p97.5``.

    Example:
        >>> [quantile_column(q) for q in (0.05, 0.1, 0.5, 0.975)]
        ['p5', 'p10', 'p50', 'p97.5']
    """
    pct = round(float(q) * 100, 6)
    return f"p{int(pct)}" if pct == int(pct) else f"p{pct:g}"


def quantile_columns(quantiles: Sequence[float]) -> list[str]:
    """Column names for several quantiles, in order."""
    return [quantile_column(q) for q in quantiles]


def point_column(quantiles: Sequence[float]) -> str:
    """The column that serves as the point forecast: ``p50`` when 0.5 is forecast, else ``mean``.

    WAPE, MASE and MAPE are absolute errors, minimised by the median, and the median is the forecast a
    reader sees as the middle of the band (the P50 line of a fan chart); scoring the ``mean`` column
    instead made the leaderboard disagree with itself whenever a model's mean and median differ
    (best WQL, poor WAPE). Amazon Forecast scores WAPE, RMSE, MAPE and MASE on one forecast type too
    (``ErrorMetric.ForecastType``: ``mean`` or a quantile such as ``0.5``).

    Example:
        >>> point_column([0.1, 0.5, 0.9]), point_column([0.05, 0.95])
        ('p50', 'mean')
    """
    return quantile_column(0.5) if any(float(q) == 0.5 for q in quantiles) else "mean"


def sort_quantiles(values: np.ndarray) -> np.ndarray:
    """Sort quantile forecasts along the last axis so that they never cross.

    Sorting is the rearrangement of Chernozhukov et al. (2010): it never increases the pinball loss
    and makes any set of per-quantile predictions monotone by construction.

    Args:
        values: Array of shape ``(n, len(quantiles))`` with columns in increasing quantile order.

    Returns:
        The row-wise sorted array.

    Example:
        >>> sort_quantiles(np.array([[3.0, 1.0, 2.0]]))
        array([[1., 2., 3.]])
    """
    return np.sort(np.asarray(values, dtype=float), axis=-1)
