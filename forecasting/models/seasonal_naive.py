"""Seasonal naive forecast (repeat the last season) with quantiles from empirical seasonal residuals."""

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
from forecasting.models.naive import residual_band
from forecasting.quantiles import validate_quantiles

__all__ = ["SeasonalNaive"]


class SeasonalNaive:
    """Forecast each step as the value one season earlier (the same weekday for daily data).

    Step ``j`` copies the value ``m * ceil(j / m)`` steps before the target, and its band is the
    point plus the empirical quantiles of the in-sample differences at that same lag (see
    :func:`forecasting.models.naive.residual_band`), so the band widens once per extra season
    looked back. A series shorter than one season (or ``season_length=1``) is forecast by the naive rule.

    Example:
        >>> ds = pd.date_range("2024-01-01", periods=28)
        >>> df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": [1.0, 2, 3, 4, 5, 6, 7] * 4})
        >>> SeasonalNaive().fit(df, season_length=7).predict(3, [0.1, 0.9])["p90"].tolist()
        [1.0, 2.0, 3.0]
    """

    alias = "seasonal_naive"
    is_global = False

    def fit(self, df: pd.DataFrame, *, freq: str = "D", season_length: int = 7) -> Self:
        """Store the series and the season length (nothing is estimated)."""
        self.series_: SeriesSet = split_series(df)
        self.freq_ = freq
        self.season_length_ = max(int(season_length), 1)
        return self

    def predict(self, h: int, quantiles: Sequence[float]) -> pd.DataFrame:
        """Forecast ``h`` steps after each series' last date."""
        check_fitted(self)
        h = check_horizon(h)
        qs = validate_quantiles(quantiles)
        n = len(self.series_)
        mean = np.empty((n, h))
        band = np.empty((n, h, len(qs)))
        steps = np.arange(1, h + 1)
        for i, y in enumerate(self.series_):
            m = self.season_length_ if len(y) >= self.season_length_ else 1
            lags = m * np.ceil(steps / m).astype(int)
            point = y[len(y) - lags + steps - 1]
            mean[i] = point
            band[i] = point[:, None] + residual_band(y, lags, qs, base_lag=m)
        return make_forecast_frame(self.series_, h, self.freq_, mean, band, qs)
