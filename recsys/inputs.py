"""One call from files to a training dataset: events, optional user/item metadata, weights and pruning."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from recsys.dataset import Dataset
from recsys.interactions import DEFAULT_WEIGHTS, EventColumns, aggregate_events, read_log
from recsys.metadata import date_column, read_metadata
from recsys.prune import PruneStep, prune

__all__ = ["Inputs", "load_inputs"]


@dataclass(frozen=True)
class Inputs:
    """Canonical inputs of training and evaluation.

    Attributes:
        events: One row per kept event: ``user_id, item_id, weight[, timestamp][, event_type]``.
        users: User metadata (``user_id`` + features), or ``None``.
        items: Item metadata (``item_id`` + features), or ``None``.
        weights: Event weights when the log has event types, else ``None``.
        prune_steps: Counts at each pruning step.
        seen: Every ``user_id, item_id`` pair of the input, dropped rows included (``--exclude seen``).
        revisit_share: How often users return to an item they left (see
            :func:`recsys.interactions.revisit_share`), ``None`` without timestamps.
    """

    events: pd.DataFrame
    users: pd.DataFrame | None = None
    items: pd.DataFrame | None = None
    weights: Mapping[str, float] | None = None
    prune_steps: list[PruneStep] = field(default_factory=list)
    seen: pd.DataFrame | None = None
    revisit_share: float | None = None

    def dataset(
        self, events: pd.DataFrame | None = None, *, posted_before: pd.Timestamp | None = None
    ) -> Dataset:
        """Aggregate ``events`` (default: all) into a training dataset with the metadata.

        Args:
            events: A subset of :attr:`events` (e.g. a split's training part).
            posted_before: Leave out items posted at or after this time (they are not known yet at
                training time; a temporal evaluation hands them over as the current catalog instead).
        """
        items = self.items
        posted = date_column(items, "posted")
        if items is not None and posted is not None and posted_before is not None:
            items = items[~(items[posted] >= posted_before)]
        chosen = self.events if events is None else events
        seen = self.seen
        if seen is not None and events is not None:
            # A split's training part must not learn which held-out pairs exist: keep the seen pairs of the
            # users' kept events plus the pairs that never reached the events (dropped by a threshold).
            dropped = ~pd.MultiIndex.from_frame(seen).isin(
                pd.MultiIndex.from_frame(self.events[["user_id", "item_id"]])
            )
            seen = pd.concat([seen[dropped], chosen[["user_id", "item_id"]]]).drop_duplicates()
        return Dataset(
            aggregate_events(chosen),
            self.users,
            items,
            self.weights,
            seen=seen,
            revisit_share=self.revisit_share,
        )


def load_inputs(
    interactions: str | Path | pd.DataFrame,
    *,
    users: str | Path | None = None,
    items: str | Path | None = None,
    columns: EventColumns | None = None,
    weights: Mapping[str, float] | None = None,
    min_user_interactions: int = 1,
    min_item_interactions: int = 1,
) -> Inputs:
    """Read an interaction log and optional metadata files, weight and prune the events.

    Args:
        interactions: CSV/Parquet path (or a frame) of events.
        users: Optional user metadata file; its id column is ``columns.user``.
        items: Optional item metadata file; its id column is ``columns.item``.
        columns: Column names (see :class:`recsys.interactions.EventColumns`).
        weights: Event weights; defaults to ``view=1,click=2,apply=5`` when the log has event types.
        min_user_interactions: Prune users with fewer distinct items.
        min_item_interactions: Prune items with fewer distinct users.
    """
    cols = columns or EventColumns()
    log = read_log(interactions, columns=cols, weights=weights)
    events, steps = prune(
        log.events, min_user_interactions=min_user_interactions, min_item_interactions=min_item_interactions
    )
    user_meta = read_metadata(users, id_col=cols.user, canonical="user_id") if users is not None else None
    item_meta = read_metadata(items, id_col=cols.item, canonical="item_id") if items is not None else None
    used = dict(weights or DEFAULT_WEIGHTS) if "event_type" in events.columns else None
    return Inputs(events, user_meta, item_meta, used, steps, log.seen, log.revisit_share)
