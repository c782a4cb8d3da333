"""Forecasting models, one module each, and the ``MODELS`` registry used by the CLI and AutoML."""

from __future__ import annotations

from collections.abc import Callable

from forecasting.models.base import ForecastModel
from forecasting.models.naive import Naive
from forecasting.models.seasonal_naive import SeasonalNaive

__all__ = ["MODELS", "ForecastModel", "Naive", "SeasonalNaive", "make_model"]

# name -> factory(**params) -> ForecastModel. Ordered from simplest to most complex: AutoML breaks
# ties in favour of the model that comes first.
MODELS: dict[str, Callable[..., ForecastModel]] = {
    "naive": Naive,
    "seasonal_naive": SeasonalNaive,
}


def make_model(name: str, **params: object) -> ForecastModel:
    """Build a registered model by name; an unknown name raises ``DataError`` listing the choices."""
    from forecasting.errors import DataError

    if name not in MODELS:
        raise DataError(f"unknown model {name!r}; choose from {sorted(MODELS)}")
    return MODELS[name](**params)
