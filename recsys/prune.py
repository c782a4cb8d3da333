"""Long-tail pruning: drop users and items with too few interactions, reporting the counts at each step."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from recsys.errors import DataError

__all__ = ["PruneStep", "prune"]

# Removing users can push items under their minimum and back again; a few rounds reach the fixed point.
_MAX_ROUNDS = 20


@dataclass(frozen=True)
class PruneStep:
    """Counts after one pruning step."""

    step: str
    rows: int
    users: int
    items: int

    def __str__(self) -> str:
        return f"{self.step}: {self.rows} interactions, {self.users} users, {self.items} items"


def prune(
    interactions: pd.DataFrame, *, min_user_interactions: int = 1, min_item_interactions: int = 1
) -> tuple[pd.DataFrame, list[PruneStep]]:
    """Keep users and items with at least the given number of distinct interactions (to a fixed point).

    Args:
        interactions: ``user_id, item_id, ...`` (events or aggregated pairs; distinct pairs are counted).
        min_user_interactions: Minimum distinct items per user.
        min_item_interactions: Minimum distinct users per item.

    Returns:
        The kept rows and the counts at each step (the first step is the input).

    Raises:
        DataError: When nothing is left, with the counts at each step.

    Example:
        >>> df = pd.DataFrame({"user_id": list("aaabbc"), "item_id": list("xyzxyx")})
        >>> kept, steps = prune(df, min_user_interactions=2, min_item_interactions=2)
        >>> sorted(set(kept["user_id"])), sorted(set(kept["item_id"]))
        (['a', 'b'], ['x', 'y'])
        >>> print(steps[-1])
        round 2 items >= 2: 4 interactions, 2 users, 2 items
    """

    def counts(frame: pd.DataFrame, step: str) -> PruneStep:
        return PruneStep(step, len(frame), frame["user_id"].nunique(), frame["item_id"].nunique())

    steps = [counts(interactions, "input")]
    kept = interactions
    for round_ in range(1, _MAX_ROUNDS + 1):
        before = len(kept)
        pairs = kept[["user_id", "item_id"]].drop_duplicates()
        if min_user_interactions > 1:
            per_user = pairs["user_id"].value_counts()
            kept = kept[kept["user_id"].isin(per_user.index[per_user >= min_user_interactions])]
            steps.append(counts(kept, f"round {round_} users >= {min_user_interactions}"))
            pairs = kept[["user_id", "item_id"]].drop_duplicates()
        if min_item_interactions > 1:
            per_item = pairs["item_id"].value_counts()
            kept = kept[kept["item_id"].isin(per_item.index[per_item >= min_item_interactions])]
            steps.append(counts(kept, f"round {round_} items >= {min_item_interactions}"))
        if len(kept) == before or kept.empty:
            break
    if kept.empty:
        trail = "; ".join(str(s) for s in steps)
        msg = (
            f"Nothing is left after pruning ({trail}). Lower --min-user-interactions "
            f"(now {min_user_interactions}) or --min-item-interactions (now {min_item_interactions})."
        )
        raise DataError(msg)
    return kept.reset_index(drop=True), steps
