"""Exponential smoothing (statsmodels ``ETSModel``) with the model form chosen per series by AICc."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

# Imported at module level on purpose: statsmodels installs an "always" filter for its
# ConvergenceWarning on first import, and doing that inside ``quiet_fit`` would defeat the silencing.
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from forecasting.errors import DataError
from forecasting.models._common import check_fitted, normal_quantiles
from forecasting.models._fitting import FIT_ERRORS, PerSeriesModel, aicc, seasonality_detected

__all__ = ["ETS", "ETSForm", "candidate_forms"]

# Below this many points a series is forecast by the naive rule: ETS would have as many parameters
# as observations.
MIN_POINTS = 4
# Forms whose forecast variance statsmodels knows in closed form; the others are simulated.
# Longest series on which search="auto" compares seasonal and non-seasonal forms by AICc.
FULL_SEARCH_MAX = 300
# Default fit window: a year of daily points. A 30-day forecast of a seasonal ETS depends on the recent
# level, trend and weekly pattern; on 300 two-year daily cost series fitting on the last 364 points
# gave the same holdout WQL (0.1638 vs 0.1641) for about a quarter less fit time. Monthly and weekly
# series (M3: at most 144 points) are never cut.
MAX_HISTORY = 364
_EXACT = {"ANN", "AAN", "AAdN", "ANA", "AAA", "AAdA"}


@dataclass(frozen=True)
class ETSForm:
    """One ETS form: error, trend (with damping) and seasonal component."""

    error: str
    trend: str | None
    damped: bool
    seasonal: str | None

    @property
    def name(self) -> str:
        """Hyndman's short name, e.g. ``MAdM``."""
        trend = "N" if self.trend is None else "A" + ("d" if self.damped else "")
        seasonal = "N" if self.seasonal is None else self.seasonal[0].upper()
        return f"{self.error[0].upper()}{trend}{seasonal}"


def candidate_forms(
    y: np.ndarray,
    season_length: int,
    *,
    search: str = "fast",
    trends: Sequence[str] | None = ("N", "Ad"),
) -> list[ETSForm]:
    """The ETS forms tried on one series.

    ``trends`` lists the trend forms: ``N`` (none), ``A`` (additive) and ``Ad`` (additive damped).
    Multiplicative error and season are tried only for strictly positive series. The seasonal
    component needs at least two full seasons plus ten points; with ``search="fast"`` the Theta
    seasonality test picks seasonal or non-seasonal forms, halving the fits, ``search="full"``
    compares both by AICc, and ``search="auto"`` is full up to ``FULL_SEARCH_MAX`` points and fast
    beyond (the test gains power with length while each fit gets dearer).

    ``trends=None`` tries all three trends on series up to ``FULL_SEARCH_MAX`` points and ``N, Ad``
    on longer ones: the undamped trend lowered MASE on M3 (short monthly series) but a straight line
    carried 30+ steps beyond hundreds of daily points is rarely right, and it costs half as many fits
    again on the series where fits are dearest.

    Example:
        >>> [f.name for f in candidate_forms(np.arange(1.0, 30.0), 7)]
        ['ANN', 'AAdN', 'MNN', 'MAdN']
    """
    positive = bool(np.min(y) > 0)
    m = int(season_length)
    can_season = m > 1 and len(y) >= max(2 * m, 10 + 2 * (m // 2)) + 2
    short = len(y) <= FULL_SEARCH_MAX
    if search == "auto":
        search = "full" if short else "fast"
    if trends is None:
        trends = ("N", "A", "Ad") if short else ("N", "Ad")
    if search == "fast":
        seasonal_options: list[str | None] = (
            ["season"] if can_season and seasonality_detected(y, m) else [None]
        )
    else:
        seasonal_options = [None, "season"] if can_season else [None]
    errors = ["add", "mul"] if positive else ["add"]
    forms = []
    for season in seasonal_options:
        for error in errors:
            for trend in trends:
                seasonal = None if season is None else error
                forms.append(ETSForm(error, None if trend == "N" else "add", trend == "Ad", seasonal))
    return forms


class ETS(PerSeriesModel):
    """Automatic exponential smoothing: per series, the ETS form with the lowest AICc.

    Each candidate of :func:`candidate_forms` is fitted by maximum likelihood (statsmodels
    ``ETSModel``, L-BFGS-B) and the lowest AICc wins. Initial states come from the heuristic of
    Hyndman & Athanasopoulos (a classical decomposition of the first cycles): on M3 monthly it was
    both more accurate and about 15 times faster than estimating them with the smoothing parameters,
    which is kept for series shorter than ``estimate_below`` (at least the ten points the heuristic
    needs). AICc counts the initial states either way so the comparison is fair.

    Quantiles come from the model's predictive distribution: normal with the closed-form variance
    for the additive forms (``mean`` = ``p50``), and ``repetitions`` simulated paths (seeded) for
    multiplicative forms, whose ``mean`` is the model's point forecast (the conditional mean).

    Where the mean may lie outside the band: a multiplicative-error form fitted to a very volatile
    series has a right-skewed predictive distribution, like a log-normal with a large variance. Its
    paths mostly shrink while a few grow, so the mean is above the median and, a few steps ahead, can
    be above P90 too (seen on random walks of log-changes with a standard deviation near 1). That is the
    distribution, not a numerical error, and it is kept: moving the mean into the band would misstate
    the expected cost. The mean is never below the lowest quantile of such a form.

    Fallbacks (documented behaviour, never an exception): a constant series is forecast as that
    constant with a zero-width band; fewer than ``MIN_POINTS`` points, or a series on which every
    candidate fails, gets the naive forecast and band.

    Args:
        search: ``"auto"``, ``"fast"`` (a seasonality test decides the seasonal forms) or ``"full"``
            (AICc decides); see :func:`candidate_forms`.
        trends: Trend forms tried (``N``, ``A``, ``Ad``); None picks by length (see
            :func:`candidate_forms`).
        estimate_below: Series with fewer points estimate their initial states (10 at least).
        max_history: Fit on at most this many recent points (None: all); bounds the cost on long
            series (see ``MAX_HISTORY``).
        repetitions: Simulated paths for the multiplicative forms.
        maxiter: Optimizer iterations per candidate.
        random_state: Seed of the simulations.
    """

    alias = "ets"
    is_global = False

    def __init__(
        self,
        *,
        search: str = "auto",
        estimate_below: int = 10,
        max_history: int | None = MAX_HISTORY,
        repetitions: int = 500,
        maxiter: int = 200,
        trends: Sequence[str] | None = None,
        random_state: int = 0,
    ) -> None:
        self.trends = trends
        self.search = search
        self.estimate_below = estimate_below
        self.max_history = max_history
        self.repetitions = repetitions
        self.maxiter = maxiter
        self.random_state = random_state

    def _check_params(self) -> None:
        if self.search not in ("auto", "fast", "full") or not set(self.trends or ()) <= {"N", "A", "Ad"}:
            raise DataError(
                f"ets: search must be auto, fast or full and trends a subset of N, A, Ad; "
                f"got search={self.search!r}, trends={self.trends!r}"
            )

    @property
    def forms_(self) -> list[str]:
        """The chosen form of each series (``MAdM``...), ``constant`` or ``naive`` for the fallbacks."""
        check_fitted(self)
        keep = self.max_history
        return [
            ("constant" if np.ptp(y[-keep:] if keep else y) == 0 else "naive")
            if result is None
            else result.model.short_name
            for y, result in zip(self.series_, self.states_, strict=True)
        ]

    def _fit_one(self, y: np.ndarray) -> Any:
        """Fit the candidates on one series; return the best results object, or None for the fallback."""
        if np.ptp(y) == 0 or len(y) < MIN_POINTS:
            return None
        # The heuristic initialisation needs ten points; below that the initial states are estimated.
        init = "estimated" if len(y) < max(self.estimate_below, 10) else "heuristic"
        endog = pd.Series(y)
        best: tuple[float, Any, Any] | None = None
        for form in candidate_forms(y, self.season_length_, search=self.search, trends=self.trends):
            try:
                model = ETSModel(
                    endog,
                    error=form.error,
                    trend=form.trend,
                    damped_trend=form.damped,
                    seasonal=form.seasonal,
                    seasonal_periods=self.season_length_ if form.seasonal else None,
                    initialization_method=init,
                )
                params = model.fit(disp=False, maxiter=self.maxiter, return_params=True)
                loglike = float(model.loglike(params))
            except FIT_ERRORS:
                continue
            n_states = 1 + (form.trend is not None) + (self.season_length_ - 1 if form.seasonal else 0)
            k = len(params) + 1 + (n_states if init == "heuristic" else 0)
            score = aicc(loglike, k, len(y))
            if np.all(np.isfinite(params)) and (best is None or score < best[0]):
                best = (score, model, params)
        if best is None:
            return None
        _, model, params = best
        try:
            return model.smooth(params)
        except FIT_ERRORS:
            return None

    def _predict_one(
        self,
        y: np.ndarray,
        result: Any,
        h: int,
        qs: Sequence[float],
    ) -> tuple[np.ndarray, np.ndarray]:
        start = result.nobs
        if result.model.short_name in _EXACT:
            pred = result.get_prediction(start=start, end=start + h - 1)
            point = np.asarray(pred.predicted_mean, dtype=float)
            return point, normal_quantiles(point, np.sqrt(np.asarray(pred.forecast_variance)), qs)
        # One generator per series, seeded by random_state and the series' own values: a series gets the
        # same simulations whichever chunk, worker or position in the batch it lands in.
        rng = np.random.default_rng([self.random_state, zlib.crc32(np.ascontiguousarray(y).tobytes())])
        paths = np.asarray(
            result.simulate(h, anchor="end", repetitions=self.repetitions, rng=rng), dtype=float
        ).reshape(h, -1)
        return np.asarray(result.forecast(h), dtype=float), np.quantile(paths, qs, axis=1).T
