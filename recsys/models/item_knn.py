"""Item-item nearest neighbours on BM25-weighted co-occurrence (implicit), behind the recommender contract."""

from __future__ import annotations

import numpy as np
from implicit.nearest_neighbours import BM25Recommender, ItemItemRecommender
from threadpoolctl import threadpool_limits

from recsys.context import Context
from recsys.models._implicit import ImplicitModel, confidence

__all__ = ["ItemKNN"]


class ItemKNN(ImplicitModel):
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
