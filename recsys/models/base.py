"""The recommender contract: ``fit(Dataset) -> self`` and ``recommend(user_ids, k) -> frame`` with filters."""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp
from tqdm.auto import tqdm

from costrec.progress import progress_enabled
from recsys.context import Context
from recsys.dataset import RECOMMENDATION_COLUMNS, Dataset
from recsys.errors import DataError
from recsys.filters import Catalog, Filters, build_catalog, excluded_mask, exclusions

__all__ = ["Ranker", "Recommender", "TopK", "UserBatch", "empty_top_k"]

FALLBACK_SOURCE = "popularity"


@dataclass
class UserBatch:
    """A chunk of users to rank for.

    Attributes:
        ids: User ids (strings).
        rows: Rows in the fitted user map, ``-1`` for users unknown at fit time (cold users).
        exclude: ``(users, catalog items)`` CSR of items each user may not get.
        meta: User metadata rows aligned to ``ids`` (all-missing rows for users without a profile), or
            ``None`` when there is no user metadata at all.
        warm: Users with at least one training interaction.
    """

    ids: np.ndarray
    rows: np.ndarray
    exclude: sp.csr_matrix
    meta: pd.DataFrame | None
    warm: np.ndarray


@dataclass
class TopK:
    """Ranked catalog rows per user: ``ids`` and ``scores`` of shape (users, k), ``-1`` ids pad short lists.

    ``sources`` holds, per entry, an index into ``names``: the candidate generator that proposed the item.
    """

    ids: np.ndarray
    scores: np.ndarray
    sources: np.ndarray
    names: tuple[str, ...]


def empty_top_k(n: int, k: int, names: tuple[str, ...]) -> TopK:
    """A TopK with no items for ``n`` users."""
    return TopK(np.full((n, k), -1, np.int64), np.full((n, k), -np.inf), np.zeros((n, k), np.int64), names)


Ranker = Callable[[UserBatch, int], TopK]


class Recommender(ABC):
    """Base class of every recommender in ``recsys.models.MODELS``.

    Subclasses store hyperparameters in ``__init__`` (nothing else), learn in :meth:`_fit`, and rank in the
    callable returned by :meth:`_ranker`. This class applies the filters, fills lists a model cannot
    complete (cold users, items it cannot score) from popularity, and builds the output frame.
    """

    name: ClassVar[str] = "base"
    batch_size: ClassVar[int] = 1024

    context_: Context

    def get_params(self) -> dict[str, Any]:
        """Hyperparameters as given to ``__init__`` (JSON-serializable; saved in the model manifest)."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {p: getattr(self, p) for p in names}

    def fit(self, dataset: Dataset) -> Self:
        """Learn from a dataset and return ``self``."""
        self.context_ = Context.from_dataset(dataset)
        self._fit(self.context_)
        return self

    @abstractmethod
    def _fit(self, ctx: Context) -> None:
        """Learn the model state from the fitted context."""

    @abstractmethod
    def _ranker(self, catalog: Catalog) -> Ranker:
        """Return a function ranking catalog rows for a batch of users."""

    def _save(self, folder: Path) -> None:  # noqa: B027 - models without own state keep the default
        """Write the model's own state (plain arrays, Parquet, text) into ``folder``."""

    def _load(self, folder: Path) -> None:  # noqa: B027
        """Read the state written by :meth:`_save`; ``context_`` is already set."""

    def _check_fitted(self) -> Context:
        ctx = getattr(self, "context_", None)
        if ctx is None:
            msg = f"This {type(self).__name__} is not fitted yet: call fit(dataset) before recommend()."
            raise DataError(msg)
        return ctx

    def recommend(
        self,
        user_ids: Iterable[str],
        k: int = 25,
        *,
        filters: Filters | None = None,
        users: pd.DataFrame | None = None,
        items: pd.DataFrame | None = None,
        show_progress: bool = False,
    ) -> pd.DataFrame:
        """Top-``k`` recommendations: ``user_id, rank, item_id, score, source``.

        Args:
            user_ids: Users to recommend for; unknown users are cold users served from metadata or popularity.
                Duplicates are dropped.
            k: List length; shorter when fewer items are eligible.
            filters: Exclusions, expiry date and whitelist; defaults to ``Filters()``.
            users: Extra or updated user metadata (``user_id`` plus profile columns) for cold users.
            items: The current catalog (``item_id`` plus metadata): only its items are eligible, and its new
                items can be recommended by models that use metadata.
            show_progress: Show a progress bar over users.

        Returns:
            One row per recommendation, ``rank`` from 1, ordered by user (input order) and rank.
        """
        ctx = self._check_fitted()
        if k < 1:
            msg = f"k must be at least 1; got {k}."
            raise DataError(msg)
        filters = filters or Filters()
        ids = np.asarray(pd.unique(pd.Series(list(user_ids), dtype="str")), dtype=object)
        catalog = build_catalog(ctx, filters, items)
        ranker = self._ranker(catalog)
        # Arrow-backed strings built once; each chunk only takes positions from them.
        item_ids = pd.array(catalog.items.ids, dtype="str")
        meta = _user_meta(ctx, users, ids)
        rows = ctx.users.rows(ids)
        counts = ctx.user_counts
        warm = np.zeros(len(rows), dtype=bool)
        warm[rows >= 0] = counts[rows[rows >= 0]] > 0
        parts: list[pd.DataFrame] = []
        with tqdm(
            total=len(ids),
            disable=not progress_enabled(show_progress),
            unit="user",
            desc=f"recommend {self.name}",
        ) as bar:
            for start in range(0, len(ids), self.batch_size):
                stop = min(start + self.batch_size, len(ids))
                batch = UserBatch(
                    ids=ids[start:stop],
                    rows=rows[start:stop],
                    exclude=exclusions(ctx, rows[start:stop], len(catalog.items), filters.exclude),
                    meta=None if meta is None else meta.iloc[start:stop].reset_index(drop=True),
                    warm=warm[start:stop],
                )
                top = _fill(_sanitize(ranker(batch, k), batch, catalog), batch, catalog, k)
                parts.append(_frame(top, batch.ids, item_ids))
                bar.update(stop - start)
        if not parts:
            return pd.DataFrame(
                {c: pd.Series(dtype=t) for c, t in zip(RECOMMENDATION_COLUMNS, _DTYPES, strict=True)}
            )
        return pd.concat(parts, ignore_index=True)


_DTYPES = ("str", "int64", "str", "float64", "str")


def _user_meta(ctx: Context, users: pd.DataFrame | None, ids: np.ndarray) -> pd.DataFrame | None:
    """Profile rows for ``ids``: the fitted metadata, updated by ``users`` where given."""
    base = ctx.user_meta
    if base is None and users is None:
        return None
    if base is None:
        base = users.iloc[:0] if users is not None else None
    assert base is not None
    lookup = base.set_index("user_id")
    if users is not None:
        extra = users.drop_duplicates("user_id", keep="last").set_index("user_id")
        extra = extra[[c for c in lookup.columns if c in extra.columns]]
        lookup = pd.concat([lookup[~lookup.index.isin(extra.index)], extra])
    return lookup.reindex(pd.Index(ids, name="user_id").astype("str")).reset_index()


def _sanitize(top: TopK, batch: UserBatch, catalog: Catalog) -> TopK:
    """Drop ineligible, excluded and repeated items from each list and move the kept ones to the front.

    Rankers already respect the filters; this makes the guarantee independent of every model's code.
    """
    ids = top.ids
    n_items = len(catalog.items)
    present = (ids >= 0) & (ids < n_items)
    safe = np.where(present, ids, 0)
    valid = present & catalog.eligible[safe]
    valid &= ~excluded_mask(batch.exclude, np.where(valid, ids, -1))
    # Repeats: sort each row (short rows, cheap) and look at neighbours; only rows with one are fixed.
    marked = np.where(valid, ids, -1 - np.arange(ids.shape[1]))
    ordered = np.sort(marked, axis=1)
    for row in np.flatnonzero((np.diff(ordered, axis=1) == 0).any(axis=1)):
        _, first = np.unique(marked[row], return_index=True)
        keep = np.zeros(ids.shape[1], dtype=bool)
        keep[first] = True
        valid[row] &= keep
    if (valid == present).all() and (present[:, :-1] >= present[:, 1:]).all():
        return top
    order = np.argsort(~valid, axis=1, kind="stable")
    return TopK(
        np.where(np.take_along_axis(valid, order, axis=1), np.take_along_axis(ids, order, axis=1), -1),
        np.take_along_axis(top.scores, order, axis=1),
        np.take_along_axis(top.sources, order, axis=1),
        top.names,
    )


def _fill(top: TopK, batch: UserBatch, catalog: Catalog, k: int) -> TopK:
    """Pad lists shorter than ``k`` with the most popular eligible items the user may get."""
    k_eff = min(k, len(catalog.fallback))
    ids, scores, sources = top.ids[:, :k], top.scores[:, :k], top.sources[:, :k]
    if ids.shape[1] < k:
        pad = k - ids.shape[1]
        ids = np.hstack([ids, np.full((len(ids), pad), -1)])
        scores = np.hstack([scores, np.full((len(ids), pad), -np.inf)])
        sources = np.hstack([sources, np.zeros((len(ids), pad), np.int64)])
    names = top.names if FALLBACK_SOURCE in top.names else (*top.names, FALLBACK_SOURCE)
    code = names.index(FALLBACK_SOURCE)
    valid = (ids >= 0).sum(axis=1)
    n_excluded = np.diff(batch.exclude.indptr)
    # Fast path: empty lists with nothing excluded all get the same fallback list (cold users).
    blank = (valid == 0) & (n_excluded == 0)
    if blank.any() and k_eff:
        ids[blank, :k_eff] = catalog.fallback[:k_eff]
        scores[blank, :k_eff] = _fallback_scores(catalog, catalog.fallback[:k_eff])
        sources[blank, :k_eff] = code
    for r in np.flatnonzero((valid < k_eff) & ~blank):
        have = ids[r, : valid[r]]
        banned = np.concatenate(
            [have, batch.exclude.indices[batch.exclude.indptr[r] : batch.exclude.indptr[r + 1]]]
        )
        extra = catalog.fallback[~np.isin(catalog.fallback, banned)][: k - valid[r]]
        ids[r, valid[r] : valid[r] + len(extra)] = extra
        floor = scores[r, valid[r] - 1] if valid[r] else 0.0
        # Fallback items rank below the model's own; their scores keep that order.
        scores[r, valid[r] : valid[r] + len(extra)] = (
            min(floor, 0.0) - 1.0 - np.arange(len(extra)) / max(1, len(extra))
        )
        sources[r, valid[r] : valid[r] + len(extra)] = code
    return TopK(ids, scores, sources, names)


def _fallback_scores(catalog: Catalog, rows: np.ndarray) -> np.ndarray:
    return catalog.popularity[rows].astype(float)


def _frame(top: TopK, user_ids: np.ndarray, item_ids: Any) -> pd.DataFrame:
    mask = top.ids >= 0
    # Valid entries come first in each row, so the column position is the rank.
    ranks = np.broadcast_to(np.arange(1, top.ids.shape[1] + 1), top.ids.shape)[mask]
    users = pd.array(user_ids, dtype="str").take(np.repeat(np.arange(len(user_ids)), mask.sum(axis=1)))
    return pd.DataFrame(
        {
            "user_id": users,
            "rank": ranks.astype(np.int64),
            "item_id": item_ids.take(top.ids[mask]),
            "score": top.scores[mask].astype(np.float64),
            "source": pd.array(list(top.names), dtype="str").take(top.sources[mask]),
        }
    )
