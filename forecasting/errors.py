"""The one exception class of the forecasting package."""

__all__ = ["DataError", "DataWarning"]


class DataError(ValueError):
    """Input data or arguments that cannot be used as given.

    Messages say what was wrong, what was received (file, column, an example value) and how to fix it.
    It subclasses ``ValueError`` so callers that already catch that keep working.
    """


class DataWarning(UserWarning):
    """A recoverable problem in the input that was handled (e.g. a partial last day that was dropped)."""
