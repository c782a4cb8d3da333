"""The contract every forecasting model follows (duck-typed, sklearn-style)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, Self

import pandas as pd

__all__ = ["ForecastModel"]


class ForecastModel(Protocol):
    """A model that forecasts every series of a long frame at once.

    ``fit`` takes a long frame ``unique_id, ds, y``: sorted by ``unique_id, ds``, on a regular grid of
    frequency ``freq`` with gaps already filled, at least one row per series. ``predict`` returns a long
    frame ``unique_id, ds, mean`` plus one column per quantile named by
    :func:`forecasting.quantiles.quantile_column` (``p10, p50, p90``), ``h`` rows per series, with
    quantile columns non-decreasing left to right and no NaN. When the levels run from below 0.5 to
    above it, ``mean`` lies between the lowest and the highest quantile column, unless the model's
    distribution truly puts it outside, which the model's docstring says (a skewed ETS
    multiplicative form). A series whose history is never negative gets no negative value in any
    column. ``tests/forecasting/test_quantile_properties.py`` checks all of this for every model.

    Per-series models loop over series inside ``fit``; global models (LightGBM) train once across all.
    ``is_global`` says which: a per-series model (``False``) forecasts a series the same whatever other
    series it is fitted with, so callers may fit it on batches of series in parallel.
    Learned state ends in ``_``; ``__init__`` only stores hyper-parameters.
    """

    alias: str
    is_global: bool

    def fit(self, df: pd.DataFrame, *, freq: str = "D", season_length: int = 7) -> Self:
        """Fit on the history and return ``self``."""
        ...

    def predict(self, h: int, quantiles: Sequence[float]) -> pd.DataFrame:
        """Forecast ``h`` steps after each series' last date."""
        ...
