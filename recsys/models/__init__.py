"""Recommenders, one module each, and the ``MODELS`` registry used by the CLI."""

from __future__ import annotations

from collections.abc import Callable

from recsys.models.als import ALS
from recsys.models.base import Recommender
from recsys.models.bpr import BPR
from recsys.models.content import Content
from recsys.models.ease import EASE
from recsys.models.hybrid import Hybrid
from recsys.models.item_knn import ItemKNN
from recsys.models.popularity import Popularity

__all__ = ["ALS", "BPR", "Content", "EASE", "Hybrid", "MODELS", "ItemKNN", "Popularity", "Recommender"]


def _segment_popularity() -> Popularity:
    return Popularity(segment="auto")


MODELS: dict[str, Callable[..., Recommender]] = {
    "popularity": Popularity,
    "segment_popularity": _segment_popularity,
    "als": ALS,
    "bpr": BPR,
    "item_knn": ItemKNN,
    "ease": EASE,
    "content": Content,
    "hybrid": Hybrid,
}
