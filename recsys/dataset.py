"""The tables a recommender trains on: weighted interactions plus optional user and item metadata."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from recsys.errors import DataError

__all__ = ["Dataset", "RECOMMENDATION_COLUMNS", "INTERACTION_COLUMNS", "REVISIT_THRESHOLD", "exclude_for"]

# Users who return to an item they left in fewer than one event in ten (job boards: 4-7%, ratings: 0%)
# are better served by lists without the items they saw; above it, only conversions are excluded.
REVISIT_THRESHOLD = 0.10

# Every recommender returns a frame with exactly these columns, ``rank`` starting at 1 per user.
RECOMMENDATION_COLUMNS: tuple[str, ...] = ("user_id", "rank", "item_id", "score", "source")
# Aggregated interactions: one row per (user, item); ``timestamp`` and ``event_type`` are optional.
INTERACTION_COLUMNS: tuple[str, ...] = ("user_id", "item_id", "weight", "timestamp", "event_type")


@dataclass(frozen=True)
class Dataset:
    """Training input shared by every recommender.

    Attributes:
        interactions: ``user_id, item_id, weight`` (confidence after event weighting and de-duplication),
            optionally ``timestamp`` (last event of the pair) and ``event_type`` (its strongest event).
            Ids are strings.
        users: Optional user metadata: ``user_id`` plus any feature columns (text, categoricals, dates).
        items: Optional item metadata: ``item_id`` plus any feature columns; items listed here but absent
            from ``interactions`` are new items that content-based models can still recommend.
        event_weights: The weight of each event type, when ``interactions`` has ``event_type``. The
            strongest type(s) (e.g. ``apply``) are conversions: filters exclude converted items.
        seen: Optional ``user_id, item_id`` pairs the users touched beyond ``interactions`` (e.g. ratings
            below a threshold): excluded under ``exclude="seen"``, never learned from.
        revisit_share: How often users return to items they left (``None`` when unknown); it chooses the
            default exclusion filter (see :data:`REVISIT_THRESHOLD`).
    """

    interactions: pd.DataFrame
    users: pd.DataFrame | None = None
    items: pd.DataFrame | None = None
    event_weights: Mapping[str, float] | None = None
    seen: pd.DataFrame | None = None
    revisit_share: float | None = None

    def __post_init__(self) -> None:
        missing = [c for c in ("user_id", "item_id", "weight") if c not in self.interactions.columns]
        if missing:
            msg = (
                f"Dataset interactions lack columns {missing}; got {list(self.interactions.columns)}. "
                "Build them with recsys.interactions.aggregate_events."
            )
            raise DataError(msg)
        for name, frame, key in (("users", self.users, "user_id"), ("items", self.items, "item_id")):
            if frame is not None and key not in frame.columns:
                msg = f"Dataset {name} metadata lacks the id column {key!r}; got {list(frame.columns)}."
                raise DataError(msg)

    @property
    def conversion_events(self) -> tuple[str, ...]:
        """Event types with the largest weight (``("apply",)`` for ``view=1,click=2,apply=5``).

        Empty when interactions carry no event types, in which case every interaction counts as one.
        """
        if not self.event_weights or "event_type" not in self.interactions.columns:
            return ()
        top = max(self.event_weights.values())
        return tuple(sorted(e for e, w in self.event_weights.items() if w == top))

    @property
    def default_exclude(self) -> str:
        """The exclusion filter its revisit share calls for (see :func:`exclude_for`)."""
        return exclude_for(self.revisit_share)


def exclude_for(revisit_share: float | None) -> str:
    """``"seen"`` when users rarely revisit items (or cannot, as with ratings), else ``"converted"``.

    Example:
        >>> exclude_for(0.044), exclude_for(0.3), exclude_for(None)
        ('seen', 'converted', 'seen')
    """
    if revisit_share is None:
        # Without an event order nothing shows that users come back, and a list of what they already saw
        # wastes its slots.
        return "seen"
    return "seen" if revisit_share < REVISIT_THRESHOLD else "converted"
