"""Popularity baselines: global distinct-user counts (Personalize's Popularity-Count) and per user segment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.context import Context
from recsys.errors import DataError
from recsys.filters import Catalog, excluded_mask, top_k_dense
from recsys.models.base import Ranker, Recommender, TopK, UserBatch

__all__ = ["Popularity", "SegmentCounts", "segment_columns"]


def segment_columns(ctx: Context, limit: int | None = None) -> list[str]:
    """Categorical user columns, most filled first: the candidate segments (state, occupation, ...)."""
    if ctx.user_meta is None or not ctx.user_kinds.categorical:
        return []
    fill = ctx.user_meta[list(ctx.user_kinds.categorical)].notna().mean()
    ranked = sorted(fill.index, key=lambda c: (-fill[c], c))
    return [str(c) for c in ranked if fill[c] > 0][:limit]


def _normalize(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.lower()


class SegmentCounts:
    """Distinct users per item within each value of a user column.

    Attributes:
        column: The user column.
        values: Segment values (normalized text), row order of ``counts``.
        counts: ``(segments, items)`` CSR of distinct users.
    """

    def __init__(self, column: str, values: list[str], counts: sp.csr_matrix) -> None:
        self.column, self.values, self.counts = column, values, counts

    @classmethod
    def fit(cls, ctx: Context, column: str) -> SegmentCounts:
        """Count from the fitted context."""
        if ctx.user_meta is None or column not in ctx.user_meta.columns:
            msg = f"Segment column {column!r} is not in the user metadata."
            raise DataError(msg)
        seg = _normalize(ctx.user_meta[column])
        values = sorted(seg.dropna().unique().tolist())
        codes = pd.Index(values).get_indexer(seg.fillna("\x00"))
        known = np.flatnonzero(codes >= 0)
        onehot = sp.csr_matrix(
            (np.ones(len(known), np.float32), (codes[known], known)), shape=(len(values), len(ctx.users))
        )
        binary = ctx.user_items.copy()
        binary.data[:] = 1.0
        return cls(column, values, sp.csr_matrix(onehot @ binary))

    def codes(self, meta: pd.DataFrame | None) -> np.ndarray:
        """Segment row of each user (``-1`` when the user has no or an unseen value)."""
        if meta is None or self.column not in meta.columns:
            return np.full(0 if meta is None else len(meta), -1, np.int64)
        return (
            pd.Index(self.values)
            .get_indexer(pd.Index(_normalize(meta[self.column]).fillna("\x00")))
            .astype(np.int64)
        )

    def dense(self, codes: np.ndarray, n_items: int) -> np.ndarray:
        """``(users, n_items)`` segment counts; NaN rows for users without a segment."""
        out = np.full((len(codes), n_items), np.nan, dtype=np.float32)
        has = codes >= 0
        if has.any():
            block = self.counts[codes[has]].toarray()
            out[np.flatnonzero(has), : block.shape[1]] = block
            out[np.flatnonzero(has), block.shape[1] :] = 0.0
        return out


class Popularity(Recommender):
    """Most popular items by distinct users, globally or within the user's segment.

    Args:
        segment: ``None`` for global popularity, a user metadata column (e.g. ``"state"``), or ``"auto"`` for
            the most filled categorical user column. Users without a segment value get global popularity.
    """

    name = "popularity"

    def __init__(self, segment: str | None = None) -> None:
        self.segment = segment

    def _fit(self, ctx: Context) -> None:
        column = (
            segment_columns(ctx, 1)[0:1] if self.segment == "auto" else [self.segment] if self.segment else []
        )
        self.segments_ = SegmentCounts.fit(ctx, column[0]) if column else None

    def _load(self, folder: Path) -> None:  # noqa: ARG002 - the state is derived, nothing to read
        # Counts are a deterministic function of the saved context; recounting is cheaper than storing them.
        self._fit(self.context_)

    def _ranker(self, catalog: Catalog) -> Ranker:
        n_items = len(catalog.items)
        ineligible = ~catalog.eligible
        names = ("popularity", "segment_popularity")

        def rank(batch: UserBatch, k: int) -> TopK:
            if self.segments_ is None:
                return _global_top_k(catalog, batch, k)
            codes = self.segments_.codes(batch.meta)
            if (codes < 0).all():
                return _global_top_k(catalog, batch, k)
            seg = self.segments_.dense(codes, n_items)
            # Segment counts first, global counts break ties and rank users without a segment.
            tie = catalog.popularity / (catalog.popularity.max() + 1.0)
            scores = np.where(np.isnan(seg), 0.0, seg) + tie[None, :]
            ids, top = top_k_dense(scores, k, batch.exclude, ineligible)
            sources = np.where(codes[:, None] >= 0, 1, 0) * np.ones_like(ids)
            return TopK(ids, top, sources, names)

        return rank


def _global_top_k(catalog: Catalog, batch: UserBatch, k: int) -> TopK:
    """The same popularity order for everyone, minus each user's exclusions."""
    n_excluded = int(np.diff(batch.exclude.indptr).max(initial=0))
    head = catalog.fallback[: k + n_excluded]
    n = len(batch.ids)
    cand = np.broadcast_to(head, (n, len(head)))
    banned = excluded_mask(batch.exclude, np.ascontiguousarray(cand))
    order = np.argsort(banned, axis=1, kind="stable")[:, :k]
    ids = np.where(np.take_along_axis(banned, order, axis=1), -1, np.take_along_axis(cand, order, axis=1))
    scores = np.where(ids >= 0, catalog.popularity[np.maximum(ids, 0)], -np.inf)
    return TopK(ids.astype(np.int64), scores, np.zeros(ids.shape, np.int64), ("popularity",))
