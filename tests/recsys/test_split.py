"""Evaluation splits hold out the right events and never leak a target into the training input."""

from __future__ import annotations

import pandas as pd
import pytest

from recsys.errors import DataError
from recsys.split import SPLITS, leave_last_split, personalize_split, temporal_split


@pytest.mark.parametrize("protocol", sorted(SPLITS))
def test_no_target_leaks_into_the_input(protocol, events) -> None:
    split = SPLITS[protocol](events)
    train_pairs = pd.MultiIndex.from_frame(split.train[["user_id", "item_id"]])
    target_pairs = pd.MultiIndex.from_frame(split.targets[["user_id", "item_id"]])
    assert len(target_pairs) > 0
    assert not target_pairs.isin(train_pairs).any()
    assert target_pairs.is_unique
    # Every event is either training input or part of a held-out pair (re-visits of input pairs excepted).
    assert len(split.train) < len(events)


def test_personalize_protocol_holds_out_a_tenth_of_users_and_their_newest_tenth(events) -> None:
    split = personalize_split(events, seed=3)
    held = events.merge(split.train, how="left", indicator=True)
    held = held[held["_merge"] == "left_only"]
    test_users = set(held["user_id"])
    n_users = events["user_id"].nunique()
    assert abs(len(test_users) - round(0.1 * n_users)) <= 1
    for user, group in events[events["user_id"].isin(test_users)].groupby("user_id"):
        n_target = max(1, round(0.1 * len(group)))
        user_held = held[held["user_id"] == user]
        assert len(user_held) == n_target
        # Targets are the newest events of the user: none of its input events is later.
        user_input = split.train[split.train["user_id"] == user]
        assert user_input.empty or user_input["timestamp"].max() <= user_held["timestamp"].min()


def test_leave_last_out_targets_each_users_last_new_item(events) -> None:
    split = leave_last_split(events)
    first = events.groupby(["user_id", "item_id"])["timestamp"].min().reset_index()
    multi = first.groupby("user_id").filter(lambda g: len(g) >= 2)
    expected = multi.sort_values(["user_id", "timestamp", "item_id"]).groupby("user_id").tail(1)
    assert sorted(map(tuple, split.targets[["user_id", "item_id"]].to_numpy())) == sorted(
        map(tuple, expected[["user_id", "item_id"]].to_numpy())
    )


def test_temporal_split_cuts_at_one_time_and_keeps_cold_users_and_new_items(events) -> None:
    split = temporal_split(events, target_fraction=0.2)
    assert split.cutoff is not None
    assert (split.train["timestamp"] < split.cutoff).all()
    assert (split.targets["timestamp"] >= split.cutoff).all()
    assert (~split.targets["user_id"].isin(split.train["user_id"])).any()
    assert (~split.targets["item_id"].isin(split.train["item_id"])).any()


def test_splits_need_timestamps(events) -> None:
    with pytest.raises(DataError, match="no timestamp"):
        temporal_split(events.drop(columns="timestamp"))
