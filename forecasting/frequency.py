"""Frequencies of series: :func:`resolve_freq` reads what users type, :func:`infer_freq` reads the dates.

Series files carry no frequency, and reading weekly or monthly data as daily would fill six days of zeros
between weekly points without a word. ``forecast run`` and ``forecast anomalies`` therefore infer it when
``--freq`` is not given: candidates are tried from the coarsest (years) to the finest (hours), and the
first grid on which every date of every series lies wins. A grid is anchored on the earliest date, as
:func:`resolve_freq` does (weekly data on Sundays is ``W-SUN``). Series may have gaps and start on
different dates: only membership of the grid matters, not regular spacing.

Example:
    >>> import pandas as pd
    >>> infer_freq(pd.Series(pd.to_datetime(["2024-01-07", "2024-01-21", "2024-02-04"])))
    'W-SUN'
    >>> infer_freq(pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-04-01"])))
    'MS'
"""

from __future__ import annotations

import pandas as pd
from pandas.tseries.frequencies import to_offset

from forecasting.errors import DataError
from forecasting.interface import setting

__all__ = ["infer_freq", "resolve_freq", "is_auto", "default_season_length", "AUTO"]

AUTO = "auto"
# Spellings that pandas 3 rejects; users still type them. Months, quarters and years are labelled by
# their first day, as `forecast prepare` writes them (ME, QE, YE stay available for end-labelled data).
_FREQ_ALIASES = {"H": "h", "T": "min", "S": "s", "M": "MS", "Q": "QS", "A": "YS", "Y": "YS"}
# Anchored frequencies whose anchor we take from the data (a weekly series of Mondays is W-MON).
_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
# Coarsest first: data on month starts is monthly even though it also lies on the daily grid.
_CANDIDATES = ("YS", "YE", "QS", "QE", "MS", "ME", "W", "D", "h")
# Periods per season: a week of days (5 business days), a year of weeks, months or quarters, a day of hours.
_SEASONS = {"D": 7, "B": 5, "W": 52, "MS": 12, "ME": 12, "QS": 4, "QE": 4, "h": 24, "H": 24}


def resolve_freq(freq: str, first: pd.Timestamp | None = None) -> str:
    """Turn a frequency (``D``, ``W``, ``MS``, ``QS``, ``H``...) into a pandas 3 alias anchored on the data.

    Older spellings are translated (``H`` -> ``h``; ``M``, ``Q``, ``Y`` -> ``MS``, ``QS``, ``YS``: periods
    labelled by their first day, as ``forecast prepare`` writes them). ``W``, ``QS`` and ``YS`` without an
    explicit anchor take it from ``first`` (the earliest date): weekly data on Mondays is ``W-MON``,
    quarterly data starting in February is ``QS-FEB``.

    Args:
        freq: The frequency as typed by a user.
        first: The earliest timestamp of the data, used to anchor ``W``, ``QS``/``QE`` and ``YS``/``YE``.

    Returns:
        A frequency string that pandas 3 accepts.

    Raises:
        DataError: If pandas cannot read the frequency.

    Example:
        >>> resolve_freq("H"), resolve_freq("W", pd.Timestamp("2024-01-01")), resolve_freq("M")
        ('h', 'W-MON', 'MS')
    """
    text = str(freq).strip()
    head, sep, tail = text.partition("-")
    digits = head.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    unit = _FREQ_ALIASES.get(head[len(digits) :], head[len(digits) :])
    if not sep and first is not None:
        if unit == "W":
            sep, tail = "-", _WEEKDAYS[first.day_of_week]
        elif unit in ("QS", "QE"):
            # Quarters repeat every 3 months, so the first month's position in its quarter is the anchor.
            sep, tail = "-", _MONTHS[(first.month - 1) % 3]
        elif unit in ("YS", "YE"):
            sep, tail = "-", _MONTHS[first.month - 1]
    text = digits + unit + sep + tail
    try:
        return str(to_offset(text).freqstr)
    except ValueError as exc:
        raise DataError(
            f"freq: {freq!r} is not a pandas frequency; use one of D, W (or W-MON...), MS, QS, h"
        ) from exc


def is_auto(freq: str | None) -> bool:
    """Whether ``freq`` asks for inference: ``None`` or ``"auto"`` (any case)."""
    return freq is None or str(freq).strip().lower() == AUTO


def _on_grid(dates: pd.DatetimeIndex, freq: str) -> bool:
    grid = pd.date_range(dates[0], dates[-1], freq=freq)
    return len(grid) > 0 and bool((grid.get_indexer(dates) >= 0).all())


def infer_freq(ds: pd.Series | pd.DatetimeIndex) -> str:
    """The pandas frequency of timestamps pooled over all series (parsed, naive or UTC).

    Args:
        ds: Every timestamp of the frame (any order, repeats allowed).

    Returns:
        An anchored pandas frequency: ``YS-JAN``, ``QS-OCT``, ``MS``, ``ME``, ``W-MON``, ``D``, ``h`` or,
        for finer or uneven steps, the smallest step between them if every date lies on its grid
        (``15min``, ``90min``...).

    Raises:
        DataError: The timestamps lie on no regular grid.
    """
    dates = pd.DatetimeIndex(pd.unique(pd.DatetimeIndex(ds).dropna())).sort_values()
    if len(dates) < 2:
        return "D"  # one period says nothing; the horizon check will ask for more history anyway
    for unit in _CANDIDATES:
        freq = resolve_freq(unit, dates[0])
        if _on_grid(dates, freq):
            return freq
    # Finer regular data (15 minutes, 2 days...): the smallest step, if every date lies on its grid.
    step = (dates[1:] - dates[:-1]).min()
    guess = to_offset(step).freqstr
    # A grid of more than 10M periods (seconds over months) is not a forecasting frequency.
    if (dates[-1] - dates[0]) / step <= 10_000_000 and _on_grid(dates, guess):
        return str(guess)
    raise DataError(
        f"cannot infer the frequency of column 'ds': its {len(dates)} distinct timestamps from {dates[0]} to "
        f"{dates[-1]} lie on no regular grid (smallest step {step}); pass it with {setting('freq')} "
        "(D, W, MS, QS, h, 15min...) or aggregate the data to one row per period first"
    )


def default_season_length(freq: str) -> int:
    """The usual season of a frequency: 7 daily, 52 weekly, 12 monthly, 4 quarterly, 24 hourly, else 1.

    Multiples keep the season of their unit (``2D`` is 7); yearly and sub-hourly data get 1 (no season).

    Example:
        >>> default_season_length("D"), default_season_length("W-MON"), default_season_length("MS")
        (7, 52, 12)
        >>> default_season_length("QS-JAN"), default_season_length("h"), default_season_length("YS-JAN")
        (4, 24, 1)
    """
    return _SEASONS.get(str(freq).split("-")[0].lstrip("0123456789"), 1)
