"""Top-k ranking metrics as Amazon Personalize defines them, vectorised over users.

Every metric takes ``hits``, a boolean matrix with one row per user and one column per rank position
(``hits[u, i]`` is True when the item recommended at rank ``i + 1`` to user ``u`` is relevant), and
``n_relevant``, the number of relevant items of each user, and returns one value per user; average them
for the figure Personalize reports. All are higher-is-better. :func:`hit_matrix` builds both inputs from
ranked item ids and per-user relevant sets.

A user with no relevant item has no recall or NDCG: those come out ``nan``, without a warning; their
precision, reciprocal rank and hit are 0.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import pandas as pd

from metrics._checks import check_k
from metrics._keys import first_hits, sorted_unique

__all__ = ["hit_matrix", "hit_rate_at_k", "mrr_at_k", "ndcg_at_k", "precision_at_k", "recall_at_k"]


def _check(hits: Any, n_relevant: Any, k: object) -> tuple[np.ndarray, np.ndarray, int]:
    """Return the first ``k`` hit columns as booleans, ``n_relevant`` as floats, and ``k``."""
    k = check_k(k)
    h = np.asarray(hits)
    if h.ndim != 2:
        raise ValueError(f"hits must be 2-D (n_users, n_positions); got an array of shape {h.shape}")
    if h.shape[0] == 0:
        raise ValueError("hits has no users; pass at least one row")
    if h.dtype != np.bool_:
        if not (np.issubdtype(h.dtype, np.number) and np.isin(h, (0, 1)).all()):
            raise ValueError(
                f"hits must be boolean (or 0/1); got dtype {h.dtype} with values such as {h.flat[0]!r}"
            )
        h = h.astype(bool)
    if h.shape[1] < k:
        raise ValueError(
            f"hits has {h.shape[1]} rank positions but k={k}; pad short lists with False up to k columns"
        )
    rel = np.asarray(n_relevant)
    if rel.shape != (h.shape[0],):
        raise ValueError(f"n_relevant must have shape ({h.shape[0]},), one count per user; got {rel.shape}")
    whole = np.issubdtype(rel.dtype, np.number) and np.all(np.isfinite(rel)) and np.all(rel == np.round(rel))
    if not whole or np.any(rel < 0):
        raise ValueError(
            f"n_relevant must hold whole non-negative counts; got values such as {rel[:5].tolist()}"
        )
    excess = h.sum(axis=1) > rel
    if excess.any():
        u = int(np.argmax(excess))
        raise ValueError(
            f"user row {u} has {int(h[u].sum())} hits but n_relevant={rel[u]}; a user cannot hit more items "
            "than are relevant (count each relevant item once, and do not recommend an item twice)"
        )
    return h[:, :k], rel.astype(np.float64), k


def _per_relevant(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    # nan where the user has nothing relevant: recall and NDCG are undefined there.
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def precision_at_k(hits: Any, n_relevant: Any, *, k: int) -> np.ndarray:
    """Precision at k: relevant items among the top k, divided by k (even when fewer were recommended).

    Args:
        hits: Boolean matrix (n_users, n_positions >= k): relevance of the item at each rank.
        n_relevant: Number of relevant items of each user, shape (n_users,).
        k: Cut-off, a positive integer.

    Returns:
        One precision per user.

    Raises:
        ValueError: On wrong shapes, ``k <= 0``, fewer than ``k`` columns, or more hits than relevant items.

    Example:
        >>> precision_at_k([[False, True, False, False, True]], [2], k=5)
        array([0.4])
    """
    h, _, k = _check(hits, n_relevant, k)
    return h.sum(axis=1) / k


def recall_at_k(hits: Any, n_relevant: Any, *, k: int) -> np.ndarray:
    """Recall at k: relevant items among the top k, divided by the user's number of relevant items.

    It never decreases as k grows. ``nan`` for a user with no relevant item.

    Args:
        hits: Boolean matrix (n_users, n_positions >= k).
        n_relevant: Number of relevant items of each user, shape (n_users,).
        k: Cut-off, a positive integer.

    Returns:
        One recall per user.

    Example:
        >>> recall_at_k([[False, True, False, False, True], [True, False, False, False, False]], [2, 4], k=5)
        array([1.  , 0.25])
    """
    h, rel, _ = _check(hits, n_relevant, k)
    return _per_relevant(h.sum(axis=1).astype(np.float64), rel)


def mrr_at_k(hits: Any, n_relevant: Any, *, k: int) -> np.ndarray:
    """Reciprocal rank of the first relevant item within the top k, 0 when none; its mean is the MRR.

    Args:
        hits: Boolean matrix (n_users, n_positions >= k).
        n_relevant: Number of relevant items of each user, shape (n_users,).
        k: Cut-off, a positive integer (Personalize reports k = 25).

    Returns:
        One reciprocal rank per user.

    Example:
        >>> mrr_at_k([[False, True, False, False, True], [False] * 5], [2, 1], k=5)
        array([0.5, 0. ])
    """
    h, _, _ = _check(hits, n_relevant, k)
    first = np.argmax(h, axis=1)
    return np.where(h.any(axis=1), 1.0 / (first + 1.0), 0.0)


def ndcg_at_k(hits: Any, n_relevant: Any, *, k: int) -> np.ndarray:
    """Normalised discounted cumulative gain at k with binary relevance.

    A hit at rank ``i`` gains ``1 / log2(1 + i)``; the sum is divided by the gain of the ideal list,
    ``min(k, n_relevant)`` hits at the top ranks, so the value lies in [0, 1]. ``nan`` for a user with no
    relevant item. Personalize's worked example: hits at ranks 2 and 5 of 5, two relevant items, give
    ``(1/log2(3) + 1/log2(6)) / (1 + 1/log2(3)) = 0.6241``.

    Args:
        hits: Boolean matrix (n_users, n_positions >= k).
        n_relevant: Number of relevant items of each user, shape (n_users,).
        k: Cut-off, a positive integer.

    Returns:
        One NDCG per user.

    Example:
        >>> ndcg_at_k([[False, True, False, False, True]], [2], k=5).round(4)
        array([0.6241])
    """
    h, rel, k = _check(hits, n_relevant, k)
    gain = 1.0 / np.log2(np.arange(2, k + 2))
    # Row sums of one shape for the lists and for the ideal lists (c hits on top, c = 0..k): the same
    # summation order, so a perfect list scores exactly 1 and the result does not depend on user order.
    dcg = (h * gain).sum(axis=1)
    ideal_by_count = ((np.arange(k)[None, :] < np.arange(k + 1)[:, None]) * gain).sum(axis=1)
    ideal = ideal_by_count[np.minimum(rel, k).astype(np.intp)]
    return _per_relevant(dcg, ideal)


def hit_rate_at_k(hits: Any, n_relevant: Any, *, k: int) -> np.ndarray:
    """1 when at least one relevant item is in the top k, else 0; its mean is the hit rate.

    Args:
        hits: Boolean matrix (n_users, n_positions >= k).
        n_relevant: Number of relevant items of each user, shape (n_users,).
        k: Cut-off, a positive integer.

    Returns:
        One 0/1 value per user.

    Example:
        >>> hit_rate_at_k([[False, True], [False, False]], [1, 1], k=2)
        array([1., 0.])
    """
    h, _, _ = _check(hits, n_relevant, k)
    return np.asarray(h.any(axis=1), dtype=np.float64)


def hit_matrix(recommended: Any, relevant: Sequence[Collection[Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Build ``hits`` and ``n_relevant`` from ranked item ids and each user's relevant items.

    Args:
        recommended: Item ids, shape (n_users, n_positions), best first. ``None``/NaN marks an empty slot
            (a list shorter than the others); it is never a hit. An item repeated in one user's list counts
            only at its first position.
        relevant: One collection of relevant item ids per user, in the same user order.

    Returns:
        ``(hits, n_relevant)``: a boolean matrix the shape of ``recommended`` and the number of distinct
        relevant items of each user.

    Raises:
        ValueError: When ``recommended`` is not 2-D or the user counts differ.

    Example:
        >>> hits, n_relevant = hit_matrix([["a", "b", "c"], ["d", "e", None]], [{"b", "z"}, set()])
        >>> hits.tolist(), n_relevant.tolist()
        ([[False, True, False], [False, False, False]], [2, 0])
    """
    rec = np.asarray(recommended)
    if rec.ndim != 2:
        raise ValueError(f"recommended must be 2-D (n_users, n_positions); got an array of shape {rec.shape}")
    n_users, width = rec.shape
    if len(relevant) != n_users:
        raise ValueError(f"relevant has {len(relevant)} users but recommended has {n_users} rows")
    lengths = np.fromiter((len(items) for items in relevant), dtype=np.intp, count=n_users)
    rel_users = np.repeat(np.arange(n_users, dtype=np.int64), lengths)
    flat = pd.Series([item for items in relevant for item in items])
    # Distinct relevant items per user; None/NaN get code -1 and are not items.
    flat_codes, _ = pd.factorize(flat)
    known = flat_codes >= 0
    n_distinct = max(int(flat_codes.max(initial=-1)) + 1, 1)
    distinct = sorted_unique(rel_users[known] * n_distinct + flat_codes[known])
    n_relevant = np.bincount(distinct // n_distinct, minlength=n_users)
    # Recommended ids get one code per distinct item; relevant ids never recommended get -1 and cannot hit.
    rec_codes, rec_items = pd.factorize(rec.ravel())
    n_items = max(len(rec_items), 1)
    rel_codes = pd.Index(rec_items).get_indexer(flat) if len(flat) else np.zeros(0, dtype=np.intp)
    matched = rel_codes >= 0
    rel_keys = sorted_unique(rel_users[matched] * n_items + rel_codes[matched])
    rec_keys = np.repeat(np.arange(n_users, dtype=np.int64), width) * n_items + rec_codes
    rec_keys[rec_codes < 0] = -1
    return first_hits(rec_keys, rel_keys).reshape(n_users, width), n_relevant
