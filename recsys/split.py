"""Evaluation splits of an event log: Amazon Personalize's protocol, leave-last-out and a global temporal cut.

Each split returns the events a model may learn from and the (user, item) targets it must find. A target
pair never occurs in the training events, and no event after a target's time feeds its user's input
(except under leave-last-out, where other items' later events stay in the input).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.errors import DataError
from recsys.interactions import aggregate_events
from recsys.options import SPLIT_NAMES

__all__ = ["Split", "SPLITS", "leave_last_split", "personalize_split", "temporal_split"]


@dataclass(frozen=True)
class Split:
    """A train/target split.

    Attributes:
        train: Events a model may learn from (training users plus test users' input).
        targets: Aggregated ``user_id, item_id, weight[, timestamp][, event_type]`` pairs to recover,
            none of which occurs in ``train``.
        cutoff: The split time of a temporal split (the ``as_of`` date for filters), else ``None``.
    """

    train: pd.DataFrame
    targets: pd.DataFrame
    cutoff: pd.Timestamp | None = None

    @property
    def test_users(self) -> np.ndarray:
        """Users with at least one target, sorted."""
        return np.sort(self.targets["user_id"].unique().astype(object))


def _check(events: pd.DataFrame, name: str) -> None:
    if "timestamp" not in events.columns:
        msg = f"The {name} split orders events by time, but the interactions have no timestamp (--time-col)."
        raise DataError(msg)


def _targets(held_out: pd.DataFrame, train: pd.DataFrame) -> pd.DataFrame:
    """Aggregate held-out events and drop pairs the user already has in the training events."""
    targets = aggregate_events(held_out)
    seen = pd.MultiIndex.from_frame(train[["user_id", "item_id"]])
    keep = ~pd.MultiIndex.from_frame(targets[["user_id", "item_id"]]).isin(seen)
    return targets[keep].reset_index(drop=True)


def personalize_split(
    events: pd.DataFrame, *, test_fraction: float = 0.1, target_fraction: float = 0.1, seed: int = 0
) -> Split:
    """Amazon Personalize's protocol: 90% of users train; test users' oldest 90% are input, newest 10% target.

    Args:
        events: Canonical events with ``timestamp``.
        test_fraction: Share of users held out (at least one).
        target_fraction: Share of each test user's newest events that are targets (at least one event, so a
            test user with a single event is a cold user).
        seed: Seed of the user draw.

    Example:
        >>> ev = pd.DataFrame({"user_id": ["a"] * 10 + ["b"] * 10, "item_id": [f"i{k}" for k in range(20)],
        ...                    "weight": 1.0, "timestamp": pd.date_range("2024-01-01", periods=20, freq="h")})
        >>> s = personalize_split(ev, test_fraction=0.5, seed=1)
        >>> len(s.train), s.targets[["user_id", "item_id"]].values.tolist()
        (19, [['a', 'i9']])
    """
    _check(events, "personalize")
    users = np.sort(events["user_id"].unique().astype(object))
    rng = np.random.default_rng(seed)
    n_test = max(1, round(test_fraction * len(users)))
    test = set(rng.choice(users, size=n_test, replace=False).tolist())
    ordered = events.sort_values(["user_id", "timestamp"], kind="stable")
    is_test = ordered["user_id"].isin(test)
    position = ordered.groupby("user_id", sort=False).cumcount()
    size = ordered.groupby("user_id", sort=False)["user_id"].transform("size")
    n_targets = np.maximum(1, np.round(target_fraction * size))
    held = is_test & (position >= size - n_targets)
    train = ordered[~held].sort_index()
    return Split(train, _targets(ordered[held], train))


def leave_last_split(events: pd.DataFrame) -> Split:
    """Leave-last-out: each user's most recently discovered item is the target (users with 2+ items).

    Example:
        >>> ev = pd.DataFrame({"user_id": list("aaab"), "item_id": list("xyxz"), "weight": 1.0,
        ...                    "timestamp": pd.date_range("2024-01-01", periods=4, freq="h")})
        >>> leave_last_split(ev).targets[["user_id", "item_id"]].values.tolist()
        [['a', 'y']]
    """
    _check(events, "leave-last")
    first = events.groupby(["user_id", "item_id"])["timestamp"].min().reset_index()
    first = first.sort_values(["user_id", "timestamp", "item_id"], kind="stable")
    n_items = first.groupby("user_id")["item_id"].transform("size")
    last = first[n_items >= 2].groupby("user_id").tail(1)
    key = pd.MultiIndex.from_frame(events[["user_id", "item_id"]])
    held = key.isin(pd.MultiIndex.from_frame(last[["user_id", "item_id"]]))
    train = events[~held]
    return Split(train, _targets(events[held], train))


def temporal_split(
    events: pd.DataFrame, *, target_fraction: float = 0.1, cutoff: pd.Timestamp | None = None
) -> Split:
    """Global temporal split: events from ``cutoff`` on are targets (cold users and new items included).

    Args:
        events: Canonical events with ``timestamp``.
        target_fraction: Share of the newest events held out, when ``cutoff`` is not given.
        cutoff: Explicit split time.
    """
    _check(events, "temporal")
    if cutoff is None:
        cutoff = pd.Timestamp(events["timestamp"].quantile(1 - target_fraction))  # type: ignore[arg-type]
    held = events["timestamp"] >= cutoff
    train = events[~held]
    if train.empty or not held.any():
        msg = (
            f"The temporal cutoff {cutoff} leaves an empty side; events span {events['timestamp'].min()} to "
        )
        msg += f"{events['timestamp'].max()}."
        raise DataError(msg)
    return Split(train, _targets(events[held], train), cutoff=pd.Timestamp(cutoff))


# Named in recsys.options.SPLIT_NAMES, which `recommend evaluate --protocol` reads without importing pandas.
SPLITS: dict[str, Callable[..., Split]] = dict(
    zip(SPLIT_NAMES, (personalize_split, leave_last_split, temporal_split), strict=True)
)
