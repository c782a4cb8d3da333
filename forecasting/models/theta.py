"""Theta method (statsmodels ``ThetaModel``) on seasonally adjusted data, with normal quantiles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd
from scipy.signal import lfilter

# Module-level imports on purpose: statsmodels installs an "always" filter for its warnings on first
# import, which must not happen inside ``quiet_fit``.
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.seasonal import seasonal_decompose

from forecasting.models._common import (
    SeriesSet,
    check_fitted,
    check_horizon,
    make_forecast_frame,
    normal_quantiles,
    split_series,
)
from forecasting.models._fitting import naive_fallback, quiet_fit, seasonality_detected
from forecasting.quantiles import validate_quantiles

__all__ = ["Theta", "seasonal_adjustment"]

MIN_POINTS = 4


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


class Theta:
    """The standard Theta method (theta = 2: SES plus half the linear trend), one fit per series.

    Seasonal series (by the Theta seasonality test on first differences) are adjusted by classical
    decomposition, forecast with statsmodels ``ThetaModel`` and re-seasonalised. The Theta method is
    SES with drift (Hyndman & Billah, 2003), so the ``h``-step forecast variance is that of
    ARIMA(0,1,1), ``sigma^2 * (1 + (h - 1) * alpha^2)``, with ``sigma^2`` the mean squared one-step
    error of the fitted SES on the adjusted series (statsmodels' own intervals refit an ARIMA, which
    costs ten times the Theta fit). Quantiles are normal on the adjusted scale, then re-seasonalised
    (scaled by positive multiplicative indices, which keeps their order).

    Fallbacks: a constant series is forecast as the constant with a zero-width band; fewer than
    ``MIN_POINTS`` points or a failed fit give the naive forecast and band.
    """

    alias = "theta"
    is_global = False

    def fit(self, df: pd.DataFrame, *, freq: str = "D", season_length: int = 7) -> Self:
        """Seasonally adjust and fit each series."""
        self.series_: SeriesSet = split_series(df)
        self.freq_ = freq
        self.season_length_ = max(int(season_length), 1)
        self.fits_: list[tuple[object, np.ndarray, bool, float, float] | None] = []
        with quiet_fit():
            for y in self.series_:
                self.fits_.append(self._fit_one(y))
        return self

    def _fit_one(self, y: np.ndarray) -> tuple[object, np.ndarray, bool, float, float] | None:
        if len(y) < MIN_POINTS or np.ptp(y) == 0:
            return None
        try:
            adjusted, indices, multiplicative = seasonal_adjustment(y, self.season_length_)
            result = ThetaModel(adjusted, deseasonalize=False).fit()
            alpha = float(result.params["alpha"])
            # One-step SES forecasts with the initial level at the first value, as ThetaModel fits them.
            level = lfilter([alpha], [1.0, alpha - 1.0], adjusted, zi=[(1.0 - alpha) * adjusted[0]])[0]
            errors = adjusted[1:] - level[:-1]
            sigma2 = float(np.mean(errors**2))
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            return None
        if not (np.isfinite(alpha) and np.isfinite(sigma2)):
            return None
        return result, indices, multiplicative, alpha, sigma2

    def predict(self, h: int, quantiles: Sequence[float]) -> pd.DataFrame:
        """Forecast ``h`` steps after each series' last date."""
        check_fitted(self)
        h = check_horizon(h)
        qs = validate_quantiles(quantiles)
        n = len(self.series_)
        mean = np.empty((n, h))
        band = np.empty((n, h, len(qs)))
        with quiet_fit():
            for i, (y, fitted) in enumerate(zip(self.series_, self.fits_, strict=True)):
                mean[i], band[i] = self._predict_one(y, fitted, h, qs)
        return make_forecast_frame(self.series_, h, self.freq_, mean, band, qs)

    def _predict_one(
        self,
        y: np.ndarray,
        fitted: tuple[object, np.ndarray, bool, float, float] | None,
        h: int,
        qs: Sequence[float],
    ) -> tuple[np.ndarray, np.ndarray]:
        if fitted is None:
            if np.ptp(y) == 0:
                return np.full(h, y[-1]), np.full((h, len(qs)), y[-1])
            return naive_fallback(y, h, qs)
        result, indices, multiplicative, alpha, sigma2 = fitted
        point = np.asarray(result.forecast(h)).astype(float)  # type: ignore[attr-defined]
        sd = np.sqrt(sigma2 * (1.0 + np.arange(h) * alpha**2))
        band = normal_quantiles(point, sd, qs)
        if indices.size:
            future = indices[(len(y) + np.arange(h)) % len(indices)]
            if multiplicative:
                point, band = point * future, band * future[:, None]
            else:
                point, band = point + future, band + future[:, None]
        if not (np.isfinite(point).all() and np.isfinite(band).all()):
            return naive_fallback(y, h, qs)
        return point, band
