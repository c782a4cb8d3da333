"""Side-by-side views of fitted models: one user's profile, history and lists; new jobs and their reach."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recsys.annotation import describe_items, display_value
from recsys.context import Context
from recsys.errors import DataError
from recsys.filters import Filters
from recsys.models.base import Recommender

__all__ = ["UserView", "extend_catalog", "item_reach", "recommendations_table", "user_history", "user_view"]


def _item_text(ctx: Context, frame: pd.DataFrame, items: pd.DataFrame | None) -> list[str]:
    """A short description of each ``item_id`` of ``frame``, from the current catalog when given."""
    if items is not None and ctx.item_meta is not None:
        # New catalog items are not in the model's metadata: describe every item from the catalog.
        catalog = items.drop_duplicates("item_id").set_index(items["item_id"].drop_duplicates().astype("str"))
        meta = catalog.reindex(frame["item_id"].astype("str")).reset_index(drop=True)
        return describe_items(ctx, np.arange(len(meta)), meta=meta)
    return describe_items(ctx, ctx.items.rows(frame["item_id"]))


def recommendations_table(
    models: Mapping[str, Recommender],
    user_id: str,
    *,
    k: int = 10,
    columns: Sequence[str] | None = None,
    filters: Filters | None = None,
    users: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each model's top-``k`` for one user, side by side, one row per rank.

    Args:
        models: Label -> fitted model.
        user_id: The user; an unknown one is a cold user, described by ``users``.
        k: List length.
        columns: Item metadata columns to show per model (e.g. ``["title", "city"]``); by default one
            column per model with a short description of the item (``title | company | ...``).
        filters: Exclusions and the reference time (expired postings), as in ``recommend``.
        users: Profile of a user the models have not seen (``user_id`` plus profile columns).
        items: The current catalog (may hold new items); also the source of the ``columns``.

    Returns:
        Index ``rank`` (1 to ``k``; blank where a list is shorter); columns the model labels, or
        ``(model, column)`` pairs when ``columns`` is given.
    """
    if not models:
        raise DataError("recommendations_table needs at least one model")
    parts: dict[str, pd.DataFrame] = {}
    for label, model in models.items():
        recs = model.recommend([user_id], k=k, filters=filters, users=users, items=items)
        ctx = model.context_
        if columns is None:
            shown = pd.DataFrame({label: _item_text(ctx, recs, items)}, index=recs["rank"].to_numpy())
        else:
            meta = items if items is not None else ctx.item_meta
            if meta is None:
                raise DataError("columns= needs item metadata: pass items= (the catalog)")
            unknown = [c for c in columns if c not in meta.columns]
            if unknown:
                raise DataError(f"the catalog lacks columns {unknown}; it has {list(meta.columns)}")
            meta = meta[["item_id", *columns]].astype({"item_id": "str"}).drop_duplicates("item_id")
            joined = recs[["rank", "item_id"]].merge(meta, on="item_id", how="left", validate="many_to_one")
            shown = joined.set_index("rank")[list(columns)]
        parts[label] = shown.reindex(pd.RangeIndex(1, k + 1, name="rank"))
    if columns is None:
        return pd.concat(parts.values(), axis=1)
    return pd.concat(parts, axis=1)


def user_history(model: Recommender, user_id: str, n: int = 5) -> pd.DataFrame:
    """The user's ``n`` latest training interactions: ``last_seen`` (when known), ``item_id, item, weight``.

    An unknown user has an empty history (every column present, no row).
    """
    ctx = model._check_fitted()
    row = int(ctx.users.rows([user_id])[0])
    if row < 0:
        empty = {"last_seen": pd.Series(dtype="datetime64[s]"), "item_id": [], "item": [], "weight": []}
        return pd.DataFrame(empty)
    start, stop = ctx.user_items.indptr[row], ctx.user_items.indptr[row + 1]
    cols, weights = ctx.user_items.indices[start:stop], ctx.user_items.data[start:stop]
    seen = np.full(len(cols), np.nan)
    if ctx.times is not None:
        times = ctx.times[row]
        seen = np.asarray(times[:, cols].todense(), dtype=float).ravel()
    order = np.lexsort((-weights, -np.nan_to_num(seen, nan=-np.inf)))[:n]
    return pd.DataFrame(
        {
            "last_seen": pd.to_datetime(seen[order], unit="s"),
            "item_id": ctx.items.ids[cols[order]].astype("str"),
            "item": describe_items(ctx, cols[order]),
            "weight": weights[order].astype(float),
        }
    )


@dataclass(frozen=True)
class UserView:
    """One user's profile, recent history and each model's list; a notebook shows the three side by side."""

    user_id: str
    profile: pd.Series
    history: pd.DataFrame
    recommendations: pd.DataFrame

    def _repr_html_(self) -> str:
        def block(title: str, body: str) -> str:
            return f'<div style="flex: 0 1 auto; min-width: 14em"><h4>{html.escape(title)}</h4>{body}</div>'

        profile = self.profile.to_frame("value").to_html() if len(self.profile) else "<i>no profile</i>"
        history = self.history.to_html(index=False) if len(self.history) else "<i>no history</i>"
        blocks = [
            block(f"user {self.user_id}", profile),
            block("recent history", history),
            block("recommendations", self.recommendations.to_html(na_rep="")),
        ]
        return f'<div style="display: flex; gap: 2em; align-items: flex-start">{"".join(blocks)}</div>'

    def __str__(self) -> str:
        parts = [
            f"user {self.user_id}",
            self.profile.to_string(),
            "recent history:",
            self.history.to_string(index=False),
            "recommendations:",
            self.recommendations.to_string(na_rep=""),
        ]
        return "\n".join(parts)


def user_view(
    models: Mapping[str, Recommender],
    user_id: str,
    *,
    k: int = 10,
    history: int = 5,
    filters: Filters | None = None,
    users: pd.DataFrame | None = None,
) -> UserView:
    """What it takes to judge one user's lists: the profile, the recent history and each model's top-``k``.

    The profile and history come from the first model's training data (or ``users`` for a new user).
    """
    if not models:
        raise DataError("user_view needs at least one model")
    ctx = next(iter(models.values()))._check_fitted()
    profile = pd.Series(dtype="object", name=user_id)
    source = users if users is not None else ctx.user_meta
    if source is not None:
        match = source[source["user_id"].astype("str") == str(user_id)]
        if len(match):
            profile = match.iloc[0].drop(labels="user_id").dropna().map(display_value)
    return UserView(
        user_id=str(user_id),
        profile=profile,
        history=user_history(next(iter(models.values())), user_id, n=history),
        recommendations=recommendations_table(models, user_id, k=k, filters=filters, users=users),
    )


def extend_catalog(items: pd.DataFrame, new: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The catalog with new items appended, their values converted to the catalog's column types.

    Dates given as text (``"2024-04-29"``) become the catalog's datetime type, so expiry filters and the
    models' date features read them like the others.

    Raises:
        DataError: If a new item has no ``item_id`` or one the catalog already has.

    Example:
        >>> items = pd.DataFrame({"item_id": ["a"], "posted_at": pd.to_datetime(["2024-01-02"])})
        >>> out = extend_catalog(items, {"item_id": "b", "posted_at": "2024-04-29"})
        >>> posted = out["posted_at"]
        >>> out["item_id"].tolist(), posted.dtype == items["posted_at"].dtype, posted.iloc[1].day
        (['a', 'b'], True, 29)
    """
    rows = pd.DataFrame([new] if isinstance(new, Mapping) else list(new))
    if "item_id" not in rows.columns or rows["item_id"].isna().any():
        raise DataError("every new item needs an item_id")
    rows["item_id"] = rows["item_id"].astype("str")
    clash = sorted(set(rows["item_id"]) & set(items["item_id"].astype("str")))
    if clash:
        raise DataError(f"item ids already in the catalog: {clash[:5]}; give new items new ids")
    for column in rows.columns.intersection(items.columns):
        dtype = items[column].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            rows[column] = pd.to_datetime(rows[column]).dt.tz_localize(dtype.tz).astype(dtype)
        elif pd.api.types.is_datetime64_dtype(dtype):
            rows[column] = pd.to_datetime(rows[column]).astype(dtype)
        elif pd.api.types.is_numeric_dtype(dtype):
            rows[column] = pd.to_numeric(rows[column])
    return pd.concat([items, rows], ignore_index=True)


def item_reach(
    recs: pd.DataFrame,
    item_id: str,
    *,
    users: pd.DataFrame | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The users whose lists hold ``item_id``, best placed first, with their profiles.

    Args:
        recs: Recommendations ``user_id, rank, item_id, score``.
        item_id: The item.
        users: User metadata to join (``user_id`` plus profile columns).
        columns: Profile columns to keep; all by default.

    Returns:
        ``user_id, rank, score`` and the profile columns, by rank then score (highest first).

    Example:
        >>> recs = pd.DataFrame({"user_id": ["u1", "u1", "u2", "u3"], "rank": [1, 2, 1, 2],
        ...                      "item_id": ["x", "new", "new", "new"], "score": [0.9, 0.5, 0.7, 0.8]})
        >>> item_reach(recs, "new")["user_id"].tolist()
        ['u2', 'u3', 'u1']
    """
    hits = recs.loc[recs["item_id"].astype("str") == str(item_id), ["user_id", "rank", "score"]]
    hits = hits.sort_values(["rank", "score"], ascending=[True, False], kind="stable", ignore_index=True)
    if users is None:
        return hits
    profile = users if columns is None else users[["user_id", *columns]]
    profile = profile.astype({"user_id": "str"}).drop_duplicates("user_id")
    return hits.astype({"user_id": "str"}).merge(profile, on="user_id", how="left", validate="many_to_one")
