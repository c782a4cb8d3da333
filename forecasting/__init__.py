"""Cloud cost forecasting: billing exports into daily cost series, quantile forecasts, backtests."""

from importlib.metadata import PackageNotFoundError, version

from forecasting.errors import DataError, DataWarning
from forecasting.forecaster import DEFAULT_MODELS, Forecaster
from forecasting.prepare import PrepareResult, is_billing_export, prepare_series
from forecasting.reconcile import PrepareReport

try:
    __version__ = version("costrec")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "DEFAULT_MODELS",
    "DataError",
    "DataWarning",
    "Forecaster",
    "PrepareReport",
    "PrepareResult",
    "__version__",
    "is_billing_export",
    "prepare_series",
]
