"""Seasonal-naive MASE scales of many series at many cutoffs, computed in one vectorised pass."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics._checks import column_as_float, require_columns

__all__ = ["naive_scales"]


def _align_times(left: pd.Series, right: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Give two time columns one dtype so they can be compared (datetime units, int vs float)."""
    if left.dtype == right.dtype:
        return left, right
    if pd.api.types.is_datetime64_any_dtype(left) and pd.api.types.is_datetime64_any_dtype(right):
        return left.dt.as_unit("ns"), right.dt.as_unit("ns")
    if pd.api.types.is_numeric_dtype(left) and pd.api.types.is_numeric_dtype(right):
        return left.astype(np.float64), right.astype(np.float64)
    raise ValueError(
        f"the forecast times/cutoffs ({left.dtype}) and train_df times ({right.dtype}) cannot be compared; "
        "give both the same type, e.g. datetime64"
    )


def naive_scales(
    queries: pd.DataFrame,
    train_df: pd.DataFrame,
    *,
    season_length: int,
    id_col: str,
    time_col: str,
    target_col: str,
    at_col: str,
    inclusive: bool,
) -> np.ndarray:
    """Seasonal-naive scale ``mean_t |y_t - y_{t-m}|`` of each query's series, using history up to a time.

    Args:
        queries: One row per (series, time) pair: ``id_col`` and ``at_col``.
        train_df: History ``id_col, time_col, target_col``, evenly spaced within each series.
        season_length: Seasonal lag ``m``; a history of ``m`` points or fewer falls back to ``m = 1``.
        id_col: Series id column of both frames.
        time_col: Time column of ``train_df``.
        target_col: Value column of ``train_df``.
        at_col: Column of ``queries`` holding the last usable time.
        inclusive: Use history with time ``<= at`` (a backtest cutoff) when True, ``< at`` otherwise.

    Returns:
        One scale per query row, in query order; ``nan`` when fewer than two history points qualify.
    """
    require_columns(train_df, [id_col, time_col, target_col], frame="train_df")
    train = train_df.loc[train_df[id_col].isin(pd.unique(queries[id_col])), [id_col, time_col, target_col]]
    if train.empty:
        example = queries[id_col].iloc[0] if len(queries) else None
        raise ValueError(
            f"train_df holds none of the forecast series (e.g. {id_col}={example!r}); give it the history of "
            f"the same series, with {id_col!r} of the same type"
        )
    train = train.sort_values([id_col, time_col], kind="stable").reset_index(drop=True)
    y = column_as_float(train, target_col, frame="train_df")
    ids = train[id_col].to_numpy()
    # Rows are sorted by series, so each series is one block; index every row by its block's first row.
    is_start = np.ones(len(train), dtype=bool)
    is_start[1:] = ids[1:] != ids[:-1]
    block_start = np.flatnonzero(is_start)[np.cumsum(is_start) - 1]
    pos = np.arange(len(train)) - block_start
    n = pos + 1.0

    def cumulative_naive_error(lag: int) -> np.ndarray:
        # |y_t - y_{t-lag}| within a series, summed from the series start up to each row.
        diff = np.zeros(len(train))
        diff[lag:] = np.abs(y[lag:] - y[:-lag])
        diff[pos < lag] = 0.0
        total = np.cumsum(diff)
        return total - total[block_start]

    m = int(season_length)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale_m = cumulative_naive_error(m) / (n - m)
        scale_1 = cumulative_naive_error(1) / (n - 1.0)
    # Too short for a seasonal lag: use the one-step naive scale; a single point has no scale at all.
    scale = np.where(n >= m + 1, scale_m, np.where(n >= 2, scale_1, np.nan))

    right = pd.DataFrame({id_col: train[id_col], "_t": train[time_col], "_scale": scale})
    left = pd.DataFrame({id_col: queries[id_col].to_numpy(), "_t": queries[at_col].to_numpy()})
    left["_order"] = np.arange(len(left))
    left["_t"], right["_t"] = _align_times(left["_t"], right["_t"])
    try:
        merged = pd.merge_asof(
            left.sort_values("_t", kind="stable"),
            right.sort_values("_t", kind="stable"),
            on="_t",
            by=id_col,
            direction="backward",
            allow_exact_matches=inclusive,
        )
    except pd.errors.MergeError as exc:
        raise ValueError(f"cannot match forecast series to train_df series on {id_col!r}: {exc}") from None
    return merged.sort_values("_order")["_scale"].to_numpy(dtype=np.float64, na_value=np.nan)
