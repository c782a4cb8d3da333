"""Expert annotation: a sheet of profiles, recent history and top-k lists to judge, and its scoring."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from metrics.compare import lift_table
from recsys.context import Context
from recsys.errors import DataError
from recsys.models.base import Recommender

__all__ = ["ANNOTATION_COLUMNS", "annotation_sheet", "parse_correct", "score_annotations"]

ANNOTATION_COLUMNS = (
    "user_id",
    "profile",
    "recent_history",
    "model",
    "rank",
    "item_id",
    "item",
    "score",
    "source",
    "correct",
)
_YES = {"1", "y", "yes", "true", "t", "x", "correct"}
_NO = {"0", "n", "no", "false", "f", "incorrect", "wrong"}


def _describe_items(ctx: Context, rows: np.ndarray, meta: pd.DataFrame | None = None) -> list[str]:
    """Short item descriptions: the item's first few text and categorical values, e.g. ``title | company``."""
    meta = ctx.item_meta if meta is None else meta
    if meta is None:
        return [str(i) for i in ctx.items.ids[rows]]
    cols = [c for c in (*ctx.item_kinds.text, *ctx.item_kinds.categorical) if c in meta.columns][:4]
    parts = meta.iloc[rows][cols].astype("string")
    return [" | ".join(v for v in row if isinstance(v, str) and v) for row in parts.itertuples(index=False)]


def _profile(ctx: Context, row: int) -> str:
    if ctx.user_meta is None or row < 0:
        return ""
    values = ctx.user_meta.iloc[row].drop(labels="user_id").dropna()
    return "; ".join(f"{k}={v}" for k, v in values.items() if str(v).strip())


def _history(ctx: Context, row: int, n: int) -> str:
    if row < 0 or n <= 0:
        return ""
    start, stop = ctx.user_items.indptr[row], ctx.user_items.indptr[row + 1]
    items = ctx.user_items.indices[start:stop]
    if ctx.times is not None:
        # Most recent first.
        order = np.argsort(-ctx.times.data[start:stop], kind="stable")
        items = items[order]
    items = items[:n]
    return " || ".join(_describe_items(ctx, items))


def annotation_sheet(
    models: Mapping[str, Recommender], *, n_users: int, k: int = 10, history: int = 5, seed: int = 0
) -> pd.DataFrame:
    """Rows to judge: for a sample of users, each model's top-``k`` with the user's profile and history.

    Args:
        models: Label -> fitted model; the users and their data come from the first model.
        n_users: Users to sample (users with a history or a profile).
        k: List length per model.
        history: Most recent interactions shown per user.
        seed: Seed of the user sample.

    Returns:
        ``ANNOTATION_COLUMNS`` with an empty ``correct`` column for the expert.
    """
    if not models:
        msg = "annotation_sheet needs at least one model."
        raise DataError(msg)
    ctx = next(iter(models.values()))._check_fitted()
    has_history = ctx.user_counts > 0
    has_profile = np.zeros(len(ctx.users), dtype=bool)
    if ctx.user_meta is not None:
        has_profile = ctx.user_meta.drop(columns="user_id").notna().any(axis=1).to_numpy()
    pool = np.flatnonzero(has_history | has_profile)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(pool, size=min(n_users, len(pool)), replace=False))
    users = ctx.users.ids[rows]
    sheets = []
    for label, model in models.items():
        recs = model.recommend(users, k=k)
        item_rows = model.context_.items.rows(recs["item_id"])
        recs["item"] = _describe_items(model.context_, item_rows)
        recs["model"] = label
        sheets.append(recs)
    sheet = pd.concat(sheets, ignore_index=True)
    user_row = dict(zip(users, rows, strict=True))
    sheet["profile"] = sheet["user_id"].map({u: _profile(ctx, r) for u, r in user_row.items()})
    sheet["recent_history"] = sheet["user_id"].map(
        {u: _history(ctx, r, history) for u, r in user_row.items()}
    )
    sheet["correct"] = ""
    sheet = sheet.sort_values(["user_id", "model", "rank"], kind="stable").reset_index(drop=True)
    return sheet[list(ANNOTATION_COLUMNS)]


def parse_correct(values: pd.Series, where: str = "annotations") -> pd.Series:
    """Expert labels to 1.0 / 0.0, NaN where blank.

    Raises:
        DataError: On values that are neither yes-like nor no-like, with their rows.

    Example:
        >>> parse_correct(pd.Series(["yes", "0", "", None, "X"])).tolist()
        [1.0, 0.0, nan, nan, 1.0]
    """
    text = values.astype("string").str.strip().str.lower().fillna("")
    out = pd.Series(np.nan, index=values.index)
    out[text.isin(_YES)] = 1.0
    out[text.isin(_NO)] = 0.0
    bad = ~(text.isin(_YES) | text.isin(_NO) | (text == ""))
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())[:3]
        examples = ", ".join(f"row {r + 2}: {values.iloc[r]!r}" for r in rows)
        msg = f"{where}: unreadable 'correct' values ({examples}). Write 1/0, yes/no or leave the cell empty."
        raise DataError(msg)
    return out


def score_annotations(
    sheet: pd.DataFrame, *, baseline: str = "popularity", n_boot: int = 1000
) -> pd.DataFrame:
    """Expert precision per model: the share of judged rows marked correct, with the lift over a baseline.

    Args:
        sheet: A filled annotation sheet (``user_id, model, correct`` at least).
        baseline: Model label to compare with, when present.
        n_boot: Bootstrap resamples of the lift intervals.

    Returns:
        One row per model: ``model, users, labelled, precision`` (mean over labelled rows), ``user_precision``
        (mean of per-user precision) and, when the baseline was annotated, ``lift, lift_low, lift_high``.
    """
    missing = [c for c in ("user_id", "model", "correct") if c not in sheet.columns]
    if missing:
        msg = f"The annotation file lacks columns {missing}; write it with `recommend annotate MODEL_DIR`."
        raise DataError(msg)
    labelled = sheet.assign(correct=parse_correct(sheet["correct"])).dropna(subset=["correct"])
    if labelled.empty:
        msg = "No row has a 'correct' label yet; fill the column with 1/0 (or yes/no) first."
        raise DataError(msg)
    per_user = labelled.groupby(["model", "user_id"])["correct"].mean().reset_index()
    table = labelled.groupby("model").agg(users=("user_id", "nunique"), labelled=("correct", "size"))
    table["precision"] = labelled.groupby("model")["correct"].mean()
    table["user_precision"] = per_user.groupby("model")["correct"].mean()
    table = table.reset_index()
    if baseline in set(table["model"]) and table["model"].nunique() > 1:
        lt = lift_table(per_user, baseline=baseline, metrics=["correct"], n_boot=n_boot)
        lt = lt.rename(columns={"ratio": "lift", "ratio_low": "lift_low", "ratio_high": "lift_high"})
        table = table.merge(lt[["model", "lift", "lift_low", "lift_high"]], on="model", how="left")
    return table
