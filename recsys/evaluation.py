"""Offline evaluation: split, fit each model, score top-k lists per user, compare with popularity.

Results are reported separately for warm users (with training history), cold users (without) and
targets that are new items (no training interaction), because on job boards the cold and new cases
are the common ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

import numpy as np
import pandas as pd

from metrics.compare import lift_table
from metrics.frame import catalog_coverage_score, rank_scores
from recsys.errors import DataError
from recsys.filters import Filters
from recsys.inputs import Inputs
from recsys.models import MODELS, Recommender
from recsys.split import SPLITS, Split, personalize_split

__all__ = ["BASELINE", "METRICS", "SEGMENTS", "Evaluation", "evaluate", "format_table", "segment_targets"]

BASELINE = "popularity"
METRICS = ("precision_at_k", "recall_at_k", "mrr_at_k", "ndcg_at_k")
SEGMENTS = ("all", "warm_users", "cold_users", "new_items")


@dataclass(frozen=True)
class Evaluation:
    """Evaluation output.

    Attributes:
        table: One row per segment, k and model: ``n_users``, the mean metrics, ``coverage``, and per metric
            the lift over popularity (``<metric>_lift``, ``_lift_low``, ``_lift_high``), ``coverage_lift``.
        per_user: Per-user scores: ``segment, k, model, user_id`` and the metrics.
        split: The split used.
    """

    table: pd.DataFrame
    per_user: pd.DataFrame
    split: Split


def segment_targets(split: Split) -> dict[str, pd.DataFrame]:
    """Targets of each segment: all, warm users, cold users, and only the new-item targets."""
    targets = split.targets
    known_users = set(split.train["user_id"])
    known_items = set(split.train["item_id"])
    warm = targets["user_id"].isin(known_users)
    new = ~targets["item_id"].isin(known_items)
    return {
        "all": targets,
        "warm_users": targets[warm],
        "cold_users": targets[~warm],
        "new_items": targets[new],
    }


def _models(
    models: Sequence[str] | Mapping[str, Callable[[], Recommender]], protocol: str
) -> dict[str, Callable[[], Recommender]]:
    """Label -> factory, popularity first (it is the baseline of every lift).

    The hybrid's ranker learns on a validation split shaped like the evaluation's: per-user newest
    interactions for the per-user protocols, the newest interactions overall for the temporal one.
    """
    if isinstance(models, Mapping):
        factories = dict(models)
    else:
        unknown = [n for n in models if n not in MODELS]
        if unknown:
            msg = f"Unknown model(s) {unknown}; choose from {sorted(MODELS)}."
            raise DataError(msg)
        factories = {n: MODELS[n] for n in models}
        if "hybrid" in factories and protocol != "temporal":
            factories["hybrid"] = partial(MODELS["hybrid"], validation="user")
    return {BASELINE: factories.pop(BASELINE, MODELS[BASELINE]), **factories}


def evaluate(
    inputs: Inputs,
    *,
    protocol: str = "temporal",
    models: Sequence[str] | Mapping[str, Callable[[], Recommender]] = (
        "popularity",
        "als",
        "content",
        "hybrid",
    ),
    ks: Sequence[int] = (5, 10, 25),
    n_boot: int = 1000,
    seed: int = 0,
    show_progress: bool = False,
) -> Evaluation:
    """Split the events, fit every model on the training part and score its lists against the targets.

    Args:
        inputs: Loaded inputs (:func:`recsys.inputs.load_inputs`).
        protocol: ``personalize``, ``leave-last`` or ``temporal``.
        models: Registry names, or labels mapped to factories of unfitted models (e.g. a tuned ALS);
            popularity is always added as the baseline.
        ks: List lengths to score.
        n_boot: Bootstrap resamples of the lift intervals.
        seed: Seed of the Personalize user draw and of the bootstrap.
        show_progress: Progress bars while recommending.

    Returns:
        The summary table, per-user scores and the split.
    """
    if protocol not in SPLITS:
        msg = f"Unknown protocol {protocol!r}; choose from {sorted(SPLITS)}."
        raise DataError(msg)
    if not ks or min(ks) < 1:
        msg = f"k values must be positive integers; got {list(ks)}."
        raise DataError(msg)
    factories = _models(models, protocol)
    split = (
        personalize_split(inputs.events, seed=seed)
        if protocol == "personalize"
        else SPLITS[protocol](inputs.events)
    )
    train = inputs.dataset(split.train, posted_before=split.cutoff)
    filters = Filters(as_of=split.cutoff)
    users = split.test_users
    k_max = max(ks)
    catalog = np.union1d(
        train.interactions["item_id"].unique(), inputs.items["item_id"] if inputs.items is not None else []
    )
    segments = segment_targets(split)
    rows: list[pd.DataFrame] = []
    coverage: dict[tuple[str, int, str], float] = {}
    for name, factory in factories.items():
        model = factory().fit(train)
        recs = model.recommend(
            users, k=k_max, filters=filters, items=inputs.items, show_progress=show_progress
        )
        for segment, targets in segments.items():
            if targets.empty:
                continue
            seg_recs = recs[recs["user_id"].isin(targets["user_id"].unique())]
            for k in ks:
                scores = rank_scores(seg_recs, targets, k=k)
                rows.append(scores.assign(segment=segment, k=k, model=name))
                top = seg_recs.loc[seg_recs["rank"] <= k, "item_id"]
                coverage[(segment, k, name)] = catalog_coverage_score(top, catalog)
    per_user = pd.concat(rows, ignore_index=True)
    return Evaluation(_summarize(per_user, coverage, n_boot, seed), per_user, split)


def _summarize(per_user: pd.DataFrame, coverage: dict, n_boot: int, seed: int) -> pd.DataFrame:
    keys = ["segment", "k", "model"]
    means = per_user.groupby(keys, sort=False)[list(METRICS)].mean()
    means["n_users"] = per_user.groupby(keys, sort=False)["user_id"].size()
    means["coverage"] = [coverage[key] for key in means.index]
    table = means.reset_index()
    lifts = []
    for key, group in per_user.groupby(["segment", "k"], sort=False):
        if group["model"].nunique() < 2:
            continue
        segment, k = cast(tuple[str, int], key)
        lt = lift_table(group, baseline=BASELINE, metrics=list(METRICS), n_boot=n_boot, seed=seed)
        lifts.append(lt.assign(segment=segment, k=k))
    if lifts:
        lt = pd.concat(lifts, ignore_index=True)
        wide = lt.pivot_table(
            index=["segment", "k", "model"], columns="metric", values=["ratio", "ratio_low", "ratio_high"]
        )
        wide.columns = [_lift_column(column) for column in wide.columns]
        table = table.merge(wide.reset_index(), on=keys, how="left")
    base = table[table["model"] == BASELINE].set_index(["segment", "k"])["coverage"]
    ratio = (
        table["coverage"].to_numpy()
        / base.reindex(pd.MultiIndex.from_frame(table[["segment", "k"]])).to_numpy()
    )
    table["coverage_lift"] = np.where(table["model"] == BASELINE, np.nan, ratio)
    order = {s: i for i, s in enumerate(SEGMENTS)}
    table = table.sort_values(
        ["segment", "k"], key=lambda c: c.map(order) if c.name == "segment" else c, kind="stable"
    )
    return table.reset_index(drop=True)


def _lift_column(column: Any) -> str:
    """``("ratio_low", "ndcg_at_k")`` -> ``"ndcg_at_k_lift_low"``."""
    stat, metric = column
    return f"{metric}_{str(stat).replace('ratio', 'lift')}"


def format_table(table: pd.DataFrame) -> str:
    """A compact text rendering: one block per segment, lifts as ``x2.3 [1.9, 2.8]``."""
    lines = []
    for segment, group in table.groupby("segment", sort=False):
        lines.append(f"== {segment} ==")
        shown = pd.DataFrame({"k": group["k"], "model": group["model"], "users": group["n_users"]})
        for metric in METRICS:
            short = metric.replace("_at_k", "@k")
            shown[short] = group[metric].map(lambda v: f"{v:.4f}")
            if f"{metric}_lift" in group:
                shown[f"{short} lift"] = [
                    "" if model == BASELINE else _lift(r, lo, hi)
                    for model, r, lo, hi in zip(
                        group["model"],
                        group[f"{metric}_lift"],
                        group[f"{metric}_lift_low"],
                        group[f"{metric}_lift_high"],
                        strict=True,
                    )
                ]
        shown["coverage"] = group["coverage"].map(lambda v: f"{v:.3f}")
        shown["coverage lift"] = group["coverage_lift"].map(lambda v: "" if np.isnan(v) else f"x{v:.1f}")
        lines.append(shown.to_string(index=False))
    return "\n".join(lines)


def _lift(ratio: float, low: float, high: float) -> str:
    if np.isnan(ratio) and np.isnan(low):
        # Popularity never recommends a new item, so there is no ratio to show.
        return "(baseline 0)"

    def fmt(v: float) -> str:
        return "?" if np.isnan(v) else "inf" if np.isinf(v) else f"{v:.1f}"

    return f"x{fmt(ratio)} [{fmt(low)}, {fmt(high)}]"
