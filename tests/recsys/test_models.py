"""The contract every recommender in MODELS keeps: output shape, filters, cold users, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.dataset import RECOMMENDATION_COLUMNS, Dataset
from recsys.errors import DataError
from recsys.filters import Filters
from recsys.models import MODELS, Recommender

pytestmark = pytest.mark.parametrize("name", sorted(MODELS))


def _warm_users(dataset: Dataset, n: int = 40) -> list[str]:
    counts = dataset.interactions["user_id"].value_counts()
    return sorted(counts.index[counts >= 3])[:n]


def test_fit_returns_self_and_output_has_the_contract_shape(name, fitted, dataset) -> None:
    model = fitted[name]
    assert model.context_ is not None
    users = _warm_users(dataset)
    recs = model.recommend(users, k=10)
    assert tuple(recs.columns) == RECOMMENDATION_COLUMNS
    assert recs["user_id"].unique().tolist() == users  # input order kept, every user served
    for _, group in recs.groupby("user_id", sort=False):
        assert group["rank"].tolist() == list(range(1, len(group) + 1))
        assert group["item_id"].is_unique
        assert group["score"].is_monotonic_decreasing
        assert len(group) == 10
    assert recs["score"].notna().all()
    assert set(recs["source"]) <= set(MODELS) | {"popularity", "segment_popularity"}


def test_unknown_and_cold_users_get_full_lists(name, fitted, users) -> None:
    model = fitted[name]
    cold = users.loc[
        ~users["user_id"].isin(model.context_.users.ids[model.context_.user_counts > 0]), "user_id"
    ]
    ids = ["nobody-1", "nobody-2", *cold.head(3)]
    recs = model.recommend(ids, k=7)
    assert recs.groupby("user_id").size().reindex(ids).tolist() == [7] * len(ids)


def test_converted_items_are_excluded_and_seen_optionally(name, fitted, dataset) -> None:
    model = fitted[name]
    users = _warm_users(dataset, 25)
    inter = dataset.interactions[dataset.interactions["user_id"].isin(users)]
    applied = set(map(tuple, inter.loc[inter["event_type"] == "apply", ["user_id", "item_id"]].to_numpy()))
    seen = set(map(tuple, inter[["user_id", "item_id"]].to_numpy()))
    recs = model.recommend(users, k=30)
    pairs = set(map(tuple, recs[["user_id", "item_id"]].to_numpy()))
    assert applied
    assert not pairs & applied
    recs_seen = model.recommend(users, k=30, filters=Filters(exclude="seen"))
    assert not set(map(tuple, recs_seen[["user_id", "item_id"]].to_numpy())) & seen


def test_expired_jobs_whitelist_and_short_catalogs(name, fitted, items) -> None:
    model = fitted[name]
    as_of = pd.Timestamp("2024-02-01")
    expired = set(items.loc[items["expires_at"] < as_of, "item_id"])
    recs = model.recommend(["u00001", "nobody"], k=50, filters=Filters(as_of=as_of))
    assert expired
    assert not set(recs["item_id"]) & expired
    allowed = sorted(items["item_id"])[:5]
    small = model.recommend(
        ["u00001", "nobody"], k=50, filters=Filters.make(exclude="none", whitelist=allowed)
    )
    # k larger than the eligible catalog returns exactly the eligible items.
    assert small.groupby("user_id")["item_id"].apply(sorted).tolist() == [allowed, allowed]


def test_fit_returns_self_and_refits_identically(name, fitted, dataset, new_model) -> None:
    users = _warm_users(dataset, 30) + ["nobody"]
    model = new_model(name)
    assert model.fit(dataset) is model
    pd.testing.assert_frame_equal(model.recommend(users, k=10), fitted[name].recommend(users, k=10))


def test_recommend_before_fit_says_what_to_do(name, new_model) -> None:
    with pytest.raises(DataError, match="call fit"):
        new_model(name).recommend(["u1"], k=5)


def test_params_round_trip_through_the_registry(name, fitted) -> None:
    model: Recommender = fitted[name]
    params = model.get_params()
    rebuilt = MODELS[name](**params) if name != "segment_popularity" else MODELS["popularity"](**params)
    assert rebuilt.get_params() == params
    assert np.all([isinstance(k, str) for k in params])
