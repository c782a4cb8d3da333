"""Collaborative filtering with implicit: ALS, BPR and BM25 item-item kNN, behind the recommender contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.cpu.bpr import BayesianPersonalizedRanking
from implicit.nearest_neighbours import BM25Recommender, ItemItemRecommender, bm25_weight
from threadpoolctl import threadpool_limits

from recsys.context import Context
from recsys.errors import DataError
from recsys.filters import Catalog
from recsys.models.base import Ranker, Recommender, TopK, UserBatch, empty_top_k

__all__ = ["ALS", "BPR", "ItemKNN", "confidence"]

WEIGHTINGS = ("bm25", "linear", "binary")
# implicit marks filtered or missing entries with -FLT_MAX scores.
_FILTERED = -1e30


def confidence(
    user_items: sp.csr_matrix, weighting: str, *, k1: float = 100.0, b: float = 0.8
) -> sp.csr_matrix:
    """Turn aggregated event weights into confidences.

    Args:
        user_items: ``(users, items)`` weights.
        weighting: ``"linear"`` keeps the weights, ``"binary"`` sets them to 1, ``"bm25"`` applies BM25 with
            items as documents and users as terms (heavy users and very popular items weigh less), as in
            implicit's last.fm example.
        k1: BM25 saturation of repeated/strong events.
        b: BM25 length normalization of popular items.

    Example:
        >>> m = sp.csr_matrix(np.array([[1.0, 5.0], [0.0, 2.0]]))
        >>> confidence(m, "binary").toarray().tolist()
        [[1.0, 1.0], [0.0, 1.0]]
    """
    if weighting not in WEIGHTINGS:
        msg = f"Unknown weighting {weighting!r}; use one of {WEIGHTINGS}."
        raise DataError(msg)
    out = user_items.astype(np.float32).tocsr(copy=True)
    if weighting == "binary":
        out.data[:] = 1.0
    elif weighting == "bm25" and out.nnz:
        out = sp.csr_matrix(bm25_weight(out.T.tocoo(), K1=k1, B=b).T, dtype=np.float32)
        # BM25's idf turns negative for a user who touched more than ~1/e of all items (tiny catalogs);
        # ALS would read that as dislike, so such weights are floored at a small positive confidence.
        np.maximum(out.data, 1e-3, out=out.data)
    return out


class _Implicit(Recommender):
    """Shared plumbing: confidence matrix, BLAS threads, batched recommend, npz persistence."""

    weighting = "bm25"
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
            seen = sp.csr_matrix(batch.exclude[warm][:, :n_fit], dtype=np.float32)
            with threadpool_limits(1, "blas"):
                ids, scores = self._model.recommend(
                    batch.rows[warm],
                    seen,
                    N=n,
                    filter_already_liked_items=True,
                    filter_items=filter_items if len(filter_items) else None,
                )
            ids, scores = np.atleast_2d(ids), np.atleast_2d(scores)
            ok = (ids >= 0) & (scores > _FILTERED)
            top.ids[warm, : ids.shape[1]] = np.where(ok, ids, -1)
            top.scores[warm, : ids.shape[1]] = np.where(ok, scores, -np.inf)
            return top

        return rank


class ALS(_Implicit):
    """Implicit-feedback matrix factorization (Hu, Koren & Volinsky 2008) with implicit's conjugate gradient.

    Args:
        factors: Latent dimensions.
        regularization: L2 penalty.
        alpha: Scale of the confidences.
        iterations: ALS sweeps.
        weighting: Confidence weighting of the event weights (see :func:`confidence`).
        random_state: Seed of the factor initialization.
    """

    name = "als"

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 1.0,
        iterations: int = 15,
        weighting: str = "bm25",
        random_state: int = 0,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.weighting = weighting
        self.random_state = random_state

    def _make(self) -> AlternatingLeastSquares:
        return AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            random_state=self.random_state,
        )

    def factors_of(self, user_rows: np.ndarray) -> np.ndarray:
        """User factors of fitted user rows."""
        return np.asarray(self._model.user_factors[user_rows])

    @property
    def item_factors(self) -> np.ndarray:
        """Item factors, one row per fitted item."""
        return np.asarray(self._model.item_factors)


class BPR(_Implicit):
    """Bayesian Personalized Ranking (Rendle et al. 2009) from implicit, on binary interactions.

    Args:
        factors: Latent dimensions.
        learning_rate: SGD step.
        regularization: L2 penalty.
        iterations: Epochs.
        random_state: Seed.
        num_threads: Threads (0 = all cores; 1 makes the result exactly reproducible).
    """

    name = "bpr"
    weighting = "binary"

    def __init__(
        self,
        factors: int = 64,
        learning_rate: float = 0.05,
        regularization: float = 0.01,
        iterations: int = 100,
        random_state: int = 0,
        num_threads: int = 0,
    ) -> None:
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.random_state = random_state
        self.num_threads = num_threads

    def _make(self) -> BayesianPersonalizedRanking:
        return BayesianPersonalizedRanking(
            factors=self.factors,
            learning_rate=self.learning_rate,
            regularization=self.regularization,
            iterations=self.iterations,
            random_state=self.random_state,
            num_threads=self.num_threads,
        )


class ItemKNN(_Implicit):
    """Item-item nearest neighbours on BM25-weighted co-occurrence (implicit's ``BM25Recommender``).

    Args:
        neighbours: Neighbours kept per item.
        k1: BM25 saturation.
        b: BM25 length normalization.
    """

    name = "item_knn"
    weighting = "linear"

    def __init__(self, neighbours: int = 100, k1: float = 1.2, b: float = 0.75) -> None:
        self.neighbours = neighbours
        self.k1 = k1
        self.b = b

    def _make(self) -> BM25Recommender:
        return BM25Recommender(K=self.neighbours, K1=self.k1, B=self.b)

    def _fit(self, ctx: Context) -> None:
        # BM25Recommender.fit hands a COO matrix to its kNN step (a ParameterWarning); weighting here and
        # calling the item-item fit with CSR is the same computation without the conversion.
        weighted = confidence(ctx.user_items, "bm25", k1=self.k1, b=self.b).astype(np.float64)
        with threadpool_limits(1, "blas"):
            self._model = self._make()
            ItemItemRecommender.fit(self._model, weighted, show_progress=False)
