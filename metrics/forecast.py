"""Forecast accuracy metrics over arrays, as Amazon Forecast defines them (wQL, WAPE, RMSE, MAPE, MASE).

Every function takes plain array-likes of one value per forecasted point and returns a float (or one float
per quantile for :func:`wql_by_quantile`). ``*_loss`` and ``*_error`` are lower-is-better, ``*_score``
higher-is-better.

Zero denominators have one rule everywhere: when a denominator (``sum |y|`` for wQL and WAPE, ``|y_t|`` for
a MAPE term, the MASE scale) is zero, the result is ``0.0`` if the numerator is zero too (the forecast is
perfect) and ``nan`` otherwise. ``nan`` means "not defined, do not rank on it"; these functions never return
infinity and never emit a warning.

MAPE and sMAPE are fractions (0.1 means 10 %), as Amazon Forecast reports MAPE.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from metrics._checks import (
    as_float_1d,
    check_finite,
    check_quantiles,
    check_same_length,
    check_season_length,
    safe_divide,
)

__all__ = [
    "coverage_score",
    "interval_width_loss",
    "mape_error",
    "mase_error",
    "pinball_loss",
    "rmse_error",
    "smape_error",
    "wape_error",
    "wql_by_quantile",
    "wql_loss",
]


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    y = as_float_1d("y_true", y_true)
    p = as_float_1d("y_pred", y_pred)
    check_same_length(y_true=y, y_pred=p)
    return y, p


def _pinball(y: np.ndarray, pred: np.ndarray, qs: np.ndarray) -> np.ndarray:
    # q * (y - pred) when under-forecasting, (1 - q) * (pred - y) when over-forecasting.
    diff = y - pred
    return np.maximum(qs * diff, (qs - 1.0) * diff)


def pinball_loss(y_true: Any, y_pred: Any, *, quantile: float) -> float:
    """Mean pinball (quantile) loss of a forecast of the ``quantile`` level.

    Each point costs ``q * (y - p)`` when the forecast ``p`` is below the actual ``y`` and
    ``(1 - q) * (p - y)`` when it is above, so the loss is minimised by the true ``q``-quantile. At
    ``q = 0.5`` it is half the MAE.

    Args:
        y_true: Actual values, one per point.
        y_pred: Forecasts of the ``quantile`` level, same length.
        quantile: Level in (0, 1).

    Returns:
        The mean loss over points.

    Raises:
        ValueError: On mismatched lengths, empty input, NaN, or a level outside (0, 1).

    Example:
        >>> pinball_loss([10.0, 20.0], [12.0, 15.0], quantile=0.9)
        2.35
    """
    y, p = _pair(y_true, y_pred)
    qs = check_quantiles([quantile])
    return float(np.mean(_pinball(y, p, qs[0])))


def _quantile_matrix(y_pred: Any, n: int, n_quantiles: int) -> np.ndarray:
    try:
        pred = np.asarray(y_pred, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("y_pred must be numeric: one row per point, one column per quantile") from None
    if pred.ndim == 1 and n_quantiles == 1:
        pred = pred[:, None]
    if pred.ndim != 2 or pred.shape != (n, n_quantiles):
        raise ValueError(
            f"y_pred must have shape (n_points, n_quantiles) = ({n}, {n_quantiles}); got {pred.shape}. "
            "Stack one column per quantile, in the order of `quantiles`."
        )
    check_finite("y_pred", pred)
    return pred


def wql_by_quantile(y_true: Any, y_pred: Any, *, quantiles: Sequence[float]) -> np.ndarray:
    """Weighted quantile loss of each quantile, as Amazon Forecast defines it.

    ``wQL[q] = 2 * sum_t pinball_q(y_t, p_t) / sum_t |y_t|``, summed over every point passed in (pass all
    series and windows together for Amazon's dataset-level figure). If ``sum |y| = 0`` the value is ``0.0``
    for a perfect forecast of that quantile and ``nan`` otherwise.

    Args:
        y_true: Actual values, shape ``(n,)``.
        y_pred: Quantile forecasts, shape ``(n, len(quantiles))``; a 1-D array is accepted for one quantile.
        quantiles: Increasing levels in (0, 1), one per column of ``y_pred``.

    Returns:
        One wQL per quantile, shape ``(len(quantiles),)``.

    Raises:
        ValueError: On a wrong shape, empty input, NaN, or unsorted / out-of-range quantiles.

    Example:
        >>> wql_by_quantile([10.0, 20.0], [[8.0, 12.0], [15.0, 22.0]], quantiles=[0.1, 0.9]).round(4).tolist()
        [0.0467, 0.0267]
    """
    y = as_float_1d("y_true", y_true)
    qs = check_quantiles(quantiles)
    pred = _quantile_matrix(y_pred, y.size, qs.size)
    losses = _pinball(y[:, None], pred, qs[None, :]).sum(axis=0)
    return safe_divide(2.0 * losses, np.full(qs.size, np.abs(y).sum()))


def wql_loss(y_true: Any, y_pred: Any, *, quantiles: Sequence[float]) -> float:
    """Average weighted quantile loss: the mean of :func:`wql_by_quantile` over the quantiles.

    Amazon Forecast calls this "Average wQL". It is ``nan`` when any quantile's wQL is ``nan``.

    Args:
        y_true: Actual values, shape ``(n,)``.
        y_pred: Quantile forecasts, shape ``(n, len(quantiles))``.
        quantiles: Increasing levels in (0, 1).

    Returns:
        The mean wQL.

    Example:
        >>> round(wql_loss([10.0, 20.0], [[8.0, 12.0], [15.0, 22.0]], quantiles=[0.1, 0.9]), 4)
        0.0367
    """
    return float(np.mean(wql_by_quantile(y_true, y_pred, quantiles=quantiles)))


def wape_error(y_true: Any, y_pred: Any) -> float:
    """Weighted absolute percentage error, ``sum |y - p| / sum |y|``, as a fraction.

    ``0.0`` when ``sum |y| = 0`` and the forecast is perfect, ``nan`` when ``sum |y| = 0`` otherwise.

    Args:
        y_true: Actual values.
        y_pred: Point forecasts, same length.

    Returns:
        The WAPE.

    Example:
        >>> wape_error([10.0, 20.0, 30.0], [12.0, 18.0, 30.0])
        0.06666666666666667
    """
    y, p = _pair(y_true, y_pred)
    return float(safe_divide(np.abs(y - p).sum(), np.abs(y).sum()))


def rmse_error(y_true: Any, y_pred: Any) -> float:
    """Root mean squared error, ``sqrt(mean((y - p)^2))``, in the units of ``y``.

    Args:
        y_true: Actual values.
        y_pred: Point forecasts, same length.

    Returns:
        The RMSE.

    Example:
        >>> rmse_error([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 8.0])
        2.0
    """
    y, p = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((y - p) ** 2)))


def mape_error(y_true: Any, y_pred: Any) -> float:
    """Mean absolute percentage error, ``mean_t |y_t - p_t| / |y_t|``, as a fraction.

    A point with ``y_t = 0`` contributes ``0`` when ``p_t = 0`` too; when ``p_t != 0`` its term (and so the
    MAPE) is ``nan``, because the percentage error of a zero actual is undefined. Prefer WAPE on data with
    zeros.

    Args:
        y_true: Actual values.
        y_pred: Point forecasts, same length.

    Returns:
        The MAPE.

    Example:
        >>> mape_error([10.0, 20.0], [11.0, 15.0])
        0.175
        >>> mape_error([0.0, 20.0], [0.0, 15.0])
        0.125
    """
    y, p = _pair(y_true, y_pred)
    return float(np.mean(safe_divide(np.abs(y - p), np.abs(y))))


def smape_error(y_true: Any, y_pred: Any) -> float:
    """Symmetric MAPE, ``mean_t 2 |y_t - p_t| / (|y_t| + |p_t|)``, a fraction between 0 and 2.

    This is the M4-competition definition without the factor 100. A point with ``y_t = p_t = 0`` contributes
    ``0``, so sMAPE is always defined.

    Args:
        y_true: Actual values.
        y_pred: Point forecasts, same length.

    Returns:
        The sMAPE.

    Example:
        >>> smape_error([10.0, 0.0], [30.0, 0.0])
        0.5
    """
    y, p = _pair(y_true, y_pred)
    return float(np.mean(safe_divide(2.0 * np.abs(y - p), np.abs(y) + np.abs(p))))


def _naive_scale(y_train: np.ndarray, season_length: int) -> float:
    """Mean absolute seasonal-naive error ``mean_t |y_t - y_{t-m}|`` in the training part.

    Falls back to ``m = 1`` when the training part has ``season_length`` values or fewer.
    """
    m = season_length if y_train.size > season_length else 1
    return float(np.mean(np.abs(y_train[m:] - y_train[:-m])))


def mase_error(y_true: Any, y_pred: Any, *, y_train: Any, season_length: int = 1) -> float:
    """Mean absolute scaled error: the MAE divided by the in-sample seasonal-naive MAE.

    The scale is ``mean_t |y_t - y_{t-m}|`` over ``y_train`` with ``m = season_length`` (lags by position,
    so ``y_train`` must be evenly spaced). When ``y_train`` holds ``m`` values or fewer, there is no seasonal
    lag inside it and the scale falls back to ``m = 1``. A zero scale (a constant history) gives ``0.0``
    for a perfect forecast and ``nan`` otherwise.

    Args:
        y_true: Actual values of the forecast horizon.
        y_pred: Point forecasts, same length.
        y_train: The training values of the same series, oldest first, at least two values.
        season_length: Seasonal period ``m`` (7 for daily data with weekly seasonality). Defaults to 1.

    Returns:
        The MASE; below 1 beats the in-sample seasonal-naive forecast.

    Raises:
        ValueError: On bad arrays, ``season_length < 1``, or fewer than two training values.

    Example:
        >>> mase_error([5.0, 7.0], [6.0, 6.0], y_train=[1.0, 3.0, 1.0, 3.0])
        0.5
    """
    y, p = _pair(y_true, y_pred)
    train = as_float_1d("y_train", y_train)
    m = check_season_length(season_length)
    if train.size < 2:
        raise ValueError(f"y_train needs at least two values to compute the naive scale; got {train.size}")
    return float(safe_divide(np.mean(np.abs(y - p)), _naive_scale(train, m)))


def _interval(lower: Any, upper: Any) -> tuple[np.ndarray, np.ndarray]:
    lo = as_float_1d("lower", lower)
    hi = as_float_1d("upper", upper)
    check_same_length(lower=lo, upper=hi)
    crossed = lo > hi
    if crossed.any():
        i = int(np.argmax(crossed))
        raise ValueError(
            f"lower must not exceed upper; {int(crossed.sum())} point(s) cross, the first at position {i} "
            f"(lower={float(lo[i])}, upper={float(hi[i])}). Sort the quantile forecasts so they do not cross."
        )
    return lo, hi


def coverage_score(y_true: Any, lower: Any, upper: Any) -> float:
    """Share of actual values inside the closed interval ``[lower, upper]``.

    The named ``_score`` direction holds only up to the interval's nominal level: a calibrated P10-P90 band
    covers about 0.8, and a band that is too wide covers more. Read it together with
    :func:`interval_width_loss`.

    Args:
        y_true: Actual values.
        lower: Lower bounds (e.g. the P10 forecast), same length.
        upper: Upper bounds (e.g. the P90 forecast), not below ``lower``.

    Returns:
        The covered fraction in [0, 1].

    Example:
        >>> coverage_score([1.0, 5.0, 9.0, 3.0], [0.0, 0.0, 0.0, 3.0], [4.0, 4.0, 9.0, 3.0])
        0.75
    """
    y = as_float_1d("y_true", y_true)
    lo, hi = _interval(lower, upper)
    check_same_length(y_true=y, lower=lo)
    return float(np.mean((y >= lo) & (y <= hi)))


def interval_width_loss(lower: Any, upper: Any) -> float:
    """Mean width ``mean(upper - lower)`` of an interval forecast, in the units of ``y``.

    Args:
        lower: Lower bounds.
        upper: Upper bounds, not below ``lower``.

    Returns:
        The mean width.

    Example:
        >>> interval_width_loss([0.0, 2.0], [4.0, 4.0])
        3.0
    """
    lo, hi = _interval(lower, upper)
    return float(np.mean(hi - lo))
