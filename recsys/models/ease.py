"""EASE: the closed-form item-item model of Steck (2019), "Embarrassingly Shallow Autoencoders".

The item-item weights ``B`` minimize ``||X - X B||^2 + l2 ||B||^2`` with a zero diagonal, whose solution
is ``B = I - P / diag(P)`` for ``P = (X^T X + l2 I)^-1``. One Cholesky factorization and inversion of the
item Gram matrix replace every iteration of ALS; on MovieLens-size data it is among the strongest known
top-n models. The cost is cubic in the number of items, so only the ``max_items`` most popular items get
weights: the others are left to the fallback, and their ``source`` says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.linalg as sl
import scipy.sparse as sp

from recsys.context import Context
from recsys.errors import DataError
from recsys.filters import Catalog, top_k_dense
from recsys.models._implicit import confidence
from recsys.models.base import Ranker, Recommender, TopK, UserBatch, empty_top_k

__all__ = ["EASE", "ease_weights"]

# Popularity only breaks ties between equal scores (users whose history has no weighted item).
_TIE_BREAK = 1e-6


def ease_weights(gram: np.ndarray, l2: float) -> np.ndarray:
    """The EASE weight matrix of an item Gram matrix ``X^T X`` (float32, zero diagonal).

    Args:
        gram: Dense ``(items, items)`` Gram matrix; it is overwritten.
        l2: Ridge penalty added to the diagonal.

    Example:
        >>> x = np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1]], dtype=np.float32)
        >>> b = ease_weights(x.T @ x, 1.0)
        >>> bool(b[0, 1] > b[2, 1] > 0), np.diag(b).tolist()
        (True, [0.0, 0.0, 0.0])
    """
    n = gram.shape[0]
    gram[np.diag_indices(n)] += l2
    potrf, potri = sl.lapack.get_lapack_funcs(("potrf", "potri"), (gram,))
    factor, info = potrf(gram, lower=False, overwrite_a=True)
    if info != 0:
        msg = f"EASE: the item Gram matrix plus l2={l2} is not positive definite (LAPACK info {info})."
        raise DataError(msg)
    inverse, info = potri(factor, lower=False, overwrite_c=True)
    if info != 0:  # pragma: no cover - potrf succeeded, so the inverse exists
        msg = f"EASE: inverting the item Gram matrix failed (LAPACK info {info})."
        raise DataError(msg)
    # potri fills the upper triangle only.
    upper = np.triu(inverse)
    inverse = upper + np.triu(upper, 1).T
    weights = inverse / -np.diag(inverse)[None, :]
    weights[np.diag_indices(n)] = 0.0
    return np.ascontiguousarray(weights, dtype=np.float32)


class EASE(Recommender):
    """Item-item linear model in closed form (Steck 2019).

    Args:
        l2: Ridge penalty; larger values shrink the weights of rare co-occurrences (typical: 50 to 1,000).
        weighting: Confidence weighting of the interactions (``log`` by default: 0/1 data as it is, counts
            such as plays compressed; see :func:`recsys.models._implicit.confidence`).
        max_items: Only the most popular items (by distinct users) get weights; memory is ``4 max_items^2``
            bytes and time grows with its cube.
    """

    name = "ease"
    batch_size = 1024

    def __init__(self, l2: float = 250.0, weighting: str = "log", max_items: int = 12_000) -> None:
        self.l2 = l2
        self.weighting = weighting
        self.max_items = max_items

    def _fit(self, ctx: Context) -> None:
        if not (np.isfinite(self.l2) and self.l2 > 0):
            msg = f"EASE l2 must be a positive number; got {self.l2!r}."
            raise DataError(msg)
        counts = ctx.item_counts
        ranked = np.lexsort((np.arange(len(counts)), -counts))
        self.items_ = np.sort(ranked[counts[ranked] > 0][: self.max_items]).astype(np.int64)
        matrix = self._inputs(ctx.user_items)
        gram = np.asarray((matrix.T @ matrix).toarray(), dtype=np.float32)
        self.weights_ = ease_weights(gram, float(self.l2))

    def _inputs(self, user_items: sp.csr_matrix) -> sp.csr_matrix:
        """Weighted interactions restricted to the modelled items (columns in ``items_`` order)."""
        return sp.csr_matrix(confidence(user_items, self.weighting)[:, self.items_], dtype=np.float32)

    def _save(self, folder: Path) -> None:
        np.save(folder / "ease_items.npy", self.items_)
        np.save(folder / "ease_weights.npy", self.weights_)

    def _load(self, folder: Path) -> None:
        self.items_ = np.load(folder / "ease_items.npy", allow_pickle=False)
        self.weights_ = np.load(folder / "ease_weights.npy", allow_pickle=False)

    def _ranker(self, catalog: Catalog) -> Ranker:
        ctx = self.context_
        ineligible = ~catalog.eligible
        pop = np.log1p(catalog.popularity)
        tie = (_TIE_BREAK * pop / max(float(pop.max()), 1.0)).astype(np.float32)
        names = (self.name,)
        # Weighted once for every batch, as in fit: BM25 weights depend on the whole matrix, not a batch.
        weighted = self._inputs(ctx.user_items)

        def rank(batch: UserBatch, k: int) -> TopK:
            top = empty_top_k(len(batch.ids), k, names)
            warm = np.flatnonzero(batch.warm)
            if not len(warm):
                return top
            history = weighted[batch.rows[warm]]
            scores = np.full((len(warm), len(catalog.items)), -np.inf, dtype=np.float32)
            scores[:, self.items_] = np.asarray(history @ self.weights_) + tie[self.items_]
            ids, best = top_k_dense(scores, k, batch.exclude[warm], ineligible)
            top.ids[warm, : ids.shape[1]] = ids
            top.scores[warm, : ids.shape[1]] = best
            return top

        return rank
