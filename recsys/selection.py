"""Model selection on the user's own data: fit every candidate on a validation split, keep the best.

The candidates are the registry's models with a few hyperparameter settings each (EASE's penalty, ALS's
size and weighting). Each one learns from the training part of a :class:`recsys.validation.Holdout`,
ranks for the held-out users, and is scored with one named metric (MRR@25 by default). The leaderboard
has each candidate's mean with a bootstrap interval and its lift over popularity; the winner is the
candidate with the best mean, so the choice never scores below the best single candidate there.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from costrec.progress import progress_enabled
from metrics.compare import lift, mean_interval
from metrics.frame import rank_scores
from recsys.dataset import Dataset
from recsys.errors import DataError
from recsys.filters import Filters
from recsys.metadata import FeatureKinds, infer_kinds
from recsys.models import MODELS, Recommender
from recsys.validation import Holdout, holdout

__all__ = ["Candidate", "Metric", "Selection", "candidates", "score", "select"]

BASELINE = "popularity"
_METRICS = {"mrr": "mrr_at_k", "ndcg": "ndcg_at_k", "precision": "precision_at_k", "recall": "recall_at_k"}
_METRICS["hit"] = "hit_rate_at_k"
# Fewer users with interactions than this cannot rank a learned re-ranker's validation users reliably.
_MIN_HYBRID_USERS = 200


@dataclass(frozen=True)
class Metric:
    """A ranking metric at a cut-off, parsed from ``mrr@25``, ``ndcg@10``, ``precision@5`` ...

    Example:
        >>> m = Metric.parse("NDCG@10")
        >>> m.column, m.k, str(m)
        ('ndcg_at_k', 10, 'ndcg@10')
    """

    name: str
    k: int

    @property
    def column(self) -> str:
        """The column of :func:`metrics.frame.rank_scores` holding it."""
        return _METRICS[self.name]

    def __str__(self) -> str:
        return f"{self.name}@{self.k}"

    @classmethod
    def parse(cls, text: str) -> Metric:
        """Parse ``NAME@K``; raises a :class:`DataError` naming the accepted forms."""
        match = re.fullmatch(r"\s*([a-z_]+)\s*@\s*(\d+)\s*", str(text).lower())
        if match is None or match.group(1) not in _METRICS or int(match.group(2)) < 1:
            msg = (
                f"--metric {text!r} is not a ranking metric; write NAME@K with NAME one of "
                f"{', '.join(_METRICS)} and K a positive list length, e.g. mrr@25 or ndcg@10."
            )
            raise DataError(msg)
        return cls(match.group(1), int(match.group(2)))


@dataclass(frozen=True)
class Candidate:
    """A registry model with fixed hyperparameters.

    Attributes:
        label: Leaderboard name (``ease_l2_250``).
        model: Registry name (``ease``).
        params: Keyword arguments of the model's constructor.
    """

    label: str
    model: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def build(self) -> Recommender:
        """A new unfitted model."""
        return MODELS[self.model](**dict(self.params))


def _grid(mode: str = "user") -> dict[str, list[Candidate]]:
    """The candidates of each registry model (a small search where one setting does not fit all data).

    The hybrid's ranker learns on a split of its own training part shaped like the selection's: per-user
    newest items, or the newest interactions overall under ``temporal``.
    """
    inner = "temporal" if mode == "temporal" else "user"
    return {
        "popularity": [Candidate("popularity", "popularity")],
        "segment_popularity": [Candidate("segment_popularity", "segment_popularity")],
        "ease": [Candidate(f"ease_l2_{v}", "ease", {"l2": float(v)}) for v in (50, 250, 1000)],
        "als": [
            Candidate("als", "als"),
            Candidate(
                "als_bm25_128",
                "als",
                {"factors": 128, "regularization": 0.05, "weighting": "log_bm25", "iterations": 15},
            ),
        ],
        "bpr": [Candidate("bpr", "bpr", {"num_threads": 1})],
        "item_knn": [Candidate("item_knn", "item_knn")],
        "content": [Candidate("content", "content")],
        "hybrid": [Candidate("hybrid", "hybrid", {"validation": inner})],
    }


def _kinds(frame: pd.DataFrame | None, key: str) -> FeatureKinds:
    return infer_kinds(frame, key) if frame is not None else FeatureKinds()


def _unfit_reason(name: str, dataset: Dataset) -> str | None:
    """Why a model cannot do its job with these inputs, or ``None``."""
    items = _kinds(dataset.items, "item_id")
    users = _kinds(dataset.users, "user_id")
    if name == "content" and not (items.strings or items.categorical):
        return "needs item metadata with text or categories (--items)"
    if name == "segment_popularity" and not users.categorical:
        return "needs user metadata with a categorical column (--users)"
    if name == "hybrid":
        if dataset.items is None and dataset.users is None:
            return "the learned blend needs item or user metadata (--items/--users) to add to ALS"
        if dataset.interactions["user_id"].nunique() < _MIN_HYBRID_USERS:
            return f"the learned blend needs at least {_MIN_HYBRID_USERS} users with interactions"
    return None


def candidates(
    dataset: Dataset, names: Sequence[str] | None = None, mode: str = "user"
) -> tuple[list[Candidate], dict[str, str]]:
    """The candidates for a dataset, and the models left out with the reason.

    Args:
        dataset: The training data.
        names: Registry names to consider; ``None`` for every model. Popularity is always added: it is
            the reference of every lift.
        mode: The validation split the candidates are compared on (see :func:`_grid`).

    Raises:
        DataError: An unknown name.
    """
    grid = _grid(mode)
    unknown = [n for n in names or () if n not in grid]
    if unknown:
        msg = f"--model {','.join(unknown)} is not a model; choose from {', '.join(sorted(grid))} or auto."
        raise DataError(msg)
    chosen = list(grid) if names is None else [BASELINE, *[n for n in names if n != BASELINE]]
    out: list[Candidate] = []
    skipped: dict[str, str] = {}
    for name in chosen:
        reason = _unfit_reason(name, dataset)
        if reason is not None:
            skipped[name] = reason
            continue
        out.extend(grid[name])
    return out, skipped


def score(model: Recommender, split: Holdout, metric: Metric, exclude: str = "seen") -> pd.DataFrame:
    """Per-user metric of a fitted model on a validation split (every held-out user gets a row)."""
    recs = model.recommend(
        split.users,
        k=metric.k,
        filters=Filters(exclude=exclude, as_of=split.as_of),
        items=split.catalog,
    )
    scores = rank_scores(recs, split.targets[["user_id", "item_id"]].astype(str), k=metric.k)
    return scores[["user_id", metric.column]]


@dataclass
class Selection:
    """The outcome of :func:`select`.

    Attributes:
        metric: The metric compared.
        split: The validation split.
        leaderboard: One row per candidate, best first: ``label, model, params, <metric>, low, high, lift,
            lift_low, lift_high, users, fit_seconds``.
        chosen: The winning candidate.
        skipped: Models left out, with the reason.
        per_user: Per-user scores of every candidate (``label, user_id, <metric>``).
    """

    metric: Metric
    split: Holdout
    leaderboard: pd.DataFrame
    chosen: Candidate
    skipped: dict[str, str]
    per_user: pd.DataFrame

    def to_json(self) -> dict[str, Any]:
        """What the model directory keeps of the selection."""
        return {
            "metric": str(self.metric),
            "validation": self.split.describe(),
            "chosen": self.chosen.label,
            "skipped": self.skipped,
        }

    def format(self) -> str:
        """The leaderboard as text, the chosen model marked."""
        lines = [self.split.describe()]
        col = str(self.metric)
        for row in self.leaderboard.itertuples(index=False):
            mark = "*" if row.label == self.chosen.label else " "
            lift_text = (
                ""
                if row.label == BASELINE
                else f"  x{row.lift:.2f} [{row.lift_low:.2f}, {row.lift_high:.2f}]"
            )
            lines.append(
                f" {mark} {row.label:<20} {col} {row.value:.4f} [{row.low:.4f}, {row.high:.4f}]"
                f"{lift_text}  fit {row.fit_seconds:.1f}s"
            )
        lines += [f"   left out {name}: {why}" for name, why in self.skipped.items()]
        return "\n".join(lines)


def select(
    dataset: Dataset,
    *,
    names: Sequence[str] | None = None,
    validation: str = "auto",
    metric: str | Metric = "mrr@25",
    n_boot: int = 1000,
    seed: int = 0,
    show_progress: bool = False,
    on_candidate: Callable[[str], None] | None = None,
) -> Selection:
    """Fit every candidate on a validation split of ``dataset`` and rank them by ``metric``.

    Args:
        dataset: The training data.
        names: Registry names to choose among (``None``: every model that can work with the inputs).
        validation: The split (see :func:`recsys.validation.holdout`).
        metric: ``NAME@K``.
        n_boot: Bootstrap resamples of the intervals.
        seed: Seed of the split and the bootstrap.
        show_progress: A progress bar over the candidates.
        on_candidate: Called with each candidate's label before it is fit (for logging).

    Returns:
        The selection; refit ``selection.chosen.build()`` on all of ``dataset`` to use it.
    """
    parsed = metric if isinstance(metric, Metric) else Metric.parse(metric)
    split = holdout(dataset, validation, seed=seed)
    pool, skipped = candidates(dataset, names, split.mode)
    if names is not None and not any(c.model in names for c in pool):
        reasons = "; ".join(f"{n} {why}" for n, why in skipped.items())
        msg = f"--model {','.join(names)}: no named model can work with these inputs ({reasons})."
        raise DataError(msg)
    rows, per_user = [], []
    for cand in tqdm(pool, disable=not progress_enabled(show_progress), desc="candidates", unit="model"):
        if on_candidate is not None:
            on_candidate(cand.label)
        started = time.perf_counter()
        try:
            model = cand.build().fit(split.data)
        except DataError as exc:
            skipped[cand.label] = str(exc)
            continue
        seconds = time.perf_counter() - started
        values = score(model, split, parsed)
        per_user.append(values.rename(columns={parsed.column: "value"}).assign(label=cand.label))
        rows.append(
            {"label": cand.label, "model": cand.model, "params": dict(cand.params), "fit_seconds": seconds}
        )
    scores = pd.concat(per_user, ignore_index=True)
    base = scores[scores["label"] == BASELINE].set_index("user_id")["value"]
    for row in rows:
        own = scores[scores["label"] == row["label"]].set_index("user_id")["value"]
        mine = own.reindex(base.index).fillna(0.0).to_numpy()
        row["value"] = float(mine.mean())
        row["low"], row["high"] = mean_interval(mine, n_boot=n_boot, seed=seed)
        result = lift(mine, base.to_numpy(), n_boot=n_boot, seed=seed)
        row["lift"], (row["lift_low"], row["lift_high"]) = result.ratio, result.ratio_ci
        row["users"] = len(mine)
    board = pd.DataFrame(rows)
    # Best mean first; equal means keep the simpler candidate (the grid lists simpler models first).
    board = board.iloc[np.argsort(-board["value"].to_numpy(), kind="stable")].reset_index(drop=True)
    # Named models: popularity is scored as the reference but chosen only when it was named too.
    eligible = board["model"].isin(names) if names is not None else np.ones(len(board), dtype=bool)
    if not eligible.any():
        reasons = "; ".join(f"{n}: {why}" for n, why in skipped.items())
        msg = f"None of the models named by --model can be trained on these inputs ({reasons})."
        raise DataError(msg)
    winner = board[eligible].iloc[0]
    chosen = next(c for c in pool if c.label == winner["label"])
    board["params"] = board["params"].map(lambda p: json.dumps(p, sort_keys=True))
    columns = ["label", "model", "params", "value", "low", "high", "lift", "lift_low", "lift_high"]
    board = board[[*columns, "users", "fit_seconds"]]
    return Selection(parsed, split, board, chosen, skipped, scores[["label", "user_id", "value"]])
