"""The validation split's keywords (share held out, new users) and the hybrid ranker's use of it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys.dataset import Dataset
from recsys.errors import DataError
from recsys.models.hybrid import Hybrid
from recsys.validation import EmptySplitError, holdout


def _log() -> Dataset:
    """User a has four items on four days, b two, c one."""
    frame = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "a", "b", "b", "c"],
            "item_id": ["a1", "a2", "a3", "a4", "b1", "b2", "c1"],
            "weight": 1.0,
            "timestamp": pd.to_datetime(
                ["2024-01-04", "2024-01-01", "2024-01-03", "2024-01-02", "2024-01-01", "2024-01-02",
                 "2024-01-03"]
            ),
        }
    )  # fmt: skip
    return Dataset(frame)


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["user_id"], frame["item_id"], strict=True))


def test_fraction_holds_out_half_of_a_four_item_users_newest_items() -> None:
    split = holdout(_log(), "user", fraction=0.5)
    # a: newest 2 of 4 (a1 on the 4th, a3 on the 3rd); b: 1 of 2 (b2); c: a single item, a new user.
    assert _pairs(split.targets) == {("a", "a1"), ("a", "a3"), ("b", "b2"), ("c", "c1")}
    assert _pairs(split.data.interactions) == {("a", "a2"), ("a", "a4"), ("b", "b1")}


def test_new_users_false_keeps_single_item_users_in_training() -> None:
    split = holdout(_log(), "user", new_users=False)
    # Default share 20%: one item each for a (0.8 -> 1) and b (at least one); c stays to learn from.
    assert _pairs(split.targets) == {("a", "a1"), ("b", "b2")}
    assert ("c", "c1") in _pairs(split.data.interactions)
    assert "(2 returning, 0 new)" in split.describe()


def test_temporal_fraction_moves_the_cut() -> None:
    # The 75% quantile of the seven timestamps (two each on Jan 1-3, one on Jan 4) is Jan 3.
    split = holdout(_log(), "temporal", fraction=0.25)
    assert split.as_of == pd.Timestamp("2024-01-03")
    assert _pairs(split.targets) == {("a", "a1"), ("a", "a3"), ("c", "c1")}
    assert holdout(_log(), "temporal").as_of > pd.Timestamp("2024-01-03")


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_fraction_outside_zero_one_is_rejected_with_the_value(fraction) -> None:
    with pytest.raises(DataError, match=rf"between 0 and 1 .*got {fraction}"):
        holdout(_log(), "user", fraction=fraction)


def test_an_empty_side_raises_the_empty_split_error() -> None:
    singles = Dataset(pd.DataFrame({"user_id": ["a", "b"], "item_id": ["x", "y"], "weight": 1.0}))
    with pytest.raises(EmptySplitError, match="nothing to learn from"):
        holdout(singles, "random")
    with pytest.raises(EmptySplitError, match="no target"):
        holdout(singles, "random", new_users=False)
    assert issubclass(EmptySplitError, DataError)  # the command line still exits with status 2


def test_equal_timestamps_are_broken_at_random_not_by_id() -> None:
    frame = pd.DataFrame(
        {"user_id": "a", "item_id": ["x", "y"], "weight": 1.0, "timestamp": pd.Timestamp("2024-01-01")}
    )
    held = {holdout(Dataset(frame), "user", seed=s).targets["item_id"].iloc[0] for s in range(20)}
    assert held == {"x", "y"}


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    pairs=st.lists(st.tuples(st.integers(0, 8), st.integers(0, 12)), min_size=3, max_size=80, unique=True),
    fraction=st.sampled_from([0.1, 0.25, 0.5]),
    timed=st.booleans(),
)
def test_without_new_users_every_returning_user_gets_its_share(pairs, fraction, timed) -> None:
    frame = pd.DataFrame(pairs, columns=["user_id", "item_id"]).astype(str).assign(weight=1.0)
    if timed:
        frame["timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(frame)), unit="h")
    sizes = frame.groupby("user_id").size()
    if (sizes == 1).all():
        with pytest.raises(EmptySplitError):
            holdout(Dataset(frame), "auto", fraction=fraction, new_users=False)
        return
    split = holdout(Dataset(frame), "auto", fraction=fraction, new_users=False)
    held = split.targets.groupby("user_id").size()
    expected = np.maximum(1, np.round(fraction * sizes[sizes >= 2])).astype(int)
    pd.testing.assert_series_equal(held.sort_index(), expected.sort_index(), check_names=False)
    # No user is held out whole (a share up to half leaves each at least one item to learn from).
    assert set(split.data.interactions["user_id"]) == set(frame["user_id"])
    if timed:
        # The held-out items are each user's newest.
        newest = frame.sort_values("timestamp").groupby("user_id").tail(1)
        assert _pairs(newest[newest["user_id"].isin(held.index)]) <= _pairs(split.targets)


def test_hybrid_without_timestamps_learns_its_ranker_on_a_random_split(dataset: Dataset) -> None:
    # The default temporal split needs timestamps; the hybrid falls back to a random share per user.
    untimed = Dataset(
        dataset.interactions.drop(columns="timestamp"), dataset.users, dataset.items, dataset.event_weights
    )
    model = Hybrid(n_estimators=20).fit(untimed)
    assert model.booster_ is not None


def test_hybrid_on_data_too_small_to_split_ranks_by_fusion() -> None:
    singles = Dataset(
        pd.DataFrame({"user_id": ["a", "b"], "item_id": ["x", "y"], "weight": 1.0}),
        items=pd.DataFrame({"item_id": ["x", "y", "z"], "title": ["red job", "blue job", "red task"]}),
    )
    model = Hybrid(validation="user").fit(singles)
    assert model.booster_ is None
    recs = model.recommend(["a"], k=2)
    assert len(recs) == 2
    assert "x" not in set(recs["item_id"])
