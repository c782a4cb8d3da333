"""Shared plumbing of the models built on implicit (ALS, BPR, item-kNN): confidences, BLAS threads, batched
recommend with exclusions, npz persistence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from implicit.nearest_neighbours import bm25_weight
from threadpoolctl import threadpool_limits

from recsys.context import Context
from recsys.errors import DataError
from recsys.filters import Catalog, excluded_mask
from recsys.models.base import Ranker, Recommender, TopK, UserBatch, empty_top_k

__all__ = ["ImplicitModel", "WEIGHTINGS", "confidence"]

WEIGHTINGS = ("bm25", "linear", "binary", "log", "log_bm25")
# implicit marks filtered or missing entries with -FLT_MAX scores.
_FILTERED = -1e30
# Users with more exclusions than this (or 2k) are filtered by implicit itself instead of over-fetching.
_OVERFETCH = 200
# Share of a batch's users whose exclusions the first over-fetch covers; the rest are asked again.
_MARGIN_QUANTILE = 0.99


def _drop_excluded(
    ids: np.ndarray, scores: np.ndarray, exclude: sp.csr_matrix
) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's excluded items (and implicit's filtered ``-FLT_MAX`` entries), keeping the order."""
    bad = (ids < 0) | (scores <= _FILTERED) | excluded_mask(exclude, ids)
    order = np.argsort(bad, axis=1, kind="stable")
    ids = np.where(np.take_along_axis(bad, order, axis=1), -1, np.take_along_axis(ids, order, axis=1))
    return ids, np.where(ids >= 0, np.take_along_axis(scores, order, axis=1), -np.inf)


def confidence(
    user_items: sp.csr_matrix, weighting: str, *, k1: float = 100.0, b: float = 0.8
) -> sp.csr_matrix:
    """Turn aggregated event weights into confidences.

    Args:
        user_items: ``(users, items)`` weights.
        weighting: ``"linear"`` keeps the weights, ``"binary"`` sets them to 1, ``"bm25"`` applies BM25 with
            items as documents and users as terms (heavy users and very popular items weigh less), as in
            implicit's last.fm example; ``"log"`` is ``log2(1 + w)`` (1 for a single event, so 0/1 data is
            unchanged, while play counts in the thousands weigh about 10), and ``"log_bm25"`` is BM25 of
            the log weights.
        k1: BM25 saturation of repeated/strong events.
        b: BM25 length normalization of popular items.

    Example:
        >>> m = sp.csr_matrix(np.array([[1.0, 5.0], [0.0, 2.0]]))
        >>> confidence(m, "binary").toarray().tolist()
        [[1.0, 1.0], [0.0, 1.0]]
        >>> confidence(sp.csr_matrix(np.array([[1.0, 7.0]])), "log").toarray().tolist()
        [[1.0, 3.0]]
    """
    if weighting not in WEIGHTINGS:
        msg = f"Unknown weighting {weighting!r}; use one of {WEIGHTINGS}."
        raise DataError(msg)
    out = user_items.astype(np.float32).tocsr(copy=True)
    if weighting == "binary":
        out.data[:] = 1.0
    if weighting in ("log", "log_bm25"):
        out.data = np.log2(1.0 + out.data).astype(np.float32)
    if weighting in ("bm25", "log_bm25") and out.nnz:
        out = sp.csr_matrix(bm25_weight(out.T.tocoo(), K1=k1, B=b).T, dtype=np.float32)
        # BM25's idf turns negative for a user who touched more than ~1/e of all items (tiny catalogs);
        # ALS would read that as dislike, so such weights are floored at a small positive confidence.
        np.maximum(out.data, 1e-3, out=out.data)
    return out


class ImplicitModel(Recommender):
    """Shared plumbing: confidence matrix, BLAS threads, batched recommend, npz persistence."""

    weighting = "linear"
    # implicit batches internally; large chunks keep our per-chunk work small next to its scoring.
    batch_size = 8192
    _model: Any

    def _make(self) -> Any:
        raise NotImplementedError

    def _fit(self, ctx: Context) -> None:
        matrix = confidence(ctx.user_items, self.weighting)
        # implicit warns (an error under our pytest config) and slows down when BLAS runs its own threads.
        with threadpool_limits(1, "blas"):
            self._model = self._make()
            self._model.fit(matrix, show_progress=False)

    def _save(self, folder: Path) -> None:
        self._model.save(str(folder / "implicit.npz"))

    def _load(self, folder: Path) -> None:
        with threadpool_limits(1, "blas"):
            self._model = type(self._make()).load(str(folder / "implicit.npz"))

    def _query(
        self, rows: np.ndarray, exclude: sp.csr_matrix, n: int, filter_items: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``n`` per user from implicit's batched recommend, without the excluded items.

        implicit filters liked items row by row, which costs more than the scoring itself; asking for
        ``n`` plus a margin and dropping the exclusions here gives the same lists. The margin covers
        nearly every user of the batch (its 99th percentile of exclusion counts), because implicit's
        selection cost grows with the list length; the few users who lost more than the margin are asked
        again with their own count. Users with very many exclusions use implicit's own filter.
        """
        history = self.context_.user_items[rows]
        n_excluded = np.diff(exclude.indptr)
        heavy = n_excluded > max(_OVERFETCH, 2 * n)
        ids = np.full((len(rows), n), -1, dtype=np.int64)
        scores = np.full((len(rows), n), -np.inf)
        light = np.flatnonzero(~heavy)
        filtered = filter_items if len(filter_items) else None

        def fetch(users: np.ndarray, extra: int) -> np.ndarray:
            """Fill ``ids``/``scores`` of ``users``; returns those that may have lost items to exclusions."""
            got, val = self._model.recommend(
                rows[users],
                sp.csr_matrix(history[users]),
                N=min(n + extra, history.shape[1]),
                filter_already_liked_items=False,
                filter_items=filtered,
            )
            got, val = _drop_excluded(np.atleast_2d(got), np.atleast_2d(val), exclude[users])
            ids[users, : min(n, got.shape[1])] = got[:, :n]
            scores[users, : min(n, got.shape[1])] = val[:, :n]
            return users[((got[:, :n] >= 0).sum(axis=1) < n) & (n_excluded[users] > extra)]

        with threadpool_limits(1, "blas"):
            if len(light):
                margin = int(np.ceil(np.quantile(n_excluded[light], _MARGIN_QUANTILE)))
                short = fetch(light, margin)
                if len(short):
                    fetch(short, int(n_excluded[short].max()))
            for r in np.flatnonzero(heavy):
                # Rare heavy users: one call each with implicit's own filter (the user's row only).
                got, val = self._model.recommend(
                    rows[r : r + 1],
                    exclude[r] if self.name != "item_knn" else sp.csr_matrix(history[r]),
                    N=n + (int(n_excluded[r]) if self.name == "item_knn" else 0),
                    filter_already_liked_items=self.name != "item_knn",
                    filter_items=filtered,
                )
                got, val = _drop_excluded(np.atleast_2d(got), np.atleast_2d(val), exclude[r])
                ids[r, : min(n, got.shape[1])] = got[0, :n]
                scores[r, : min(n, got.shape[1])] = val[0, :n]
        return ids, scores

    def _ranker(self, catalog: Catalog) -> Ranker:
        ctx = self.context_
        n_fit = catalog.n_fit
        # Items without training interactions have no learned representation: the model cannot rank them.
        blocked = ~catalog.eligible[:n_fit] | (ctx.item_counts == 0)
        filter_items = np.flatnonzero(blocked)
        names = (self.name,)

        def rank(batch: UserBatch, k: int) -> TopK:
            top = empty_top_k(len(batch.ids), k, names)
            warm = np.flatnonzero(batch.warm)
            n = min(k, n_fit - len(filter_items))
            if not len(warm) or n <= 0:
                return top
            exclude = sp.csr_matrix(batch.exclude[warm][:, :n_fit], dtype=np.float32)
            ids, scores = self._query(batch.rows[warm], exclude, n, filter_items)
            ok = (ids >= 0) & (scores > _FILTERED)
            top.ids[warm, : ids.shape[1]] = np.where(ok, ids, -1)
            top.scores[warm, : ids.shape[1]] = np.where(ok, scores, -np.inf)
            return top

        return rank
