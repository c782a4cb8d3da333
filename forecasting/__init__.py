"""Cloud cost forecasting: billing exports into daily cost series, quantile forecasts, backtests."""

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from forecasting.errors import DataError, DataWarning
from forecasting.load import LoadedSeries, load_series
from forecasting.prepare import PrepareResult, is_billing_export, prepare_series
from forecasting.reconcile import PrepareReport

if TYPE_CHECKING:
    from forecasting.forecaster import DEFAULT_MODELS, Forecaster

try:
    __version__ = version("costrec")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "DEFAULT_MODELS",
    "DataError",
    "DataWarning",
    "Forecaster",
    "LoadedSeries",
    "PrepareReport",
    "PrepareResult",
    "__version__",
    "is_billing_export",
    "load_series",
    "prepare_series",
]

# The estimator pulls in every model (statsmodels, LightGBM): it loads on first use, so importing
# forecasting.errors or forecasting.prepare stays light.
_LAZY = {"Forecaster": "forecasting.forecaster", "DEFAULT_MODELS": "forecasting.forecaster"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'forecasting' has no attribute {name!r}")
