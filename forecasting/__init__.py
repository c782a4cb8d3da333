"""Cloud cost forecasting: billing exports into daily cost series, quantile forecasts, backtests."""

from importlib.metadata import PackageNotFoundError, version

from forecasting.errors import DataError, DataWarning
from forecasting.forecaster import DEFAULT_MODELS, Forecaster

try:
    __version__ = version("costrec")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = ["DEFAULT_MODELS", "DataError", "DataWarning", "Forecaster", "__version__"]
