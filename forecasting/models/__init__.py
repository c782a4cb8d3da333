"""Forecasting models, one module each, and the ``MODELS`` registry used by the CLI and AutoML."""

from __future__ import annotations

from collections.abc import Callable

from forecasting.models.arima import ARIMA
from forecasting.models.base import ForecastModel
from forecasting.models.ensemble import Ensemble
from forecasting.models.ets import ETS
from forecasting.models.lgbm import LGBM
from forecasting.models.naive import Naive
from forecasting.models.seasonal_naive import SeasonalNaive
from forecasting.models.theta import Theta

__all__ = [
    "ARIMA",
    "ETS",
    "LGBM",
    "MODELS",
    "Ensemble",
    "ForecastModel",
    "Naive",
    "SeasonalNaive",
    "Theta",
    "make_model",
]

# name -> factory(**params) -> ForecastModel. Ordered from simplest to most complex: AutoML breaks
# ties in favour of the model that comes first.
MODELS: dict[str, Callable[..., ForecastModel]] = {
    "naive": Naive,
    "seasonal_naive": SeasonalNaive,
    "theta": Theta,
    "ets": ETS,
    "arima": ARIMA,
    "lgbm": LGBM,
    "ensemble": Ensemble,
}


def make_model(name: str, **params: object) -> ForecastModel:
    """Build a registered model by name; an unknown name raises ``DataError`` listing the choices."""
    from forecasting.errors import DataError

    if name not in MODELS:
        raise DataError(f"unknown model {name!r}; choose from {sorted(MODELS)}")
    return MODELS[name](**params)
