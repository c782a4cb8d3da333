"""Cloud cost forecasting: billing exports into daily cost series, quantile forecasts, backtests."""

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from forecasting.errors import DataError, DataWarning

if TYPE_CHECKING:
    from forecasting.forecaster import DEFAULT_MODELS, Forecaster
    from forecasting.load import LoadedSeries, load_series
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
    "LoadedSeries",
    "PrepareReport",
    "PrepareResult",
    "__version__",
    "is_billing_export",
    "load_series",
    "prepare_series",
]

# Public names load on first use: the estimator pulls in every model (statsmodels, LightGBM) and
# preparing pulls in pandas and DuckDB, so importing forecasting.errors or building the `forecast`
# parser stays light.
_LAZY = {
    "Forecaster": "forecasting.forecaster",
    "DEFAULT_MODELS": "forecasting.forecaster",
    "LoadedSeries": "forecasting.load",
    "load_series": "forecasting.load",
    "PrepareResult": "forecasting.prepare",
    "is_billing_export": "forecasting.prepare",
    "prepare_series": "forecasting.prepare",
    "PrepareReport": "forecasting.reconcile",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'forecasting' has no attribute {name!r}")
