"""Candidate generation and ranking features for the hybrid: ALS, content and (segment) popularity pools."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.context import Context
from recsys.features import unit_rows
from recsys.filters import Catalog, excluded_mask, top_k_dense
from recsys.models.als import ALS
from recsys.models.base import UserBatch
from recsys.models.content import Content, ContentState
from recsys.models.popularity import SegmentCounts, segment_columns

__all__ = ["SOURCES", "Generators", "Pool", "PoolSizes"]

# Candidate sources, in the order that breaks ties when naming the source of an item.
SOURCES = ("als", "content", "segment_popularity", "popularity")
# Reciprocal-rank fusion: personalized generators count fully, popularity only breaks ties. A small
# offset (10 rather than the usual 60) lets a generator's first picks stand out.
_FUSION_WEIGHTS = {"als": 1.0, "content": 1.0, "segment_popularity": 0.5, "popularity": 0.25}
_FUSION_OFFSET = 10.0


@dataclass(frozen=True)
class PoolSizes:
    """How many candidates each generator proposes per user (before the union)."""

    als: int = 50
    content: int = 50
    segment: int = 25
    popularity: int = 25


@dataclass
class Pool:
    """Candidate (user, item) pairs of a batch with their features.

    Attributes:
        users: Batch-local user position per pair.
        items: Catalog row per pair.
        features: ``(pairs, features)`` float32, NaN where a feature does not apply.
        source: Index into ``SOURCES`` of the generator that ranked the item best.
        fusion: Weighted reciprocal-rank fusion of the generators' ranks: the order used when there was too
            little validation data to learn a ranker.
    """

    users: np.ndarray
    items: np.ndarray
    features: np.ndarray
    source: np.ndarray
    fusion: np.ndarray


@dataclass
class CatalogState:
    """Catalog-side inputs computed once per recommend call."""

    catalog: Catalog
    content: ContentState
    item_features: dict[str, np.ndarray]
    segment_content: list[np.ndarray]


class Generators:
    """The fitted candidate generators over one context."""

    def __init__(self, als: ALS, content: Content, segments: list[SegmentCounts]) -> None:
        self.als, self.content, self.segments = als, content, segments

    @classmethod
    def fit(cls, ctx: Context, als_params: dict[str, Any], max_segments: int) -> Generators:
        """Fit ALS, the content space and segment counts on ``ctx``."""
        als, content = ALS(**als_params), Content()
        for model in (als, content):
            model.context_ = ctx
            model._fit(ctx)
        return cls(als, content, [SegmentCounts.fit(ctx, c) for c in segment_columns(ctx, max_segments)])

    def save(self, folder: Path) -> None:
        """ALS in implicit's npz format, the content vocabularies, the segment column names."""
        folder.mkdir(parents=True, exist_ok=True)
        self.als._save(folder)
        self.content._save(folder)
        segments = [s.column for s in self.segments]
        (folder / "segments.json").write_text(json.dumps(segments), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, ctx: Context, als_params: dict[str, Any]) -> Generators:
        """Read generators written by :meth:`save`."""
        als, content = ALS(**als_params), Content()
        for model in (als, content):
            model.context_ = ctx
            model._load(folder)
        columns = json.loads((folder / "segments.json").read_text(encoding="utf-8"))
        return cls(als, content, [SegmentCounts.fit(ctx, c) for c in columns])

    def feature_names(self) -> list[str]:
        """Ranking feature names, in column order of :attr:`Pool.features`."""
        space = self.content.space_
        names = ["als_score", "als_rank", "content_score", "content_rank", "content_relative"]
        names += ["content_history"]
        names += ["content_text"] if space.text is not None and space.user_text_columns else []
        names += [f"match_{c}" for c in space.shared_columns]
        names += [f"segment_{s.column}_log_users" for s in self.segments]
        names += [f"segment_{s.column}_content" for s in self.segments]
        names += ["popularity_log_users", "popularity_rank", "item_is_new", "item_age_days", "item_days_left"]
        names += ["user_log_interactions", "user_profile_fields"]
        return names

    def prepare(self, catalog: Catalog) -> CatalogState:
        """Vectorize the catalog and compute item-side features."""
        ctx = self.als.context_
        n = len(catalog.items)
        pop_rank = np.full(n, np.nan, dtype=np.float32)
        # Competition ranks: items with equal counts (all new items among them) share a rank, so the
        # feature says nothing about their arbitrary row order.
        counts = catalog.popularity[catalog.fallback]
        first = np.searchsorted(-counts, -counts, side="left")
        pop_rank[catalog.fallback] = first + 1
        is_new = np.ones(n, dtype=np.float32)
        is_new[: catalog.n_fit] = ctx.item_counts == 0
        item = {
            "popularity_log_users": np.log1p(catalog.popularity).astype(np.float32),
            "popularity_rank": pop_rank,
            "item_is_new": is_new,
            "item_age_days": _days(catalog, ctx.posted_col, since=True),
            "item_days_left": _days(catalog, ctx.expires_col, since=False),
        }
        content = self.content.prepare(catalog)
        return CatalogState(catalog, content, item, self._segment_content(content))

    def _segment_content(self, content: ContentState) -> list[np.ndarray]:
        """Per segment value, the cosine of every catalog item to the segment's interaction profile.

        The profile of a segment (an occupation, a state) is the mean content vector of the items its
        users interacted with (log distinct users per item): a mapping from profile values to job text
        learned from behaviour. It scores new jobs for users of the segment, warm or cold, where the
        segment's popularity counts are zero and the literal text of the profile may share no words
        with the posting (an occupation "Cybersecurity Analyst" and a posting "SOC Analyst").
        """
        n_fit = content.catalog.n_fit
        out = []
        for seg in self.segments:
            counts = sp.csr_matrix(seg.counts, dtype=np.float32)
            counts.data = np.log1p(counts.data)
            profile = unit_rows(counts @ content.vectors[:n_fit])
            out.append(np.asarray((profile @ content.vectors.T).toarray(), dtype=np.float32))
        return out

    def pool(self, state: CatalogState, batch: UserBatch, sizes: PoolSizes) -> Pool:
        """Candidates of every generator for a batch, their union, and the features of each pair."""
        catalog = state.catalog
        n_users, n_items = len(batch.ids), len(catalog.items)
        ineligible = ~catalog.eligible
        als = np.full((n_users, n_items), np.nan, dtype=np.float32)
        warm = np.flatnonzero(batch.warm)
        if len(warm):
            fit_scores = self.als.factors_of(batch.rows[warm]) @ self.als.item_factors.T
            # Items without interactions have no learned factors: not scorable by ALS.
            fit_scores[:, self.als.context_.item_counts == 0] = np.nan
            als[warm, : catalog.n_fit] = fit_scores
        parts = self.content.components(state.content, batch)
        content = self.content.combine(parts) + state.content.tie[None, :]
        segments = [s.dense(s.codes(batch.meta), n_items) for s in self.segments]
        ranks = {
            "als": _ranks(als, sizes.als, batch, ineligible),
            "content": _ranks(content, sizes.content, batch, ineligible),
            "popularity": _popularity_ranks(catalog, batch, sizes.popularity),
        }
        seg_ranks = [
            _ranks(s + state.content.tie[None, :], sizes.segment, batch, ineligible) for s in segments
        ]
        best_seg = np.fmin.reduce(seg_ranks) if seg_ranks else np.full((n_users, n_items), np.nan, np.float32)
        ranks["segment_popularity"] = best_seg
        stacked = np.stack([ranks[s] for s in SOURCES])
        pu, pi = np.nonzero(~np.isnan(stacked).all(axis=0))
        pair_ranks = stacked[:, pu, pi]
        source = np.argmin(np.where(np.isnan(pair_ranks), np.inf, pair_ranks), axis=0)
        weights = np.array([_FUSION_WEIGHTS[s] for s in SOURCES])[:, None]
        fusion = np.nansum(weights / (_FUSION_OFFSET + pair_ranks), axis=0)
        # The content score over the user's best eligible one: profiles with many fields reach higher
        # cosines than sparse ones, so a global threshold on the raw score would favour the former.
        best = np.max(np.where(ineligible[None, :], -np.inf, content), axis=1)
        relative = content / np.where(best > 0, best, 1.0)[:, None]
        columns = [als[pu, pi], ranks["als"][pu, pi], content[pu, pi], ranks["content"][pu, pi]]
        columns += [relative[pu, pi]]
        columns += [parts["history"][pu, pi]]
        if "content_text" in self.feature_names():
            columns.append(parts["text"][pu, pi] if "text" in parts else np.zeros(len(pu), np.float32))
        columns += [parts[f"match_{c}"][pu, pi] for c in self.content.space_.shared_columns]
        columns += [np.log1p(s[pu, pi]) for s in segments]
        for seg, sims in zip(self.segments, state.segment_content, strict=True):
            codes = seg.codes(batch.meta)[pu]
            columns.append(np.where(codes >= 0, sims[np.maximum(codes, 0), pi], np.nan))
        columns += [state.item_features[name][pi] for name in list(state.item_features)]
        columns += [_user_features(self.als.context_, batch, name)[pu] for name in ("log", "fields")]
        features = (
            np.column_stack(columns).astype(np.float32)
            if len(pu)
            else np.zeros((0, len(columns)), np.float32)
        )
        return Pool(pu.astype(np.int64), pi.astype(np.int64), features, source.astype(np.int64), fusion)


def _ranks(scores: np.ndarray, n: int, batch: UserBatch, ineligible: np.ndarray) -> np.ndarray:
    """Rank (1 = best) of each user's top-``n`` allowed items; NaN elsewhere."""
    out = np.full(scores.shape, np.nan, dtype=np.float32)
    if n <= 0:
        return out
    ids, _ = top_k_dense(scores, n, batch.exclude, ineligible)
    rows, cols = np.nonzero(ids >= 0)
    out[rows, ids[rows, cols]] = cols + 1
    return out


def _popularity_ranks(catalog: Catalog, batch: UserBatch, n: int) -> np.ndarray:
    """Ranks in the global popularity order (the same for everyone) minus each user's exclusions."""
    out = np.full((len(batch.ids), len(catalog.items)), np.nan, dtype=np.float32)
    if n <= 0:
        return out
    head = catalog.fallback[: n + int(np.diff(batch.exclude.indptr).max(initial=0))]
    cand = np.ascontiguousarray(np.broadcast_to(head, (len(batch.ids), len(head))))
    allowed = ~excluded_mask(batch.exclude, cand)
    rank = np.cumsum(allowed, axis=1)
    keep = allowed & (rank <= n)
    rows, cols = np.nonzero(keep)
    out[rows, cand[rows, cols]] = rank[rows, cols]
    return out


def _days(catalog: Catalog, column: str | None, *, since: bool) -> np.ndarray:
    """Days since (``since``) or until a date column, relative to the catalog's reference time."""
    n = len(catalog.items)
    if column is None or catalog.meta is None or catalog.as_of is None or column not in catalog.meta.columns:
        return np.full(n, np.nan, dtype=np.float32)
    delta = (
        catalog.as_of - pd.to_datetime(catalog.meta[column], errors="coerce")
    ).dt.total_seconds() / 86400.0
    days = delta.to_numpy(dtype=np.float64, na_value=np.nan)
    # A posting dated after the reference time (a catalog refreshed after training) is simply brand new.
    return (np.maximum(days, 0.0) if since else -days).astype(np.float32)


def _user_features(ctx: Context, batch: UserBatch, name: str) -> np.ndarray:
    if name == "log":
        counts = np.zeros(len(batch.ids))
        known = batch.rows >= 0
        counts[known] = ctx.user_counts[batch.rows[known]]
        return np.log1p(counts).astype(np.float32)
    if batch.meta is None:
        return np.zeros(len(batch.ids), dtype=np.float32)
    return batch.meta.drop(columns="user_id").notna().sum(axis=1).to_numpy(dtype=np.float32)
