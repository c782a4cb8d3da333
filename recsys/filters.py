"""Filters on recommendation lists (converted or seen items, expired postings, whitelist) and the catalog."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.context import Context
from recsys.errors import DataError
from recsys.index import IdIndex
from recsys.options import EXCLUDE

__all__ = [
    "EXCLUDE",
    "Catalog",
    "Filters",
    "build_catalog",
    "excluded_mask",
    "exclusions",
    "resolve_exclude",
    "top_k_dense",
]


@dataclass(frozen=True)
class Filters:
    """Which items may appear in a user's list.

    Attributes:
        exclude: ``"auto"`` (default) uses the filter chosen from the training data (``"seen"`` when users
            rarely return to an item they left, else ``"converted"``; see
            :attr:`recsys.dataset.Dataset.default_exclude`), ``"converted"`` drops items the user converted
            on (applied to; every interacted item when the log has no event types), ``"seen"`` drops every
            item the user interacted with in the input (rows a value threshold dropped included),
            ``"none"`` keeps them.
        as_of: Drop postings whose expiry date is before this time; also the reference time of item ages.
        whitelist: If given, only these item ids may be recommended.
    """

    exclude: str = "auto"
    as_of: pd.Timestamp | None = None
    whitelist: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.exclude not in EXCLUDE:
            msg = f"Filters.exclude must be one of {EXCLUDE}; got {self.exclude!r}."
            raise DataError(msg)

    @classmethod
    def make(
        cls, exclude: str = "auto", as_of: object = None, whitelist: Iterable[str] | None = None
    ) -> Filters:
        """Build filters from loose inputs (a date string for ``as_of``, any iterable of ids)."""
        stamp = None if as_of is None else pd.Timestamp(as_of)  # type: ignore[arg-type]
        if stamp is not None and stamp.tzinfo is not None:
            stamp = stamp.tz_convert(None)
        return cls(exclude, stamp, None if whitelist is None else frozenset(map(str, whitelist)))


@dataclass
class Catalog:
    """The items a recommend call ranks: the fitted items plus new ones from the current catalog.

    Attributes:
        items: Id map of the universe; rows ``< n_fit`` are the fitted items, later rows are new items.
        n_fit: Number of fitted items.
        meta: Item metadata aligned to the universe rows (``None`` without item metadata).
        eligible: Items that pass the global filters (catalog, whitelist, expiry).
        popularity: Distinct users per item in the training data (0 for new items).
        fallback: Eligible rows by decreasing popularity (then row): what fills lists a model cannot.
        as_of: Reference time for item ages (``Filters.as_of``, else the last training interaction).
    """

    items: IdIndex
    n_fit: int
    meta: pd.DataFrame | None
    eligible: np.ndarray
    popularity: np.ndarray
    fallback: np.ndarray
    as_of: pd.Timestamp | None


def build_catalog(ctx: Context, filters: Filters, items: pd.DataFrame | None = None) -> Catalog:
    """Combine the fitted items with the current catalog and apply the global filters.

    Args:
        ctx: The fitted context.
        filters: The filters.
        items: Current catalog (prepared item metadata with ``item_id``). Its items, and only these, are
            eligible; ids not seen at fit time are new items ranked from their metadata.
    """
    universe = ctx.items if items is None else ctx.items.extend(items["item_id"].astype(str))
    meta = ctx.item_meta
    if items is not None and (meta is not None or len(items.columns) > 1):
        base = meta if meta is not None else items.iloc[:0]
        fresh = items.drop_duplicates("item_id", keep="last").set_index("item_id")
        merged = base.set_index("item_id").reindex(pd.Index(universe.ids, name="item_id").astype("str"))
        cols = [c for c in merged.columns if c in fresh.columns]
        # Rows of the current catalog win: a re-posted job may carry a new expiry date.
        update = fresh[cols].reindex(merged.index)
        has = merged.index.isin(fresh.index)
        for col in cols:
            column = update[col]
            if pd.api.types.is_datetime64_any_dtype(merged[col]) and not pd.api.types.is_datetime64_any_dtype(
                column
            ):
                column = pd.to_datetime(column, errors="coerce")
            merged[col] = merged[col].where(~has, column)
        meta = merged.reset_index()
    eligible = np.ones(len(universe), dtype=bool)
    if items is not None:
        eligible &= np.isin(universe.ids, items["item_id"].astype(str).to_numpy())
    if filters.whitelist is not None:
        eligible &= np.isin(universe.ids, np.array(sorted(filters.whitelist), dtype=object))
    if filters.as_of is not None and meta is not None and ctx.expires_col in meta.columns:
        expires = pd.to_datetime(meta[ctx.expires_col], errors="coerce")
        eligible &= ~(expires < filters.as_of).to_numpy(dtype=bool)
    popularity = np.zeros(len(universe))
    popularity[: len(ctx.items)] = ctx.item_counts
    rows = np.flatnonzero(eligible)
    fallback = rows[np.lexsort((rows, -popularity[rows]))]
    return Catalog(
        items=universe,
        n_fit=len(ctx.items),
        meta=meta,
        eligible=eligible,
        popularity=popularity,
        fallback=fallback,
        as_of=filters.as_of if filters.as_of is not None else ctx.last_time,
    )


def exclusions(ctx: Context, user_rows: np.ndarray, n_items: int, exclude: str) -> sp.csr_matrix:
    """Per-user excluded items as a ``(len(user_rows), n_items)`` CSR (unknown users, row -1: none)."""
    exclude = resolve_exclude(ctx, exclude)
    if exclude == "converted":
        source = ctx.converted
    else:
        source = ctx.seen if ctx.seen is not None else ctx.user_items
    known = np.where(user_rows >= 0, user_rows, 0)
    picked = source[known] if exclude != "none" else sp.csr_matrix((len(user_rows), source.shape[1]))
    picked = sp.csr_matrix(picked.multiply((user_rows >= 0)[:, None]))
    picked.eliminate_zeros()
    return sp.csr_matrix((picked.data, picked.indices, picked.indptr), shape=(len(user_rows), n_items))


def resolve_exclude(ctx: Context, exclude: str) -> str:
    """The filter ``"auto"`` stands for with this model (the one chosen from its training data)."""
    return ctx.default_exclude if exclude == "auto" else exclude


def excluded_mask(exclude: sp.csr_matrix, ids: np.ndarray) -> np.ndarray:
    """Whether ``ids[r, j]`` is among row ``r``'s excluded items (negative ids never are).

    Example:
        >>> ex = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1]]))
        >>> excluded_mask(ex, np.array([[1, 2], [2, -1]])).tolist()
        [[True, False], [True, False]]
    """
    if not exclude.nnz:
        return np.zeros(ids.shape, dtype=bool)
    exclude = exclude if exclude.has_sorted_indices else exclude.sorted_indices()
    n_cols = max(exclude.shape[1], int(ids.max(initial=0)) + 1)
    rows = np.repeat(np.arange(exclude.shape[0], dtype=np.int64), np.diff(exclude.indptr))
    # Row-major keys of a CSR with sorted indices are already sorted: a binary search replaces isin's sort.
    banned = rows * n_cols + exclude.indices
    keys = np.arange(len(ids), dtype=np.int64)[:, None] * n_cols + np.maximum(ids, 0)
    pos = np.minimum(np.searchsorted(banned, keys), len(banned) - 1)
    return (banned[pos] == keys) & (ids >= 0)


def _tie_stable_top(scores: np.ndarray, kth: np.ndarray, k: int) -> np.ndarray:
    """Columns of the ``k`` best scores per row, ties at the k-th value going to the lowest columns."""
    above = scores > kth
    tied = scores == kth
    take = above | (tied & (np.cumsum(tied, axis=1) <= k - above.sum(axis=1, keepdims=True)))
    return np.nonzero(take)[1].reshape(len(scores), k)


def top_k_dense(
    scores: np.ndarray, k: int, exclude: sp.csr_matrix, ineligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` columns of each row of a dense score matrix, skipping excluded and ineligible items.

    Scores of ``-inf`` or NaN mean "cannot score"; such items are never returned.

    Returns:
        ``(ids, scores)`` of shape ``(rows, min(k, columns))``, best first; ``-1`` pads rows with fewer items.

    Example:
        >>> s = np.array([[0.1, 0.9, 0.5], [0.3, 0.2, -np.inf]])
        >>> ex = sp.csr_matrix(np.array([[0, 1, 0], [0, 0, 0]]))
        >>> top_k_dense(s, 2, ex, np.zeros(3, bool))[0].tolist()
        [[2, 0], [0, 1]]
    """
    scores = np.where(np.isnan(scores), -np.inf, scores)
    scores[:, ineligible] = -np.inf
    r, c = exclude.nonzero()
    scores[r, c] = -np.inf
    k = min(k, scores.shape[1])
    if k == 0:
        return np.full((len(scores), 0), -1), np.full((len(scores), 0), -np.inf)
    if k < scores.shape[1]:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        # argpartition picks an arbitrary subset when scores tie at the k-th value; those rows (rare for
        # real-valued scores) take the tied items in row order instead, so results are reproducible.
        kth = np.take_along_axis(scores, part, axis=1).min(axis=1, keepdims=True)
        ambiguous = np.flatnonzero((scores >= kth).sum(axis=1) > k)
        if len(ambiguous):
            part[ambiguous] = _tie_stable_top(scores[ambiguous], kth[ambiguous], k)
    else:
        part = np.broadcast_to(np.arange(scores.shape[1]), scores.shape).copy()
    top = np.take_along_axis(scores, part, axis=1)
    # Best first; equal scores in item-row order.
    order = np.lexsort((part, -top), axis=1)
    ids = np.take_along_axis(part, order, axis=1)
    top = np.take_along_axis(top, order, axis=1)
    ids = np.where(np.isfinite(top), ids, -1)
    return ids, top
