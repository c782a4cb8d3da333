"""ALS's batched lists equal a brute-force top-k over its own factors, with every filter applied."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.filters import Filters


@pytest.mark.parametrize("exclude", ["converted", "seen"])
def test_als_lists_equal_brute_force_top_k_without_exclusions(fitted, dataset, exclude) -> None:
    model = fitted["als"]
    ctx = model.context_
    # Heaviest users first: their exclusions exceed the batch's over-fetch margin and are asked again.
    users = ctx.users.ids[np.argsort(-ctx.user_counts, kind="stable")[:300]]
    k = 10
    recs = model.recommend(users, k=k, filters=Filters(exclude=exclude))
    rows = ctx.users.rows(users)
    scores = model.factors_of(rows) @ model.item_factors.T
    banned = (ctx.converted if exclude == "converted" else ctx.user_items)[rows].toarray() > 0
    scores[banned | (ctx.item_counts == 0)[None, :]] = -np.inf
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    got = recs.pivot(index="user_id", columns="rank", values="item_id").loc[users]
    # float32 scores of implicit and numpy may order near-ties differently; every other list is exact.
    best = -np.sort(-scores, axis=1)[:, : k + 1]
    clear = (np.abs(np.diff(best, axis=1)) > 1e-4).all(axis=1)
    assert clear.mean() > 0.8
    assert (got.to_numpy() == ctx.items.ids[expected])[clear].all()
    listed = ctx.items.rows(got.to_numpy().ravel()).reshape(got.shape)
    assert not np.take_along_axis(banned, listed, axis=1).any()
    # The check covers the second query: some users have more exclusions than the first over-fetch.
    n_banned = banned.sum(axis=1)
    assert (n_banned > np.quantile(n_banned, 0.99)).any()
