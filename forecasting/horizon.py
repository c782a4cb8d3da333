"""The horizon rules, as in Amazon Forecast: ``h`` at most a third of the history, backtests at most half."""

from __future__ import annotations

import numpy as np

from forecasting.errors import DataError
from forecasting.interface import setting

__all__ = ["max_horizon", "check_horizon", "check_backtest"]


def max_horizon(history_length: int) -> int:
    """The largest horizon the rule allows: a third of the history, rounded down.

    Example:
        >>> max_horizon(730), max_horizon(2)
        (243, 0)
    """
    return int(history_length) // 3


def check_horizon(h: int, history_length: int, freq: str = "D") -> int:
    """Apply the horizon rule (as Amazon Forecast does): ``h`` may be at most a third of the history.

    Args:
        h: The forecast horizon in periods.
        history_length: Number of periods of the longest series.
        freq: The frequency, named in the message.

    Returns:
        ``h`` as an int.

    Raises:
        DataError: If ``h`` is not a positive integer or longer than a third of the history; the message
            names h, the history length and the largest allowed h.

    Example:
        >>> check_horizon(30, 730)
        30
    """
    if isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1:
        raise DataError(f"the horizon h must be a positive whole number of periods; got {h!r}")
    allowed = max_horizon(history_length)
    if h > allowed:
        fix = (
            f"use {setting('h', allowed)} or less"
            if allowed >= 1
            else "no horizon is possible; at least 3 periods are needed"
        )
        raise DataError(
            f"horizon h={h} is longer than a third of the history: the longest series has {history_length} "
            f"period(s) of {freq!r}, so the largest allowed h is {allowed}; {fix}, or supply at least "
            f"{3 * h} periods of history"
        )
    return int(h)


def check_backtest(h: int, n_windows: int, step_size: int, history_length: int) -> None:
    """Check that the backtest windows leave at least half of the history for training.

    The windows end at the last date and reach back ``h + (n_windows - 1) * step_size`` periods; as in
    Amazon Forecast that offset may be at most half of the history, so the earliest window still trains
    on a representative stretch.

    Raises:
        DataError: Naming the offset, the history length and the largest number of windows that fits.

    Example:
        >>> check_backtest(30, 3, 30, 730)
    """
    if isinstance(n_windows, bool) or int(n_windows) != n_windows or n_windows < 1:
        raise DataError(f"n_windows (backtest windows) must be a positive integer; got {n_windows!r}")
    if isinstance(step_size, bool) or int(step_size) != step_size or step_size < 1:
        raise DataError(f"step_size must be a positive integer; got {step_size!r}")
    offset = h + (n_windows - 1) * step_size
    limit = history_length // 2
    if offset > limit:
        fits = max(0, (limit - h) // step_size + 1) if limit >= h else 0
        raise DataError(
            f"{n_windows} backtest window(s) of h={h} every {step_size} period(s) reach back {offset} "
            "periods, "
            f"more than half of the {history_length}-period history ({limit}); use "
            f"{setting('n_windows', fits)} or less" + (", or a shorter horizon" if fits == 0 else "")
        )
