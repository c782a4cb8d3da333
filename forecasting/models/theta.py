"""Theta method (SES with drift) on seasonally adjusted data, with normal quantiles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.signal import lfilter

# Module-level import on purpose: statsmodels installs an "always" filter for its warnings on first
# import, which must not happen inside ``quiet_fit``.
from statsmodels.tsa.seasonal import seasonal_decompose

from forecasting.models._common import normal_quantiles
from forecasting.models._fitting import PerSeriesModel, seasonality_detected

__all__ = ["Theta", "fit_ses", "seasonal_adjustment"]

MIN_POINTS = 4
# The smoothing parameter's range, as statsmodels' ExponentialSmoothing bounds it.
ALPHA_BOUNDS = (1e-4, 1.0 - 1e-4)


def seasonal_adjustment(y: np.ndarray, season_length: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Classical decomposition when the series is seasonal, as the Theta method prescribes.

    A strictly positive series is adjusted multiplicatively, any other additively; a series that fails
    :func:`forecasting.models._fitting.seasonality_detected` (or is shorter than three seasons) is
    left as is.

    Returns:
        The adjusted series, the ``season_length`` seasonal indices by position in the cycle (empty
        when not seasonal) and whether they are multiplicative.
    """
    m = int(season_length)
    if not seasonality_detected(y, m):
        return y, np.empty(0), False
    multiplicative = bool(np.min(y) > 0)
    decomposition = seasonal_decompose(y, model="multiplicative" if multiplicative else "additive", period=m)
    indices = np.asarray(decomposition.seasonal[:m], dtype=float)
    if multiplicative and np.min(indices) <= 0:
        return y, np.empty(0), False
    pattern = indices[np.arange(len(y)) % m]
    return (y / pattern if multiplicative else y - pattern), indices, multiplicative


def _ses_levels(y: np.ndarray, alpha: float) -> np.ndarray:
    """SES levels ``l_t = alpha * y_t + (1 - alpha) * l_{t-1}`` from the initial level ``l_{-1} = y_0``."""
    return lfilter([alpha], [1.0, alpha - 1.0], y, zi=[(1.0 - alpha) * y[0]])[0]


def fit_ses(y: np.ndarray) -> tuple[float, float, float]:
    """Least-squares simple exponential smoothing with the initial level fixed at the first value.

    This is the SES step of the standard Theta method (statsmodels ``ThetaModel``, whose state-space
    fit with a known initial level maximises the concentrated likelihood, i.e. minimises the same sum
    of squared one-step errors): one bounded scalar search over ``alpha`` with each evaluation a
    C-level linear filter, instead of a Kalman filter per evaluation.

    Returns:
        ``alpha``, the last level (the flat SES forecast) and the mean squared one-step error.

    Example:
        >>> alpha, level, mse = fit_ses(np.array([1.0, 3.0, 2.0, 4.0, 3.0, 5.0, 4.0, 6.0]))
        >>> round(alpha, 3), round(level, 3)
        (0.655, 5.351)
    """

    def sse(alpha: float) -> float:
        errors = y[1:] - _ses_levels(y, alpha)[:-1]
        return float(errors @ errors)

    alpha = float(minimize_scalar(sse, bounds=ALPHA_BOUNDS, method="bounded", options={"xatol": 1e-6}).x)
    level = _ses_levels(y, alpha)
    errors = y[1:] - level[:-1]
    return alpha, float(level[-1]), float(np.mean(errors**2))


class ThetaState(NamedTuple):
    """What the forecast of one series needs."""

    slope: float  # b0: slope of the least-squares line through the adjusted series
    alpha: float
    level: float  # last SES level
    sigma2: float
    indices: np.ndarray  # seasonal indices by position in the cycle (empty: not seasonal)
    multiplicative: bool


class Theta(PerSeriesModel):
    """The standard Theta method (theta = 2: SES plus half the linear trend), one fit per series.

    Seasonal series (by the Theta seasonality test on first differences) are adjusted by classical
    decomposition, forecast by the Theta method and re-seasonalised. The forecast is that of
    statsmodels ``ThetaModel`` (Hyndman & Billah, 2003): ``l_T + b0 / 2 * (h - 1 + 1 / alpha -
    (1 - alpha)^T / alpha)``, with ``b0`` the least-squares slope and ``l_T`` the last level of SES
    fitted by :func:`fit_ses`. The Theta method is SES with drift, so the ``h``-step forecast variance
    is that of ARIMA(0,1,1), ``sigma^2 * (1 + (h - 1) * alpha^2)``, with ``sigma^2`` the mean squared
    one-step error of the SES. Quantiles are normal on the adjusted scale, then re-seasonalised
    (scaled by positive multiplicative indices, which keeps their order), so ``p50`` is the point
    forecast and any band from a level below 0.5 to one above contains it.

    Fallbacks: a constant series is forecast as the constant with a zero-width band; fewer than
    ``MIN_POINTS`` points or a failed fit give the naive forecast and band.
    """

    alias = "theta"
    is_global = False

    def _fit_one(self, y: np.ndarray) -> ThetaState | None:
        if len(y) < MIN_POINTS or np.ptp(y) == 0:
            return None
        adjusted, indices, multiplicative = seasonal_adjustment(y, self.season_length_)
        slope = float(np.polyfit(np.arange(len(adjusted), dtype=float), adjusted, 1)[0])
        alpha, level, sigma2 = fit_ses(adjusted)
        if not np.isfinite([slope, alpha, level, sigma2]).all():
            return None
        return ThetaState(slope, alpha, level, sigma2, indices, multiplicative)

    def _predict_one(
        self, y: np.ndarray, state: ThetaState, h: int, qs: Sequence[float]
    ) -> tuple[np.ndarray, np.ndarray]:
        steps = np.arange(h, dtype=float)
        alpha = state.alpha
        drift = steps + 1.0 / alpha - (1.0 - alpha) ** len(y) / alpha
        point = state.level + 0.5 * state.slope * drift
        sd = np.sqrt(state.sigma2 * (1.0 + steps * alpha**2))
        band = normal_quantiles(point, sd, qs)
        if state.indices.size:
            future = state.indices[(len(y) + np.arange(h)) % len(state.indices)]
            if state.multiplicative:
                point, band = point * future, band * future[:, None]
            else:
                point, band = point + future, band + future[:, None]
        return point, band
