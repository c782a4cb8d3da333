"""The exception and warning classes of this package, subclasses of the shared ones in costrec.errors."""

from costrec.errors import CostrecError, CostrecWarning

__all__ = ["DataError", "DataWarning"]


class DataError(CostrecError):
    """Bad input data or arguments of the forecasting package (see costrec.errors.CostrecError)."""


class DataWarning(CostrecWarning):
    """A recoverable problem in forecasting input that was handled."""
