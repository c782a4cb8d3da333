"""Seasonal ARIMA (statsmodels ``SARIMAX``) with a small automatic order search by AICc."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

# Module-level imports on purpose: statsmodels installs "always" filters for its warnings on first
# import, which must not happen inside ``quiet_fit``.
from statsmodels.tsa.statespace.sarimax import SARIMAX
from statsmodels.tsa.stattools import kpss

from forecasting.models._common import check_fitted, normal_quantiles
from forecasting.models._fitting import FIT_ERRORS, PerSeriesModel, quiet_fit, seasonality_detected

__all__ = ["ARIMA", "differencing_orders", "candidate_orders"]

# Fewer points than this get the naive forecast: an ARIMA would be fitted on a handful of differences.
MIN_POINTS = 10


def differencing_orders(y: np.ndarray, season_length: int, *, max_d: int = 2) -> tuple[int, int]:
    """Choose seasonal (``D``) and regular (``d``) differencing as ``auto.arima`` does.

    ``D = 1`` when the seasonality test passes (at least three seasons), then ``d`` is raised while the
    KPSS test (5%) rejects level stationarity of the (seasonally) differenced series.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> differencing_orders(np.cumsum(rng.normal(size=200)), 1)
        (1, 0)
        >>> differencing_orders(rng.normal(size=200), 1)
        (0, 0)
    """
    m = int(season_length)
    seasonal_d = 1 if seasonality_detected(y, m) else 0
    x = y[m:] - y[:-m] if seasonal_d else y
    d = 0
    with quiet_fit():
        while d < max_d and len(x) > 10 and np.ptp(x) > 0:
            _, p_value, *_ = kpss(x, regression="c", nlags="auto")
            if p_value >= 0.05:
                break
            x = np.diff(x)
            d += 1
    return d, seasonal_d


def candidate_orders(d: int, seasonal_d: int, season_length: int) -> list[tuple[tuple, tuple, str]]:
    """The ``(order, seasonal_order, trend)`` triples tried for given differencing.

    Four low orders cover most business series (the orders ``auto.arima`` starts its stepwise search
    from, without the costly (2,d,2)(1,D,1)): MA(1), AR(1), ARMA(1,1), and ARMA(2,1). Seasonal series add
    a seasonal MA(1) when seasonally differenced (the "airline" structure) or a seasonal AR(1)
    otherwise. A constant (mean, or drift after one difference) is included when ``d + D <= 1``.

    Example:
        >>> candidate_orders(1, 1, 12)[0]
        ((0, 1, 1), (0, 1, 1, 12), 'n')
    """
    m = int(season_length)
    trend = "c" if d + seasonal_d <= 1 else "n"
    seasonal = (0, 1, 1, m) if seasonal_d else (0, 0, 0, 0)
    out = []
    for p, q in ((0, 1), (1, 0), (1, 1), (2, 1)):
        out.append(((p, d, q), seasonal, trend))
    return out


class ARIMA(PerSeriesModel):
    """Per-series seasonal ARIMA chosen among :func:`candidate_orders` by AICc.

    Differencing follows :func:`differencing_orders`; each candidate is fitted by exact maximum
    likelihood (Kalman filter, L-BFGS-B, at most ``maxiter`` iterations, scale concentrated out) and the
    lowest AICc wins. Quantiles are normal with the Kalman forecast variance, centred on the point
    forecast (``p50`` = ``mean``). Long series are fitted on
    their last ``max_history`` points: ARIMA's memory is short and the state-space likelihood costs
    grow with the length.

    Fallbacks: a constant series gets the constant with a zero-width band; fewer than ``MIN_POINTS``
    points, or every candidate failing, give the naive forecast and band.

    Args:
        max_history: Fit on at most this many recent points (None: all).
        maxiter: Optimizer iterations per candidate.
        candidates: How many of the :func:`candidate_orders` (in their order) to try; 1 fits only the
            MA(1) form, four times faster.
    """

    alias = "arima"
    is_global = False

    def __init__(self, *, max_history: int | None = 240, maxiter: int = 50, candidates: int = 4) -> None:
        self.max_history = max_history
        self.maxiter = maxiter
        self.candidates = candidates

    @property
    def orders_(self) -> list[str]:
        """The chosen ``(p, d, q)(P, D, Q, m)`` of each series, ``fallback`` for the naive fallback."""
        check_fitted(self)
        return [
            "fallback" if result is None else f"{result.model.order}{result.model.seasonal_order}"
            for result in self.states_
        ]

    def _fit_one(self, y: np.ndarray) -> Any:
        if len(y) < MIN_POINTS or np.ptp(y) == 0:
            return None
        m = self.season_length_
        d, seasonal_d = differencing_orders(y, m)
        if seasonal_d and len(y) < 3 * m:
            seasonal_d = 0
        best: tuple[float, Any] | None = None
        for order, seasonal, trend in candidate_orders(d, seasonal_d, m)[: max(1, self.candidates)]:
            try:
                model = SARIMAX(y, order=order, seasonal_order=seasonal, trend=trend, concentrate_scale=True)
                result = model.fit(disp=False, maxiter=self.maxiter)
            except FIT_ERRORS:
                continue
            score = float(result.aicc)
            if (
                np.isfinite(score)
                and np.all(np.isfinite(result.params))
                and (best is None or score < best[0])
            ):
                best = (score, result)
        return None if best is None else best[1]

    def _predict_one(
        self,
        y: np.ndarray,  # noqa: ARG002 - the results object holds the history
        result: Any,
        h: int,
        qs: Sequence[float],
    ) -> tuple[np.ndarray, np.ndarray]:
        forecast = result.get_forecast(h)
        point = np.asarray(forecast.predicted_mean, dtype=float)
        sd = np.sqrt(np.asarray(forecast.var_pred_mean, dtype=float))
        return point, normal_quantiles(point, sd, qs)
