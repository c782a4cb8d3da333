"""Helpers for per-series statistical models: quiet fits, seasonality test, fallbacks, the fit loop."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Self

import numpy as np
import pandas as pd
from scipy.special import ndtri
from statsmodels.tsa.stattools import acf
from threadpoolctl import ThreadpoolController

from forecasting.models._common import (
    SeriesSet,
    check_fitted,
    check_horizon,
    make_forecast_frame,
    split_series,
)
from forecasting.models.naive import seasonal_naive_forecast
from forecasting.quantiles import validate_quantiles

__all__ = ["PerSeriesModel", "aicc", "naive_fallback", "quiet_fit", "seasonality_detected"]

# Errors a numerical fit or forecast of one series may raise; the series then gets the naive fallback.
FIT_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    np.linalg.LinAlgError,
    FloatingPointError,
    ZeroDivisionError,
    IndexError,
)

_controller: ThreadpoolController | None = None


def _threadpools() -> ThreadpoolController:
    # Finding the loaded BLAS/OpenMP libraries walks every shared object of the process (a few ms with
    # statsmodels, scipy and LightGBM loaded); done once, limiting threads costs microseconds after.
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller


@contextmanager
def quiet_fit() -> Iterator[None]:
    """Fit statsmodels models single-threaded and without their convergence chatter.

    Multi-threaded BLAS makes scipy's L-BFGS-B several times slower on these tiny problems (thread
    hand-off costs more than the work), so fits run with one BLAS thread. statsmodels warns about
    convergence, frequencies and overflows on awkward series; the caller checks the result instead
    (finite parameters and forecasts) and falls back, so the warnings are silenced here only.
    """
    with _threadpools().limit(limits=1), warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def seasonality_detected(y: np.ndarray, season_length: int, *, level: float = 0.90) -> bool:
    """Test whether the autocorrelation at the seasonal lag is significant.

    The test of the Theta method (Assimakopoulos & Nikolopoulos, 2000; also ``forecast::thetaf``),
    ``|r_m| > z * sqrt((1 + 2 * sum_{k<m} r_k^2) / n)``, applied to the first differences: on the raw
    values a trend alone makes every autocorrelation large and would pass for a season. Series
    shorter than three seasons, or with ``season_length < 2``, are treated as not seasonal.

    Example:
        >>> t = np.arange(70)
        >>> bool(seasonality_detected(np.sin(2 * np.pi * t / 7), 7))
        True
        >>> trend = np.cumsum(np.random.default_rng(0).normal(1.0, 1.0, 70))  # random walk with drift
        >>> bool(seasonality_detected(trend, 7))
        False
    """
    m = int(season_length)
    if m < 2 or len(y) < 3 * m:
        return False
    diff = np.diff(y)
    n = len(diff)
    if np.ptp(diff) == 0:
        return False
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        r = acf(diff, nlags=m, fft=True)
    if not np.isfinite(r).all():
        return False
    limit = ndtri(0.5 + level / 2) * np.sqrt((1 + 2 * np.sum(r[1:m] ** 2)) / n)
    return bool(abs(r[m]) > limit)


def aicc(loglike: float, k: int, n: int) -> float:
    """Corrected Akaike criterion; infinite when the sample is too small for ``k`` parameters."""
    if not np.isfinite(loglike) or n - k - 1 <= 0:
        return float("inf")
    return float(-2.0 * loglike + 2.0 * k + 2.0 * k * (k + 1) / (n - k - 1))


def naive_fallback(y: np.ndarray, h: int, quantiles: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """The naive forecast and its empirical band, used when a series is too short or a fit fails.

    A constant series gets the constant with a zero-width band.
    """
    if np.ptp(y) == 0:
        return np.full(h, y[-1], dtype=float), np.full((h, len(quantiles)), y[-1], dtype=float)
    return seasonal_naive_forecast(y, h, quantiles, 1)


class PerSeriesModel:
    """The fit and predict loops shared by the per-series statistical models (Theta, ETS, ARIMA).

    A subclass implements ``_fit_one(y)``, returning whatever state its forecast needs or None when the
    series gets the naive fallback, and ``_predict_one(y, state, h, quantiles)``, returning the point
    forecast ``(h,)`` and the quantiles ``(h, len(quantiles))``. This class owns the rest: splitting the
    frame, quiet single-threaded fits, the fallback for a None state, a numerical error or a
    non-finite forecast, and the output frame. ``max_history`` (an attribute the subclass may set)
    fits each series on its most recent points only.
    """

    alias = "per_series"
    is_global = False
    max_history: int | None = None

    def _check_params(self) -> None:
        """Raise ``DataError`` on invalid hyper-parameters (nothing to check by default)."""

    def fit(self, df: pd.DataFrame, *, freq: str = "D", season_length: int = 7) -> Self:
        """Fit every series of the long frame ``unique_id, ds, y``."""
        self._check_params()
        self.series_: SeriesSet = split_series(df)
        self.freq_ = freq
        self.season_length_ = max(int(season_length), 1)
        keep = self.max_history
        with quiet_fit():
            self.states_: list[Any] = [self._fit_one(y[-keep:] if keep else y) for y in self.series_]
        return self

    def predict(self, h: int, quantiles: Sequence[float]) -> pd.DataFrame:
        """Forecast ``h`` steps after each series' last date."""
        check_fitted(self)
        h = check_horizon(h)
        qs = validate_quantiles(quantiles)
        n = len(self.series_)
        mean = np.empty((n, h))
        band = np.empty((n, h, len(qs)))
        with quiet_fit():
            for i, (y, state) in enumerate(zip(self.series_, self.states_, strict=True)):
                mean[i], band[i] = self._predict_or_fallback(y, state, h, qs)
        return make_forecast_frame(self.series_, h, self.freq_, mean, band, qs)

    def _predict_or_fallback(
        self, y: np.ndarray, state: Any, h: int, qs: Sequence[float]
    ) -> tuple[np.ndarray, np.ndarray]:
        if state is None:
            return naive_fallback(y, h, qs)
        try:
            point, band = self._predict_one(y, state, h, qs)
        except FIT_ERRORS:
            return naive_fallback(y, h, qs)
        if not (np.isfinite(point).all() and np.isfinite(band).all()):
            return naive_fallback(y, h, qs)
        return point, band

    def _fit_one(self, y: np.ndarray) -> Any:
        raise NotImplementedError

    def _predict_one(
        self, y: np.ndarray, state: Any, h: int, qs: Sequence[float]
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError
