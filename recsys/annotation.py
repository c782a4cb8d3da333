"""Expert annotation: a sheet of profiles, recent history and top-k lists to judge, and its scoring.

A sheet can be blinded (:func:`blind_sheet`): the annotator sees each user's profile, history and the
union of the models' picks in a shuffled order, each once, under an opaque ``key``; which model ranked
which pick where lives in a separate key file that :func:`score_annotations` joins back. Judges then
cannot favour a model they expect to be better, and judge an item two models share only once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from costrec.atomic import write_frame
from metrics.compare import lift_table
from recsys.context import Context
from recsys.errors import DataError
from recsys.models.base import Recommender

__all__ = [
    "ANNOTATION_COLUMNS",
    "BLIND_COLUMNS",
    "KEY_COLUMNS",
    "annotation_sheet",
    "blind_sheet",
    "describe_items",
    "display_value",
    "key_path",
    "parse_correct",
    "sample_users",
    "score_annotations",
    "write_annotation",
]

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
# What the annotator sees in a blinded sheet, and the key file that maps each row back to models and ranks.
BLIND_COLUMNS = ("key", "user_id", "profile", "recent_history", "item_id", "item", "correct")
KEY_COLUMNS = ("key", "user_id", "item_id", "model", "rank", "score", "source")
_YES = {"1", "y", "yes", "true", "t", "x", "correct"}
_NO = {"0", "n", "no", "false", "f", "incorrect", "wrong"}


def describe_items(ctx: Context, rows: np.ndarray, meta: pd.DataFrame | None = None) -> list[str]:
    """Short item descriptions: the item's first few text and categorical values, e.g. ``title | company``."""
    meta = ctx.item_meta if meta is None else meta
    if meta is None:
        return [str(i) for i in ctx.items.ids[rows]]
    cols = [c for c in (*ctx.item_kinds.text, *ctx.item_kinds.categorical) if c in meta.columns][:4]
    parts = meta.iloc[rows][cols].astype("string")
    return [" | ".join(v for v in row if isinstance(v, str) and v) for row in parts.itertuples(index=False)]


def display_value(value: object) -> str:
    """A profile or job value as a person writes it: dates at midnight without the time.

    Example:
        >>> [display_value(v) for v in (pd.Timestamp("2024-04-11"), pd.Timestamp("2024-04-11 08:30"), 3)]
        ['2024-04-11', '2024-04-11 08:30:00', '3']
    """
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return f"{value:%Y-%m-%d}"
    return str(value)


def _profile(ctx: Context, row: int) -> str:
    if ctx.user_meta is None or row < 0:
        return ""
    values = ctx.user_meta.iloc[row].drop(labels="user_id").dropna().map(display_value)
    return "; ".join(f"{k}={v}" for k, v in values.items() if v.strip())


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
    return " || ".join(describe_items(ctx, items))


def sample_users(ctx: Context, n: int, *, seed: int = 0) -> list[str]:
    """``n`` users drawn at random among those with a history or a profile, in the model's user order.

    Args:
        ctx: A fitted model's context (``model.context_``).
        n: How many; all eligible users when there are fewer.
        seed: Seed of the draw.
    """
    has_history = ctx.user_counts > 0
    has_profile = np.zeros(len(ctx.users), dtype=bool)
    if ctx.user_meta is not None:
        has_profile = ctx.user_meta.drop(columns="user_id").notna().any(axis=1).to_numpy()
    pool = np.flatnonzero(has_history | has_profile)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(pool, size=min(n, len(pool)), replace=False))
    return [str(u) for u in ctx.users.ids[rows]]


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
    users = np.asarray(sample_users(ctx, n_users, seed=seed), dtype=object)
    rows = ctx.users.rows(users)
    sheets = []
    for label, model in models.items():
        recs = model.recommend(users, k=k)
        item_rows = model.context_.items.rows(recs["item_id"])
        recs["item"] = describe_items(model.context_, item_rows)
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


def blind_sheet(sheet: pd.DataFrame, *, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hide which model recommended what: a shuffled sheet for the annotator and the key to score it.

    Args:
        sheet: An :func:`annotation_sheet` (one row per user, model and rank).
        seed: Seed of the shuffle.

    Returns:
        ``(blinded, key)``: ``blinded`` has :data:`BLIND_COLUMNS`, one row per distinct user and item
        (an item two models recommend is judged once), users in order and their items shuffled, each
        row under an opaque ``key``; ``key`` has :data:`KEY_COLUMNS`, one row per model and rank.

    Example:
        >>> sheet = pd.DataFrame({"user_id": ["u1"] * 4, "profile": "", "recent_history": "",
        ...     "model": ["als", "als", "pop", "pop"], "rank": [1, 2, 1, 2], "item_id": ["a", "b", "b", "c"],
        ...     "item": ["A", "B", "B", "C"], "score": 1.0, "source": "cf", "correct": ""})
        >>> blinded, key = blind_sheet(sheet)
        >>> sorted(blinded["item_id"]), "model" in blinded, len(key)
        (['a', 'b', 'c'], False, 4)
        >>> joined = key.merge(blinded, on=["key", "user_id", "item_id"])
        >>> joined.groupby("item_id")["model"].agg(sorted).to_dict()
        {'a': ['als'], 'b': ['als', 'pop'], 'c': ['pop']}
    """
    missing = [c for c in ANNOTATION_COLUMNS if c not in sheet.columns]
    if missing:
        raise DataError(f"blind_sheet needs an annotation_sheet; the frame lacks {missing}")
    pairs = sheet.drop_duplicates(["user_id", "item_id"]).reset_index(drop=True)
    rng = np.random.default_rng(seed)
    # Users stay together (the annotator reads a profile once); the order inside a user is random.
    order = np.lexsort((rng.permutation(len(pairs)), pairs["user_id"].astype("str").to_numpy()))
    pairs = pairs.iloc[order].reset_index(drop=True)
    width = len(str(len(pairs)))
    pairs["key"] = [f"R{i:0{width}d}" for i in range(1, len(pairs) + 1)]
    pairs["correct"] = ""
    key = sheet.merge(pairs[["user_id", "item_id", "key"]], on=["user_id", "item_id"], validate="many_to_one")
    key = key.sort_values(["user_id", "model", "rank"], kind="stable", ignore_index=True)
    return pairs[list(BLIND_COLUMNS)], key[list(KEY_COLUMNS)]


def key_path(sheet_path: str | os.PathLike[str]) -> Path:
    """Where the key of a blinded sheet goes: ``sheet.csv`` -> ``sheet.key.csv``, next to it.

    Example:
        >>> key_path("out/annotation.csv").as_posix()
        'out/annotation.key.csv'
    """
    path = Path(sheet_path)
    return path.with_name(f"{path.stem}.key{path.suffix}")


def write_annotation(
    sheet: pd.DataFrame, path: str | os.PathLike[str], *, blind: bool = True, seed: int = 0
) -> list[Path]:
    """Write an annotation sheet, blinded with its key beside it (:func:`key_path`) unless ``blind`` is False.

    The key is written first: a sheet on disk always has its key.

    Returns:
        The written files: the sheet, then the key when blinded.
    """
    if not blind:
        return [write_frame(sheet, path)]
    blinded, key = blind_sheet(sheet, seed=seed)
    key_file = write_frame(key, key_path(path))
    return [write_frame(blinded, path), key_file]


def _unblind(sheet: pd.DataFrame, key: pd.DataFrame) -> pd.DataFrame:
    """The judged rows of a blinded sheet spread back onto every model and rank that recommended them."""
    missing = [c for c in ("key", "user_id", "model") if c not in key.columns]
    if missing:
        raise DataError(f"the key file lacks columns {missing}; pass the .key file written with the sheet")
    labels = sheet[["key", "correct"]].astype({"key": "str"})
    key = key.astype({"key": "str"})
    unknown = sorted(set(labels["key"]) - set(key["key"]))
    if unknown:
        raise DataError(
            f"{len(unknown)} sheet rows have keys missing from the key file (e.g. {unknown[0]!r}); "
            "pass the .key file written together with this sheet"
        )
    return key.drop(columns=["correct"], errors="ignore").merge(
        labels, on="key", how="left", validate="many_to_one"
    )


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
    sheet: pd.DataFrame, *, key: pd.DataFrame | None = None, baseline: str = "popularity", n_boot: int = 1000
) -> pd.DataFrame:
    """Expert precision per model: the share of judged rows marked correct, with the lift over a baseline.

    Args:
        sheet: A filled annotation sheet (``user_id, model, correct`` at least), or a filled blinded sheet
            (``key, correct``) with its ``key``.
        key: The key of a blinded sheet (:func:`blind_sheet`); a label then counts for every model that
            recommended the item.
        baseline: Model label to compare with, when present.
        n_boot: Bootstrap resamples of the lift intervals.

    Returns:
        One row per model: ``model, users, labelled, precision`` (mean over labelled rows), ``user_precision``
        (mean of per-user precision) and, when the baseline was annotated, ``lift, lift_low, lift_high``.
    """
    if "correct" not in sheet.columns:
        raise DataError("The annotation file lacks a 'correct' column; write it with `recommend annotate`.")
    if key is not None:
        sheet = _unblind(sheet, key)
    missing = [c for c in ("user_id", "model") if c not in sheet.columns]
    if missing:
        msg = (
            f"The annotation file lacks columns {missing}: a blinded sheet is scored with its key file "
            "(`recommend annotate --score FILE --key KEY_FILE`)."
        )
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
