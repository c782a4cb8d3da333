"""The tables a recommender trains on: weighted interactions plus optional user and item metadata."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["Dataset", "RECOMMENDATION_COLUMNS"]

# Every recommender returns a frame with exactly these columns, ``rank`` starting at 1 per user.
RECOMMENDATION_COLUMNS: tuple[str, ...] = ("user_id", "rank", "item_id", "score", "source")


@dataclass(frozen=True)
class Dataset:
    """Training input shared by every recommender.

    Attributes:
        interactions: ``user_id, item_id, weight`` (confidence after event weighting and de-duplication),
            optionally ``timestamp``. Ids are strings.
        users: Optional user metadata: ``user_id`` plus any feature columns (text, categoricals, dates).
        items: Optional item metadata: ``item_id`` plus any feature columns; items listed here but absent
            from ``interactions`` are new items that content-based models can still recommend.
    """

    interactions: pd.DataFrame
    users: pd.DataFrame | None = None
    items: pd.DataFrame | None = None
