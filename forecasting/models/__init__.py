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
from forecasting.options import MODEL_NAMES

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

# name -> factory(**params) -> ForecastModel. The names and their order (simplest to most complex: AutoML
# breaks ties in favour of the model that comes first) are forecasting.options.MODEL_NAMES, which the
# command line reads without importing the models; each model's alias is its name.
MODELS: dict[str, Callable[..., ForecastModel]] = dict(
    zip(MODEL_NAMES, (Naive, SeasonalNaive, Theta, ETS, ARIMA, LGBM, Ensemble), strict=True)
)


def make_model(name: str, **params: object) -> ForecastModel:
    """Build a registered model by name; an unknown name raises ``DataError`` listing the choices."""
    from forecasting.errors import DataError

    if name not in MODELS:
        raise DataError(f"unknown model {name!r}; choose from {sorted(MODELS)}")
    return MODELS[name](**params)
