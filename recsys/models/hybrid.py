"""The default recommender: ALS, content and segment-popularity candidates re-ranked by LightGBM lambdarank.

The ranker learns on a validation split carved out of the training data (:func:`recsys.validation.holdout`:
its newest interactions, or a random share per user without timestamps): generators fit on the older part
propose candidates for the held-out part, and the held-out pairs are the labels. The generators are then
refit on all training data. The evaluation test split is never seen.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, Self

import lightgbm as lgb
import numpy as np
import pandas as pd

from recsys.context import Context
from recsys.dataset import Dataset
from recsys.filters import Catalog, Filters, build_catalog, exclusions
from recsys.models.base import Ranker, Recommender, TopK, UserBatch
from recsys.models.candidates import SOURCES, Generators, Pool, PoolSizes
from recsys.validation import EmptySplitError, Holdout, holdout

__all__ = ["Hybrid"]

# Fewer labelled users than this cannot train a ranker worth having; the hybrid then ranks by fusion.
_MIN_TRAINING_GROUPS = 100
_MULTITHREAD_ROWS = 200_000
_STOPPING_SHARE = 0.2
_STOPPING_ROUNDS = 20
# Higher similarity or a better generator rank never lowers the score: this keeps the ranker sensible
# where validation data is thin. Popularity is left free on purpose: on job boards a posting with no
# interactions yet is often the freshest and best one, and the ranker must be able to learn that.
_MONOTONE = {
    "als_score": 1,
    "als_rank": -1,
    "content_score": 1,
    "content_rank": -1,
    "content_history": 1,
    "content_relative": 1,
}


def _monotone(feature: str) -> int:
    """+1 where a larger value may only raise the score, -1 where it may only lower it, 0 when free."""
    if feature.startswith("match_") or feature == "content_text":
        return 1
    if feature.startswith("segment_") and feature.endswith("_content"):
        return 1
    return _MONOTONE.get(feature, 0)


class Hybrid(Recommender):
    """Candidate pooling plus a LightGBM lambdarank re-ranker over metadata features and candidate scores.

    Args:
        pool_als: ALS candidates per user.
        pool_content: Content candidates per user.
        pool_segment: Candidates per user from each segment's popularity (state, occupation, ...).
        pool_popularity: Global popularity candidates per user.
        max_segments: Number of user categorical columns used as popularity segments (most filled first).
        validation: The ranker's split (see :func:`recsys.validation.holdout`): ``"temporal"`` (default:
            the newest interactions overall, as when serving; a random share of each user's items
            without timestamps) or ``"user"`` (each user's newest, to match an evaluation that holds out
            per-user targets). Users with a single item stay in the generators' training part.
        validation_fraction: Share of the training interactions the ranker learns from (of all of them
            under ``temporal``, of each user's under ``user``).
        max_training_users: Cap on validation users (sampled), bounding the ranker's training time.
        n_estimators: Boosting rounds.
        learning_rate: Boosting step.
        num_leaves: Leaves per tree.
        als: Parameters of the ALS generator (see ``recsys.models.ALS``).
        random_state: Seed of sampling and boosting.
    """

    name = "hybrid"
    batch_size = 512

    def __init__(
        self,
        pool_als: int = 50,
        pool_content: int = 50,
        pool_segment: int = 25,
        pool_popularity: int = 25,
        max_segments: int = 2,
        validation: str = "temporal",
        validation_fraction: float = 0.1,
        max_training_users: int = 5000,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        num_leaves: int = 15,
        als: dict[str, Any] | None = None,
        random_state: int = 0,
    ) -> None:
        self.pool_als = pool_als
        self.pool_content = pool_content
        self.pool_segment = pool_segment
        self.pool_popularity = pool_popularity
        self.max_segments = max_segments
        self.validation = validation
        self.validation_fraction = validation_fraction
        self.max_training_users = max_training_users
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.als = als
        self.random_state = random_state

    @property
    def _sizes(self) -> PoolSizes:
        return PoolSizes(self.pool_als, self.pool_content, self.pool_segment, self.pool_popularity)

    @property
    def _als_params(self) -> dict[str, Any]:
        return {"random_state": self.random_state, **(self.als or {})}

    def fit(self, dataset: Dataset) -> Self:
        """Train the ranker on a validation split, then fit the generators on all of ``dataset``."""
        self.booster_: lgb.Booster | None = None
        split = self._split(dataset)
        if split is not None:
            self.booster_ = self._train_ranker(dataset, split)
        self.context_ = Context.from_dataset(dataset)
        self._fit(self.context_)
        return self

    def _split(self, dataset: Dataset) -> Holdout | None:
        """The ranker's validation split, or ``None`` when the data are too small to have one."""
        mode = self.validation
        if mode == "temporal" and "timestamp" not in dataset.interactions.columns:
            # The default must work on any log: without timestamps there is no newest share, and a random
            # one still gives the ranker its labels.
            mode = "random"
        try:
            # Single-item users stay in training: the generators need every interaction of small data,
            # and the ranker learns from returning users' labels.
            return holdout(
                dataset,
                mode,
                seed=self.random_state,
                fraction=self.validation_fraction,
                new_users=False,
            )
        except EmptySplitError:
            # Too little data for a split: the hybrid ranks by fusion of its generators instead.
            return None

    def _fit(self, ctx: Context) -> None:
        self.generators_ = Generators.fit(ctx, self._als_params, self.max_segments)

    def _train_ranker(self, dataset: Dataset, split: Holdout) -> lgb.Booster | None:
        ctx = Context.from_dataset(split.data)
        gen = Generators.fit(ctx, self._als_params, self.max_segments)
        # Every item of the full training data may be a target; the expiry filter applies at the cut.
        catalog = build_catalog(ctx, Filters(as_of=split.as_of), split.catalog)
        users = split.users
        rng = np.random.default_rng(self.random_state)
        if len(users) > self.max_training_users:
            users = np.sort(rng.choice(users, self.max_training_users, replace=False))
        labels = _grades(split.targets, dataset.event_weights)
        pools, groups, y = [], [], []
        state = gen.prepare(catalog)
        for start in range(0, len(users), self.batch_size):
            batch = _batch(ctx, catalog, users[start : start + self.batch_size], dataset.users)
            pool = gen.pool(state, batch, self._sizes)
            key = pd.MultiIndex.from_arrays(
                [batch.ids[pool.users].astype(str), catalog.items.ids[pool.items].astype(str)]
            )
            grade = labels.reindex(key).fillna(0).to_numpy(dtype=np.int32)
            for u in range(len(batch.ids)):
                mask = pool.users == u
                if grade[mask].any():
                    pools.append(pool.features[mask])
                    y.append(grade[mask])
                    groups.append(int(mask.sum()))
        if len(groups) < _MIN_TRAINING_GROUPS:
            return None
        return self._fit_booster(pools, y, gen.feature_names())

    def _fit_booster(
        self, pools: list[np.ndarray], labels: list[np.ndarray], names: list[str]
    ) -> lgb.Booster:
        """LambdaRank with early stopping on a fifth of the validation users.

        Stopping on held-out users sizes the model to the data: a few hundred labelled users give a
        few shallow trees instead of an overfit ensemble that ranks worse than its own candidates.
        """
        rng = np.random.default_rng(self.random_state)
        stop = rng.random(len(pools)) < _STOPPING_SHARE
        stop[0], stop[-1] = False, True  # both sides non-empty

        def data(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[int]]:
            chosen = np.flatnonzero(mask)
            return (
                np.vstack([pools[i] for i in chosen]),
                np.concatenate([labels[i] for i in chosen]),
                [len(labels[i]) for i in chosen],
            )

        x_fit, y_fit, g_fit = data(~stop)
        x_stop, y_stop, g_stop = data(stop)
        train = lgb.Dataset(x_fit, y_fit, group=g_fit, feature_name=names)
        valid = lgb.Dataset(x_stop, y_stop, group=g_stop, reference=train)
        params = {
            "objective": "lambdarank",
            "metric": "ndcg",
            "eval_at": [10],
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": 50,
            "lambda_l2": 1.0,
            "monotone_constraints": [_monotone(f) for f in names],
            "monotone_constraints_method": "advanced",
            "feature_fraction": 0.8,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "seed": self.random_state,
            "deterministic": True,
            "force_row_wise": True,
            # Small problems train faster on one thread, and OpenMP threads spin when cores are shared.
            "num_threads": 1 if len(x_fit) < _MULTITHREAD_ROWS else 0,
            "verbose": -1,
        }
        callbacks: list[Callable[..., Any]] = [
            lgb.early_stopping(_STOPPING_ROUNDS, first_metric_only=True, verbose=False)
        ]
        return lgb.train(params, train, self.n_estimators, valid_sets=[valid], callbacks=callbacks)

    def _save(self, folder: Path) -> None:
        self.generators_.save(folder / "generators")
        if self.booster_ is not None:
            self.booster_.save_model(str(folder / "ranker.txt"))
        info = {"features": self.generators_.feature_names(), "pool": asdict(self._sizes)}
        (folder / "hybrid.json").write_text(json.dumps(info, indent=1), encoding="utf-8")

    def _load(self, folder: Path) -> None:
        self.generators_ = Generators.load(folder / "generators", self.context_, self._als_params)
        path = folder / "ranker.txt"
        self.booster_ = lgb.Booster(model_file=str(path)) if path.exists() else None

    def _ranker(self, catalog: Catalog) -> Ranker:
        state = self.generators_.prepare(catalog)

        def rank(batch: UserBatch, k: int) -> TopK:
            pool = self.generators_.pool(state, batch, self._sizes)
            return _top_k(pool, self._score(pool), len(batch.ids), k)

        return rank

    def _score(self, pool: Pool) -> np.ndarray:
        if self.booster_ is None or not len(pool.users):
            return pool.fusion
        return np.asarray(self.booster_.predict(pool.features), dtype=np.float64)


def _grades(targets: pd.DataFrame, weights: dict[str, float] | Any) -> pd.Series:
    """Relevance grade per target pair: 1 + the rank of its strongest event type by weight (else 1)."""
    key = pd.MultiIndex.from_frame(targets[["user_id", "item_id"]].astype(str))
    if weights and "event_type" in targets.columns:
        levels = {e: i + 1 for i, e in enumerate(sorted(weights, key=lambda e: (weights[e], e)))}
        grade = targets["event_type"].map(levels).fillna(1).to_numpy(dtype=np.int32)
    else:
        grade = np.ones(len(targets), dtype=np.int32)
    return pd.Series(grade, index=key)


def _batch(ctx: Context, catalog: Catalog, user_ids: np.ndarray, users: pd.DataFrame | None) -> UserBatch:
    rows = ctx.users.rows(user_ids)
    warm = np.zeros(len(rows), dtype=bool)
    warm[rows >= 0] = ctx.user_counts[rows[rows >= 0]] > 0
    meta = None
    if users is not None:
        meta = users.drop_duplicates("user_id", keep="last").set_index("user_id")
        meta = meta.reindex(pd.Index(user_ids, name="user_id").astype("str")).reset_index()
    return UserBatch(user_ids, rows, exclusions(ctx, rows, len(catalog.items), "converted"), meta, warm)


def _top_k(pool: Pool, scores: np.ndarray, n_users: int, k: int) -> TopK:
    """Best ``k`` pairs per user by score (ties by catalog row)."""
    ids = np.full((n_users, k), -1, dtype=np.int64)
    top = np.full((n_users, k), -np.inf)
    src = np.zeros((n_users, k), dtype=np.int64)
    order = np.lexsort((pool.items, -scores, pool.users))
    users = pool.users[order]
    start = np.searchsorted(users, np.arange(n_users))
    position = np.arange(len(order)) - start[users]
    keep = position < k
    rows, cols = users[keep], position[keep]
    ids[rows, cols] = pool.items[order][keep]
    top[rows, cols] = scores[order][keep]
    src[rows, cols] = pool.source[order][keep]
    return TopK(ids, top, src, SOURCES)
