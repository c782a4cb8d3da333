"""Validation splits carved out of the training data, shaped like the way the lists are used.

``recommend train`` chooses its model on such a split: the candidates learn from one part and are
scored on the other, then the winner is refit on everything. The default follows Amazon Personalize's
offline metrics: each returning user's newest interactions are held out, and users with a single item
are held out whole, as the new users that a batch run also serves. The hybrid's LightGBM ranker learns
its labels on the same kind of split of its own training data (a smaller share, single-item users kept).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.dataset import Dataset
from recsys.errors import DataError
from recsys.metadata import date_column

__all__ = ["VALIDATIONS", "EmptySplitError", "Holdout", "holdout"]

VALIDATIONS = ("auto", "user", "temporal", "random")
# Share of a returning user's items held out (at least one), as Personalize's newest 10% but with more
# targets per user: small data sets need them for a stable comparison.
_USER_FRACTION = 0.2
# Share of all interactions held out by the temporal split.
_TEMPORAL_FRACTION = 0.1


class EmptySplitError(DataError):
    """A split with no target or nothing left to learn from; a caller that can do without it may go on."""


@dataclass(frozen=True)
class Holdout:
    """A validation split.

    Attributes:
        data: What the candidates learn from (the same metadata; under ``temporal`` the items posted
            after the cut are left out of it, as they are unknown then).
        targets: Held-out ``user_id, item_id`` pairs (with ``event_type`` when the log has one).
        catalog: Every item of the full data, with its metadata: the items the lists may hold.
        mode: The split used (``user``, ``temporal`` or ``random``).
        as_of: The cut of a temporal split (expiry and item ages are taken there), else ``None``.
    """

    data: Dataset
    targets: pd.DataFrame
    catalog: pd.DataFrame
    mode: str
    as_of: pd.Timestamp | None = None

    @property
    def users(self) -> np.ndarray:
        """Users with a target, sorted."""
        return np.sort(self.targets["user_id"].unique().astype(object))

    def describe(self) -> str:
        """One line for the printout: the split and its size."""
        known = set(self.data.interactions["user_id"])
        users = self.users
        new = int(sum(u not in known for u in users))
        what = {
            "user": "each returning user's newest interactions",
            "temporal": f"every interaction from {self.as_of} on",
            "random": "a random share of each user's interactions (no timestamps)",
        }[self.mode]
        return (
            f"validation '{self.mode}': {what}; {len(self.targets)} held-out pairs of {len(users)} users "
            f"({len(users) - new} returning, {new} new)"
        )


def _catalog(dataset: Dataset) -> pd.DataFrame:
    ids = pd.Series(dataset.interactions["item_id"].astype(str).unique(), name="item_id")
    if dataset.items is None:
        return ids.to_frame()
    items = dataset.items.drop_duplicates("item_id", keep="last").assign(
        item_id=lambda f: f["item_id"].astype(str)
    )
    extra = ids[~ids.isin(items["item_id"])].to_frame()
    return pd.concat([items, extra], ignore_index=True)


def _per_user(inter: pd.DataFrame, rng: np.random.Generator, fraction: float, new_users: bool) -> np.ndarray:
    """Held-out mask: each user's newest share of items (users with 2+), single-item users whole or kept."""
    if "timestamp" in inter.columns:
        key = inter["timestamp"].to_numpy()
    else:
        key = rng.random(len(inter))
    # Equal timestamps are broken at random, not by id: an id order would hold out the same kind of item
    # (e.g. the highest movie id) every time.
    frame = pd.DataFrame({"user_id": inter["user_id"].to_numpy(), "key": key, "tie": rng.random(len(inter))})
    ordered = frame.sort_values(["user_id", "key", "tie"], kind="stable")
    size = ordered.groupby("user_id", sort=False)["user_id"].transform("size")
    newest = size - ordered.groupby("user_id", sort=False).cumcount()
    n_held = np.maximum(1, np.round(fraction * size))
    held = ((newest <= n_held) & (size >= 2)) | ((size == 1) & new_users)
    return held.reindex(frame.index).to_numpy(dtype=bool)


def holdout(
    dataset: Dataset,
    mode: str = "auto",
    *,
    seed: int = 0,
    fraction: float | None = None,
    new_users: bool = True,
) -> Holdout:
    """Split a training dataset into a part to learn from and targets to score.

    Args:
        dataset: The full training data.
        mode: ``user`` holds out each returning user's newest 20% of items (at least one; users with a
            single item are held out whole, as new users); ``temporal`` holds out every interaction in
            the newest 10% of time (new users and new items as they arrive); ``random`` is ``user`` with
            a random order, for logs without timestamps; ``auto`` is ``user`` with timestamps, else
            ``random``.
        seed: Seed of the random order and tie breaks.
        fraction: The share held out instead of the mode's default: of each user's items (``user``,
            ``random``; at least one) or of all interactions (``temporal``).
        new_users: Whether ``user`` and ``random`` hold out single-item users whole, as new users (the
            model selection scores how new users are served), or keep them in the training part (a
            learner that needs every interaction it can get). ``temporal`` has the new users that
            arrive after its cut either way.

    Raises:
        EmptySplitError: A split with an empty side.
        DataError: An unknown mode or fraction, or ``temporal`` without timestamps.

    Example:
        >>> frame = pd.DataFrame({"user_id": list("aaaab"), "item_id": list("vwxyz"), "weight": 1.0,
        ...                       "timestamp": pd.date_range("2024-01-01", periods=5)})
        >>> split = holdout(Dataset(frame), "user", fraction=0.5, new_users=False)
        >>> sorted(split.targets["item_id"]), sorted(split.data.interactions["item_id"])
        (['x', 'y'], ['v', 'w', 'z'])
    """
    if mode not in VALIDATIONS:
        msg = f"--validation {mode!r} is not a validation split; use one of {', '.join(VALIDATIONS)}."
        raise DataError(msg)
    if fraction is not None and not 0 < fraction < 1:
        msg = f"The validation fraction must be between 0 and 1 (exclusive); got {fraction!r}."
        raise DataError(msg)
    inter = dataset.interactions.reset_index(drop=True)
    has_time = "timestamp" in inter.columns
    if mode == "auto":
        mode = "user" if has_time else "random"
    if mode == "user" and not has_time:
        mode = "random"
    rng = np.random.default_rng(seed)
    as_of = None
    items = dataset.items
    if mode == "temporal":
        if not has_time:
            msg = "--validation temporal needs timestamps, and the interactions have none; use 'random'."
            raise DataError(msg)
        share = _TEMPORAL_FRACTION if fraction is None else fraction
        as_of = pd.Timestamp(inter["timestamp"].quantile(1 - share))  # type: ignore[arg-type]
        held = (inter["timestamp"] >= as_of).to_numpy()
        posted = date_column(items, "posted")
        if items is not None and posted is not None:
            items = items[~(items[posted] > as_of)]
    else:
        held = _per_user(inter, rng, _USER_FRACTION if fraction is None else fraction, new_users)
    train = inter[~held].reset_index(drop=True)
    if not held.any() or train.empty:
        msg = (
            f"The validation split '{mode}' of {len(inter)} user-item pairs leaves "
            f"{'no target' if not held.any() else 'nothing to learn from'}; give more interactions "
            "or choose one model with --model."
        )
        raise EmptySplitError(msg)
    targets = inter[held].reset_index(drop=True)
    seen = dataset.seen
    if seen is not None:
        # Held-out pairs must not be filtered out of the lists as already seen.
        key = pd.MultiIndex.from_frame(targets[["user_id", "item_id"]].astype(str))
        seen = seen[~pd.MultiIndex.from_frame(seen[["user_id", "item_id"]].astype(str)).isin(key)]
    data = Dataset(train, dataset.users, items, dataset.event_weights, seen, dataset.revisit_share)
    keep = [c for c in ("user_id", "item_id", "event_type") if c in targets.columns]
    return Holdout(data, targets[keep], _catalog(dataset), mode, as_of)
