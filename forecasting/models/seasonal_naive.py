"""Seasonal naive forecast (repeat the last season) with a centred band from the seasonal residuals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import pandas as pd

from forecasting.models._common import SeriesSet, check_fitted, split_series
from forecasting.models.naive import predict_seasonal_naive

__all__ = ["SeasonalNaive"]


class SeasonalNaive:
    """Forecast each step as the value one season earlier (the same weekday for daily data).

    Step ``j`` copies the value ``m * ceil(j / m)`` steps before the target, and its band is the
    point plus the empirical quantiles of the in-sample differences at that same lag and of their
    negatives (see :func:`forecasting.models.naive.residual_band`), so the band widens once per extra
    season looked back. The band is centred: ``mean`` and ``p50`` are the copied value and every band
    from a level below 0.5 to one above contains it. A year-on-year growth (every seasonal difference
    the same) widens the band by that much on both sides rather than moving it: the copied value is
    the forecast, the differences say how far off such a copy has been. A series shorter than one
    season (or ``season_length=1``) is forecast by the naive rule; a series that never went below zero
    gets no negative quantile.

    Example:
        >>> ds = pd.date_range("2024-01-01", periods=28)
        >>> df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": [1.0, 2, 3, 4, 5, 6, 7] * 4})
        >>> SeasonalNaive().fit(df, season_length=7).predict(3, [0.1, 0.5, 0.9])["p50"].tolist()
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
        return predict_seasonal_naive(self.series_, self.freq_, self.season_length_, h, quantiles)
