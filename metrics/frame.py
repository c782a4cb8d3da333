"""Metric tables from long frames: forecast scores per series or per dataset, ranking scores per user."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from metrics._checks import (
    check_k,
    check_quantiles,
    check_season_length,
    column_as_float,
    require_columns,
    safe_divide,
)
from metrics._keys import first_hits, sorted_unique
from metrics._scale import naive_scales
from metrics.ranking import hit_rate_at_k, mrr_at_k, ndcg_at_k, precision_at_k, recall_at_k

__all__ = ["LEVELS", "catalog_coverage_score", "forecast_scores", "rank_scores"]

LEVELS: tuple[str, ...] = ("series", "dataset", "series_mean")


def _group_codes(df: pd.DataFrame, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Group number of every row (groups in sorted key order) and the first row of each group."""
    if not keys:
        return np.zeros(len(df), dtype=np.intp), np.zeros(1, dtype=np.intp)
    codes = df.groupby(list(keys), sort=True, dropna=False, observed=True).ngroup().to_numpy(dtype=np.intp)
    _, first = np.unique(codes, return_index=True)
    return codes, first


def _nanmean_by(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Mean of ``values`` per group, leaving out NaN; NaN for a group with no defined value."""
    ok = ~np.isnan(values)
    total = np.bincount(groups[ok], weights=values[ok], minlength=n_groups)
    count = np.bincount(groups[ok], minlength=n_groups)
    return safe_divide(total, count) if n_groups else total


def _scores(
    y: np.ndarray,
    quantile_pred: np.ndarray,
    quantile_names: Sequence[str],
    qs: np.ndarray,
    point: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
) -> dict[str, np.ndarray]:
    """Pooled metrics of every group: sums over the group's rows, then the published ratios."""

    def total(x: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=x, minlength=n_groups)

    count = np.bincount(codes, minlength=n_groups).astype(np.float64)
    abs_y = total(np.abs(y))
    diff = y[:, None] - quantile_pred
    pinball = np.maximum(qs * diff, (qs - 1.0) * diff)
    out: dict[str, np.ndarray] = {}
    for j, name in enumerate(quantile_names):
        out[f"wql_{name}"] = safe_divide(2.0 * total(pinball[:, j]), abs_y)
    out["mean_wql"] = np.mean(np.vstack([out[f"wql_{name}"] for name in quantile_names]), axis=0)
    abs_err = np.abs(y - point)
    out["wape"] = safe_divide(total(abs_err), abs_y)
    out["rmse"] = np.sqrt(total(abs_err**2) / count)
    out["mase"] = np.full(n_groups, np.nan)
    # A NaN term (non-zero error on a zero actual) makes the group's MAPE NaN: bincount propagates it.
    out["mape"] = total(safe_divide(abs_err, np.abs(y))) / count
    out["smape"] = total(safe_divide(2.0 * abs_err, np.abs(y) + np.abs(point))) / count
    if len(quantile_names) > 1:
        lower, upper = quantile_pred[:, 0], quantile_pred[:, -1]
        out["coverage"] = total(((y >= lower) & (y <= upper)).astype(np.float64)) / count
        out["interval_width"] = total(upper - lower) / count
    return out


def _check_quantile_cols(quantile_cols: Mapping[str, float]) -> np.ndarray:
    if not isinstance(quantile_cols, Mapping) or not quantile_cols:
        msg = f"quantile_cols must map column names to levels, e.g. {{'p50': 0.5}}; got {quantile_cols!r}"
        raise ValueError(msg)
    try:
        return check_quantiles(quantile_cols.values())
    except ValueError as exc:
        msg = f"quantile_cols {dict(quantile_cols)}: {exc}; list the columns by increasing level"
        raise ValueError(msg) from None


def forecast_scores(
    df: pd.DataFrame,
    *,
    quantile_cols: Mapping[str, float],
    train_df: pd.DataFrame | None = None,
    season_length: int = 1,
    level: Literal["series", "dataset", "series_mean"] = "series",
    by: Sequence[str] = ("model",),
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    cutoff_col: str = "cutoff",
    point_col: str = "mean",
) -> pd.DataFrame:
    """Score quantile and point forecasts held in a long frame, per series or over the whole dataset.

    Levels:
        * ``"series"``: one row per series and window, i.e. per (``id_col``, ``cutoff_col`` when present,
          ``by`` columns). Each metric is the array-level metric of :mod:`metrics.forecast` on that
          group's rows.
        * ``"dataset"``: Amazon Forecast's aggregation. Every series and backtest window of a ``by`` group
          is pooled, so ``wql_* = 2 * sum pinball / sum |y|`` and ``wape`` sum over all their points, and
          ``rmse``, ``mape``, ``smape``, ``coverage`` and ``interval_width`` average over all points. Large
          series weigh more. MASE has no pooled form: its dataset value is the mean of the per-series
          (per series and window) MASE values.
        * ``"series_mean"``: the plain mean of the ``"series"`` values per ``by`` group, each series
          and window weighing the same.

    In both aggregated levels, a per-series value that is undefined (``nan``, e.g. a series whose window is
    all zeros) is left out of the mean of per-series values; compare models on the same series.
    Zero denominators follow :mod:`metrics.forecast`: ``0.0`` for a perfect forecast, else ``nan``.

    MASE needs ``train_df`` (``id_col, time_col, target_col``, evenly spaced). For a row with a cutoff, the
    scale uses that series' ``train_df`` values with time ``<= cutoff``; without a cutoff column, the values
    before the series' first forecast time. ``mase`` is ``nan`` without ``train_df`` and for series with
    fewer than two history points. Histories of ``season_length`` points or fewer use a one-step scale.

    Args:
        df: Long forecast frame: ``id_col, time_col, target_col``, the quantile columns, ``point_col``, and
            optionally ``cutoff_col`` and the ``by`` columns (names of ``by`` absent from ``df`` are ignored).
        quantile_cols: Quantile column to level, by increasing level, e.g. ``{"p10": 0.1, "p90": 0.9}``.
        train_df: History for the MASE scale. Defaults to None (``mase`` is ``nan``).
        season_length: Seasonal lag of the MASE scale. Defaults to 1.
        level: ``"series"``, ``"dataset"`` or ``"series_mean"``. Defaults to ``"series"``.
        by: Extra grouping columns such as the model name. Defaults to ``("model",)``.
        id_col: Series id column. Defaults to ``"unique_id"``.
        time_col: Time column. Defaults to ``"ds"``.
        target_col: Actual value column. Defaults to ``"y"``.
        cutoff_col: Backtest window column, used when present. Defaults to ``"cutoff"``.
        point_col: Point forecast column for WAPE, RMSE, MASE, MAPE and sMAPE. Defaults to ``"mean"``.

    Returns:
        The group columns, then ``wql_<col>`` per quantile column, ``mean_wql``, ``wape``, ``rmse``,
        ``mase``, ``mape``, ``smape`` and, with two quantiles or more, ``coverage`` and ``interval_width``
        of the band between the lowest and the highest quantile. Rows are sorted by the group columns.

    Raises:
        ValueError: On missing columns, an empty frame, NaN values, unsorted or out-of-range quantile
            levels, an unknown level, or a non-positive season length.

    Example:
        >>> df = pd.DataFrame({
        ...     "unique_id": ["a", "a", "b", "b"], "ds": [3, 4, 3, 4], "y": [10.0, 20.0, 5.0, 5.0],
        ...     "p10": [8.0, 15.0, 4.0, 4.0], "p90": [12.0, 22.0, 6.0, 7.0], "mean": [10.0, 18.0, 5.0, 6.0]})
        >>> train = pd.DataFrame({"unique_id": ["a", "a", "b", "b"], "ds": [1, 2, 1, 2], "y": [8, 10, 4, 5]})
        >>> bands = {"p10": 0.1, "p90": 0.9}
        >>> scores = forecast_scores(df, quantile_cols=bands, train_df=train)
        >>> scores[["unique_id", "mean_wql", "wape", "mase", "coverage"]]
          unique_id  mean_wql      wape  mase  coverage
        0         a  0.036667  0.066667   0.5       1.0
        1         b  0.050000  0.100000   0.5       1.0
        >>> forecast_scores(df, quantile_cols=bands, level="dataset")["wape"].round(4).tolist()
        [0.075]
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {list(LEVELS)}; got {level!r}")
    m = check_season_length(season_length)
    qs = _check_quantile_cols(quantile_cols)
    names = [str(c) for c in quantile_cols]
    require_columns(df, [id_col, time_col, target_col, *names, point_col], frame="forecast frame")
    if df.empty:
        raise ValueError("the forecast frame is empty; pass at least one forecasted row")
    by_names = [by] if isinstance(by, str) else list(by)
    by_cols = [c for c in by_names if c in df.columns and c not in (id_col, cutoff_col)]
    has_cutoff = cutoff_col in df.columns
    series_keys = [id_col, *([cutoff_col] if has_cutoff else []), *by_cols]
    for key in (id_col, cutoff_col) if has_cutoff else (id_col,):
        missing = df[key].isna().to_numpy()
        if missing.any():
            row = df.index[int(np.argmax(missing))]
            raise ValueError(
                f"forecast frame column {key!r} has {int(missing.sum())} missing value(s), e.g. row {row!r}"
            )

    y = column_as_float(df, target_col, frame="forecast frame")
    point = column_as_float(df, point_col, frame="forecast frame")
    pred = np.column_stack([column_as_float(df, c, frame="forecast frame") for c in names])

    codes, first = _group_codes(df, series_keys)
    series = _scores(y, pred, names, qs, point, codes, first.size)
    if train_df is not None:
        queries = df[series_keys].iloc[first].reset_index(drop=True)
        if has_cutoff:
            at, inclusive = queries[cutoff_col], True
        else:
            at, inclusive = df[time_col].groupby(codes).min().reset_index(drop=True), False
        queries = pd.DataFrame({id_col: queries[id_col], "_at": at})
        scale = naive_scales(
            queries, train_df, season_length=m, id_col=id_col, time_col=time_col,
            target_col=target_col, at_col="_at", inclusive=inclusive,
        )  # fmt: skip
        mae = np.bincount(codes, weights=np.abs(y - point)) / np.bincount(codes)
        series["mase"] = safe_divide(mae, scale)

    if level == "series":
        return _table(df, series_keys, first, series)
    by_codes, by_first = _group_codes(df, by_cols)
    series_by = by_codes[first]
    if level == "dataset":
        pooled = _scores(y, pred, names, qs, point, by_codes, by_first.size)
        pooled["mase"] = _nanmean_by(series["mase"], series_by, by_first.size)
        return _table(df, by_cols, by_first, pooled)
    means = {name: _nanmean_by(values, series_by, by_first.size) for name, values in series.items()}
    return _table(df, by_cols, by_first, means)


def _table(
    df: pd.DataFrame, keys: Sequence[str], first: np.ndarray, scores: Mapping[str, Any]
) -> pd.DataFrame:
    if not keys:
        out = pd.DataFrame(index=range(first.size))
    else:
        out = df[list(keys)].iloc[first].reset_index(drop=True)
    for name, values in scores.items():
        out[name] = np.asarray(values, dtype=np.float64)
    return out


def _id_kind(values: pd.Series) -> str:
    """ "number", "text" or "other" for an id column, looking inside object columns; "" when all missing."""
    if not values.notna().any():
        return ""
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return "number"
    return "text" if kind == "string" else "other"


def _check_same_kind(left: pd.DataFrame, right: pd.DataFrame, columns: Sequence[str], names: str) -> None:
    """Raise when an id column holds numbers in one frame and text in the other: nothing would ever match."""
    left_name, right_name = names.split("/")
    for column in columns:
        kinds = {_id_kind(left[column]), _id_kind(right[column])}
        if kinds == {"number", "text"}:
            raise ValueError(
                f"{column!r} holds {_id_kind(left[column])}s ({left[column].dtype}) in {left_name} but "
                f"{_id_kind(right[column])}s ({right[column].dtype}) in {right_name}; give both the same type"
            )


def rank_scores(
    recommendations: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    k: int,
    user_col: str = "user_id",
    item_col: str = "item_id",
    rank_col: str = "rank",
) -> pd.DataFrame:
    """Per-user top-k ranking metrics of a recommendation frame against held-out target interactions.

    Each user's list is ordered by ``rank_col`` (ties keep frame order) and its first ``k`` entries are
    scored, so gaps in the ranks do not matter. Only users with at least one target get a row; a user with
    targets but no recommendation scores 0 everywhere. Duplicate targets count once, and an item repeated in
    one list hits only at its first position. The metrics are those of :mod:`metrics.ranking`.

    Args:
        recommendations: ``user_col, item_col, rank_col``, one row per recommended item.
        targets: ``user_col, item_col``: the relevant (held-out) interactions.
        k: Cut-off, a positive integer.
        user_col: User id column of both frames. Defaults to ``"user_id"``.
        item_col: Item id column of both frames. Defaults to ``"item_id"``.
        rank_col: Rank column of ``recommendations`` (1 is best). Defaults to ``"rank"``.

    Returns:
        One row per user with a target, sorted by user: ``user_col``, ``precision_at_k``, ``recall_at_k``,
        ``mrr_at_k``, ``ndcg_at_k``, ``hit_rate_at_k``, ``n_targets``.

    Raises:
        ValueError: On missing columns, ``k <= 0``, no targets, NaN ranks, or id columns whose types differ.

    Example:
        >>> recs = pd.DataFrame({"user_id": ["u"] * 5, "rank": [1, 2, 3, 4, 5],
        ...                      "item_id": ["a", "b", "c", "d", "e"]})
        >>> targets = pd.DataFrame({"user_id": ["u", "u", "v"], "item_id": ["b", "e", "a"]})
        >>> scores = rank_scores(recs, targets, k=5)
        >>> scores[["user_id", "precision_at_k", "recall_at_k", "mrr_at_k", "ndcg_at_k"]].round(4)
          user_id  precision_at_k  recall_at_k  mrr_at_k  ndcg_at_k
        0       u             0.4          1.0       0.5     0.6241
        1       v             0.0          0.0       0.0     0.0000
    """
    k = check_k(k)
    require_columns(recommendations, [user_col, item_col, rank_col], frame="recommendations")
    require_columns(targets, [user_col, item_col], frame="targets")
    _check_same_kind(recommendations, targets, [user_col, item_col], "recommendations/targets")
    tgt = targets[[user_col, item_col]].dropna()
    if tgt.empty:
        raise ValueError("targets has no (user, item) rows; pass the held-out interactions to score against")
    n_rec = len(recommendations)
    # Integer codes shared by both frames; users sorted so the output is in user order. Missing ids get -1.
    user_codes, user_values = pd.factorize(
        pd.concat([recommendations[user_col], tgt[user_col]], ignore_index=True), sort=True
    )
    item_codes, item_values = pd.factorize(
        pd.concat([recommendations[item_col], tgt[item_col]], ignore_index=True)
    )
    n_items = max(len(item_values), 1)
    has_target = np.zeros(len(user_values), dtype=bool)
    has_target[user_codes[n_rec:]] = True
    row_of = np.cumsum(has_target) - 1  # output row of each user with a target
    users = user_values[has_target]

    rec_users, rec_items = user_codes[:n_rec], item_codes[:n_rec]
    keep = (rec_users >= 0) & (rec_items >= 0)
    keep[keep] = has_target[rec_users[keep]]
    rank = column_as_float(recommendations, rank_col, frame="recommendations")[keep]
    rec_users, rec_items = row_of[rec_users[keep]], rec_items[keep]
    # Order every list by rank, then number the positions within each user's block.
    order = np.lexsort((rank, rec_users))
    rec_users, rec_items = rec_users[order], rec_items[order]
    is_start = np.ones(rec_users.size, dtype=bool)
    is_start[1:] = rec_users[1:] != rec_users[:-1]
    position = np.arange(rec_users.size) - np.flatnonzero(is_start)[np.cumsum(is_start) - 1]
    in_k = position < k
    rec_users, rec_items, position = rec_users[in_k], rec_items[in_k], position[in_k]

    rec_keys = rec_users.astype(np.int64) * n_items + rec_items
    tgt_keys = sorted_unique(row_of[user_codes[n_rec:]].astype(np.int64) * n_items + item_codes[n_rec:])
    hit = first_hits(rec_keys, tgt_keys)
    hits = np.zeros((len(users), k), dtype=bool)
    hits[rec_users[hit], position[hit]] = True
    n_targets = np.bincount(tgt_keys // n_items, minlength=len(users))

    out = pd.DataFrame({user_col: users})
    for metric in (precision_at_k, recall_at_k, mrr_at_k, ndcg_at_k, hit_rate_at_k):
        out[metric.__name__] = metric(hits, n_targets, k=k)
    out["n_targets"] = n_targets
    return out


def _as_series(values: Any) -> pd.Series:
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, pd.Index):
        return values.to_series()
    return pd.Series(np.ravel(np.asarray(values, dtype=object)).tolist())


def catalog_coverage_score(recommended_items: Any, catalog: Any) -> float:
    """Share of the catalog recommended to at least one user.

    Recommended items outside the catalog are ignored, so the score lies in [0, 1]; missing ids (None/NaN)
    are dropped from both inputs.

    Args:
        recommended_items: Every recommended item id, repeats allowed (e.g. ``recommendations["item_id"]``).
        catalog: The items that could have been recommended.

    Returns:
        Distinct catalog items recommended, divided by the number of distinct catalog items.

    Raises:
        ValueError: On an empty catalog, or ids that are numbers in one input and text in the other.

    Example:
        >>> catalog_coverage_score(["a", "b", "a", "zz"], ["a", "b", "c", "d"])
        0.5
    """
    recommended = _as_series(recommended_items).dropna()
    items = _as_series(catalog).dropna().unique()
    if items.size == 0:
        raise ValueError("catalog is empty; pass the ids of every item that could be recommended")
    if len(recommended):
        _check_same_kind(
            pd.DataFrame({"item": recommended}),
            pd.DataFrame({"item": items}),
            ["item"],
            "recommended_items/catalog",
        )
    return float(pd.Index(items).isin(recommended.unique()).mean())
