"""Filters hold for every model and any combination of k, exclusions, expiry date and whitelist."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys.filters import EXCLUDE, Filters, top_k_dense

MODELS_UNDER_TEST = ["popularity", "segment_popularity", "als", "item_knn", "content", "hybrid"]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data())
def test_lists_hold_only_eligible_unique_items_and_as_many_as_possible(data, fitted, dataset, items) -> None:
    name = data.draw(st.sampled_from(MODELS_UNDER_TEST), label="model")
    model = fitted[name]
    item_ids = sorted(model.context_.items.ids)
    user_pool = sorted(dataset.interactions["user_id"].unique())[:60] + ["ghost-a", "ghost-b"]
    users = data.draw(st.lists(st.sampled_from(user_pool), min_size=1, max_size=6), label="users")
    k = data.draw(st.integers(1, 80), label="k")
    exclude = data.draw(st.sampled_from(EXCLUDE), label="exclude")
    as_of = data.draw(
        st.none() | st.dates(pd.Timestamp("2023-12-01").date(), pd.Timestamp("2024-03-15").date())
    )
    whitelist = data.draw(st.none() | st.sets(st.sampled_from(item_ids), max_size=40), label="whitelist")
    filters = Filters.make(exclude=exclude, as_of=as_of, whitelist=whitelist)
    recs = model.recommend(users, k=k, filters=filters)

    eligible = set(item_ids)
    if whitelist is not None:
        eligible &= whitelist
    if as_of is not None:
        expired = items.loc[items["expires_at"] < pd.Timestamp(as_of), "item_id"]
        eligible -= set(expired)
    inter = dataset.interactions
    if exclude == "auto":
        exclude = model.context_.default_exclude
    if exclude == "converted":
        excluded = inter[inter["event_type"] == "apply"]
    elif exclude == "seen":
        excluded = inter
    else:
        excluded = inter.iloc[:0]
    assert list(dict.fromkeys(users)) == list(dict.fromkeys(recs["user_id"])) or recs.empty
    for user in dict.fromkeys(users):
        got = recs.loc[recs["user_id"] == user]
        allowed = eligible - set(excluded.loc[excluded["user_id"] == user, "item_id"])
        assert got["item_id"].is_unique
        assert set(got["item_id"]) <= allowed
        assert len(got) == min(k, len(allowed))
        assert got["rank"].tolist() == list(range(1, len(got) + 1))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    scores=st.lists(
        st.lists(st.floats(-5, 5) | st.just(float("-inf")), min_size=6, max_size=6), min_size=1, max_size=4
    ),
    k=st.integers(1, 8),
    banned=st.sets(st.integers(0, 5)),
)
def test_top_k_dense_matches_a_full_sort(scores, k, banned) -> None:
    import scipy.sparse as sp

    matrix = np.array(scores)
    exclude = sp.csr_matrix((len(matrix), 6))
    ineligible = np.isin(np.arange(6), list(banned))
    ids, top = top_k_dense(matrix.copy(), k, exclude, ineligible)
    for row, values in enumerate(matrix):
        ranked = sorted((-v, c) for c, v in enumerate(values) if np.isfinite(v) and c not in banned)
        expected = [c for _, c in ranked[:k]]
        assert [i for i in ids[row] if i >= 0] == expected
