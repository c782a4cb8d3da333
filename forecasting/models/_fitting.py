"""Helpers for per-series statistical models: quiet fits, seasonality test, fallbacks."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from scipy.stats import norm
from statsmodels.tsa.stattools import acf
from threadpoolctl import threadpool_limits

from forecasting.models.naive import residual_band

__all__ = ["aicc", "naive_fallback", "quiet_fit", "seasonality_detected"]


@contextmanager
def quiet_fit() -> Iterator[None]:
    """Fit statsmodels models single-threaded and without their convergence chatter.

    Multi-threaded BLAS makes scipy's L-BFGS-B several times slower on these tiny problems (thread
    hand-off costs more than the work), so fits run with one BLAS thread. statsmodels warns about
    convergence, frequencies and overflows on awkward series; the caller checks the result instead
    (finite parameters and forecasts) and falls back, so the warnings are silenced here only.
    """
    with threadpool_limits(limits=1), warnings.catch_warnings(), np.errstate(all="ignore"):
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
    with quiet_fit():
        r = acf(diff, nlags=m, fft=True)
    if not np.isfinite(r).all():
        return False
    limit = norm.ppf(0.5 + level / 2) * np.sqrt((1 + 2 * np.sum(r[1:m] ** 2)) / n)
    return bool(abs(r[m]) > limit)


def aicc(loglike: float, k: int, n: int) -> float:
    """Corrected Akaike criterion; infinite when the sample is too small for ``k`` parameters."""
    if not np.isfinite(loglike) or n - k - 1 <= 0:
        return float("inf")
    return float(-2.0 * loglike + 2.0 * k + 2.0 * k * (k + 1) / (n - k - 1))


def naive_fallback(y: np.ndarray, h: int, quantiles: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """The naive forecast and its empirical band, used when a series is too short or a fit fails."""
    mean = np.full(h, y[-1], dtype=float)
    band = mean[:, None] + residual_band(y, np.arange(1, h + 1), quantiles)
    return mean, band
