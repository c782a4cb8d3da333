"""Content-based recommender: item text and categoricals matched to a profile from history and metadata.

It ranks items nobody has interacted with yet (new jobs in the current catalog) and serves cold users
from their profile alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np
import scipy.sparse as sp

from recsys.context import Context
from recsys.dataset import Dataset
from recsys.errors import DataError
from recsys.features import ContentSpace, unit_rows
from recsys.filters import Catalog, top_k_dense
from recsys.metadata import infer_kinds
from recsys.models.base import FALLBACK_SOURCE, Ranker, Recommender, TopK, UserBatch

__all__ = ["Content", "ContentState"]

# Popularity only breaks ties (e.g. cold users whose profile matches many postings equally).
_TIE_BREAK = 1e-3


@dataclass
class ContentState:
    """Catalog-side matrices of one recommend call."""

    vectors: sp.csr_matrix
    text: sp.csr_matrix
    catalog: Catalog
    tie: np.ndarray


class Content(Recommender):
    """Cosine similarity of item content to the user's history profile and projected profile text.

    The score is ``history + text + match_weight * mean(shared-column matches)``, where ``history`` is the
    cosine of the item to the user's confidence-weighted mean of interacted items, ``text`` the cosine of
    the item's TF-IDF text to the user's own text columns, and the matches compare shared columns.

    Args:
        match_weight: Weight of shared-column matches (``state``, ``city``) relative to a perfect text match.
    """

    name = "content"

    def __init__(self, match_weight: float = 0.5) -> None:
        self.match_weight = match_weight

    def fit(self, dataset: Dataset) -> Self:
        """Fit the content space; refuse when there is no item content to match.

        Raises:
            DataError: The item metadata is missing or has no text or categorical column: every content
                similarity would be 0 and the lists would be popularity under another name.
        """
        items = dataset.items
        kinds = infer_kinds(items, "item_id") if items is not None else None
        if items is None or kinds is None or not (kinds.strings or kinds.categorical):
            got = "no item metadata" if items is None else f"item columns {list(items.columns)}"
            msg = (
                f"The content model needs item metadata with text or categorical columns; got {got}. "
                "Pass --items ITEMS_FILE (the item id column plus e.g. title, description, category)."
            )
            raise DataError(msg)
        return super().fit(dataset)

    def _fit(self, ctx: Context) -> None:
        self.space_ = ContentSpace.fit(ctx)

    def _save(self, folder: Path) -> None:
        self.space_.save(folder / "content")

    def _load(self, folder: Path) -> None:
        self.space_ = ContentSpace.load(folder / "content")

    def prepare(self, catalog: Catalog) -> ContentState:
        """Vectorize the catalog once per recommend call."""
        n = len(catalog.items)
        pop = np.log1p(catalog.popularity)
        tie = _TIE_BREAK * pop / max(float(pop.max()), 1.0)
        return ContentState(
            self.space_.item_vectors(catalog.meta, n), self.space_.item_text(catalog.meta, n), catalog, tie
        )

    def components(self, state: ContentState, batch: UserBatch) -> dict[str, np.ndarray]:
        """Dense ``(users, catalog items)`` similarity components: history, text and one per shared column."""
        ctx = self.context_
        n_fit = state.catalog.n_fit
        known = np.where(batch.rows >= 0, batch.rows, 0)
        weights = ctx.user_items[known].multiply((batch.rows >= 0)[:, None]).tocsr()
        weights.data = np.log1p(weights.data)
        profile = unit_rows(weights @ state.vectors[:n_fit])
        out = {"history": _dense(profile @ state.vectors.T)}
        user_text = self.space_.user_text(batch.meta, len(batch.ids))
        if user_text.shape[1] and state.text.shape[1]:
            out["text"] = _dense(user_text @ state.text.T)
        for col, match in self.space_.matches(batch.meta, state.catalog.meta).items():
            out[f"match_{col}"] = match
        return out

    def combine(self, parts: dict[str, np.ndarray]) -> np.ndarray:
        """The content score from its components."""
        score = parts["history"] + parts.get("text", 0.0)
        matches = [v for k, v in parts.items() if k.startswith("match_")]
        if matches:
            score = score + self.match_weight * np.mean(matches, axis=0)
        return np.asarray(score, dtype=np.float64)

    def _ranker(self, catalog: Catalog) -> Ranker:
        state = self.prepare(catalog)
        ineligible = ~catalog.eligible

        def rank(batch: UserBatch, k: int) -> TopK:
            content = self.combine(self.components(state, batch))
            ids, top = top_k_dense(content + state.tie[None, :], k, batch.exclude, ineligible)
            # An item placed by the popularity tie-break alone (no content similarity) says so.
            matched = np.take_along_axis(content, np.maximum(ids, 0), axis=1) > 0
            return TopK(ids, top, np.where(matched, 0, 1).astype(np.int64), (self.name, FALLBACK_SOURCE))

        return rank


def _dense(matrix: sp.spmatrix) -> np.ndarray:
    return np.asarray(sp.csr_matrix(matrix).toarray(), dtype=np.float32)
