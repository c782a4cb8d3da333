"""The base classes of both packages' errors and warnings, so a caller of either catches one type."""

__all__ = ["CostrecError", "CostrecWarning"]


class CostrecError(ValueError):
    """Input data or arguments that cannot be used as given.

    Messages say what was wrong, what was received (file, column, an example value) and how to fix it.
    It subclasses ``ValueError`` so callers that already catch that keep working. Each package raises
    its own subclass (``forecasting.DataError``, ``recsys.DataError``).
    """


class CostrecWarning(UserWarning):
    """A recoverable problem in the input that was handled (e.g. a partial last day that was dropped)."""
