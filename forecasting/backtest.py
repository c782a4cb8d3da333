"""Backtest folds: expanding-window splits of a long frame, each series cut at its own last date."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import pandas as pd

from forecasting.errors import DataError

__all__ = ["Split", "splits"]


class Split(NamedTuple):
    """One backtest window.

    Attributes:
        cutoff: One row per series in the window: ``unique_id, cutoff`` (the last training date).
        train: The rows of those series up to and including their cutoff.
        valid: The ``h`` rows after each cutoff, with a ``cutoff`` column added.
    """

    cutoff: pd.DataFrame
    train: pd.DataFrame
    valid: pd.DataFrame


def splits(df: pd.DataFrame, h: int, n_windows: int = 1, step_size: int | None = None) -> Iterator[Split]:
    """Yield the backtest windows of a frame, oldest first.

    Window ``w`` (0-based, ``n_windows`` in all) holds out ``h`` periods that end
    ``(n_windows - 1 - w) * step_size`` periods before each series' last date; the series is trained on
    everything before them. Cutoffs are per series, counted back from each series' own last date, so
    series that end on different dates (M3, a retired service) are all evaluated. The training part never
    contains a row after its cutoff: there is no look-ahead. A series too short to keep at least one
    training row in a window is left out of that window.

    Args:
        df: A validated long frame ``unique_id, ds, y`` sorted by ``unique_id, ds`` on a regular grid
            (see :func:`forecasting.validation.validate_series`). Extra columns are carried along.
        h: Periods held out in each window.
        n_windows: Number of windows.
        step_size: Periods between consecutive cutoffs; defaults to ``h`` (windows that do not overlap).

    Yields:
        ``Split(cutoff, train, valid)`` per window.

    Raises:
        DataError: If ``h``, ``n_windows`` or ``step_size`` is not a positive integer.

    Example:
        >>> df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=6), "y": range(6)})
        >>> [(s.cutoff["cutoff"].dt.day.tolist(), s.valid["y"].tolist()) for s in splits(df, 2, 2)]
        [([2], [2.0, 3.0]), ([4], [4.0, 5.0])]
    """
    step = h if step_size is None else step_size
    for name, value in (("h", h), ("n_windows", n_windows), ("step_size", step)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise DataError(f"{name} must be a positive integer; got {value!r}")
    ids = df["unique_id"].to_numpy()
    codes, _ = pd.factorize(ids)
    if len(codes) > 1 and (np.diff(codes) < 0).any():
        raise DataError("the frame must be sorted by unique_id, ds; validate it with validate_series first")
    sizes = np.bincount(codes)
    # Position of each row counted from its series' end: 0 is the last row.
    from_end = np.repeat(sizes, sizes) - 1 - df.groupby("unique_id", sort=False).cumcount().to_numpy()
    frame = df.assign(y=df["y"].astype(float))
    for w in range(n_windows):
        offset = h + (n_windows - 1 - w) * step
        enough = np.repeat(sizes > offset, sizes)
        train = frame[enough & (from_end >= offset)].reset_index(drop=True)
        valid = frame[enough & (from_end < offset) & (from_end >= offset - h)]
        cutoff = train.groupby("unique_id", sort=False)["ds"].max().rename("cutoff").reset_index()
        valid = valid.merge(cutoff, on="unique_id", how="left", validate="many_to_one")
        yield Split(cutoff=cutoff, train=train, valid=valid.reset_index(drop=True))
