"""``recommend train``: choose a recommender on a validation split, refit it and save a model directory."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from costrec.cli import examples
from recsys.commands._data import add_data_arguments, data_notes, inputs_from_args
from recsys.errors import DataError

__all__ = ["add_parser", "run"]

# Manifest notes that must agree for an existing model to be "the same kind of data" as the new one.
# At least this share of the new items must be known to the existing model for it to count as an earlier
# version of the same model (a retrain), which the gate compares against.
_SAME_ITEMS = 0.5
_KIND = ("user_col", "item_col", "value_col", "min_value", "weights", "weight_col")


def add_parser(subparsers: Any) -> None:
    """Register ``train``."""
    parser = subparsers.add_parser(
        "train",
        help="choose, fit and save a recommender as a model directory",
        description=(
            "Hold out a validation split of the interactions, fit every candidate model on the rest, keep "
            "the best by --metric, refit it on everything and save it with its leaderboard. When MODEL_DIR "
            "already holds a model of the same kind of data, the new one replaces it only if it is not "
            "worse on the new validation split (--force replaces it anyway)."
        ),
        **examples(
            "recommend train events.csv --users users.csv --items jobs.csv -o model",
            "recommend train ratings.csv --value-col rating --min-value 4"
            " --items movies.csv --metric ndcg@10 -o model",
            "recommend train plays.csv --weight-col plays --model als,ease -o model",
        ),
    )
    add_data_arguments(parser)
    parser.add_argument("-o", "--output", required=True, metavar="MODEL_DIR", help="model directory to write")
    parser.add_argument(
        "--model",
        default="auto",
        metavar="auto|NAME[,NAME...]",
        help="candidates to choose among: auto (default: every model the inputs allow) or registry names, "
        "e.g. als,ease; popularity is always scored as the reference",
    )
    parser.add_argument(
        "--validation",
        default="auto",
        metavar="auto|user|temporal|random",
        help="validation split: each returning user's newest interactions plus single-item users as new "
        "users (user), the newest 10%% of time (temporal), random per user (random), or auto (default: "
        "user with timestamps, else random)",
    )
    parser.add_argument(
        "--metric",
        default="mrr@25",
        metavar="NAME@K",
        help="metric to choose by (default: mrr@25; also ndcg@10, precision@K, recall@K, hit@K)",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an existing model even if the new one scores worse"
    )
    parser.set_defaults(func=run)


def _names(text: str) -> list[str] | None:
    if text.strip().lower() == "auto":
        return None
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if not names:
        msg = f"--model {text!r} names no model; write auto or registry names such as als,ease."
        raise DataError(msg)
    return names


def _known_share(model_dir: Path, items: Any) -> float:
    """Share of the new data's distinct items that the existing model was trained with (0 if unreadable)."""
    import pandas as pd

    from recsys.index import IdIndex

    try:
        old = IdIndex.load(model_dir / "context" / "items.parquet")
    except (OSError, ValueError):
        return 0.0
    ids = pd.unique(items.astype(str))
    return float((old.rows(ids) >= 0).mean()) if len(ids) else 0.0


def _kind(notes: dict[str, Any]) -> dict[str, Any]:
    return {key: notes.get(key) for key in _KIND}


def run(args: argparse.Namespace) -> int:
    """Select, refit, gate against an existing model and save; print the leaderboard and the decision."""
    from recsys.models import MODELS
    from recsys.selection import Metric, score, select
    from recsys.store import read_manifest, save_model, write_gate

    names = _names(args.model)
    metric = Metric.parse(args.metric)
    inputs = inputs_from_args(args)
    for step in inputs.prune_steps[1:]:
        print(f"pruned {step}")
    dataset = inputs.dataset()
    notes = data_notes(args)
    started = time.perf_counter()
    selection = select(
        dataset,
        names=names,
        validation=args.validation,
        metric=metric,
        show_progress=args.progress is not False,
    )
    print(selection.format())
    chosen = selection.chosen
    model = chosen.build().fit(dataset)
    seconds = time.perf_counter() - started
    ctx = model.context_
    n_new = int((ctx.item_counts == 0).sum())
    print(
        f"chose {chosen.label} by {metric}; refit on {len(dataset.interactions)} user-item pairs "
        f"({int((ctx.user_counts > 0).sum())} users with history, {len(ctx.users)} users in all, "
        f"{len(ctx.items)} items of which {n_new} without interactions) in {seconds:.1f}s in all"
    )
    share = "unknown" if dataset.revisit_share is None else f"{dataset.revisit_share:.1%}"
    print(
        f"default filter of `recommend batch --exclude auto`: '{ctx.default_exclude}' (users went back to an "
        f"item they had left in {share} of events)"
    )
    board = selection.leaderboard
    new_value = float(board.loc[board["label"] == chosen.label, "value"].iloc[0])
    gate: dict[str, Any] | None = None
    target = Path(args.output)
    if (target / "manifest.json").is_file():
        old = read_manifest(target)
        old_notes = old.get("data", {})
        known = _known_share(target, dataset.interactions["item_id"])
        if _kind(old_notes) != _kind(notes):
            print(
                f"{target} holds a model of other data ({_kind(old_notes)}); replacing it without comparison"
            )
        elif known < _SAME_ITEMS:
            # A retrain sees mostly the same catalog; a model of another catalog is not an earlier version.
            print(f"{target} holds a model of other items ({known:.0%} of these known); replacing it")
        else:
            # The old configuration refit on the new split's training part: the same data for both, so the
            # comparison measures the models, not what either had already seen.
            if old.get("model") not in MODELS:
                msg = f"{target} holds an unknown model {old.get('model')!r}; use --force to replace it."
                raise DataError(msg)
            old_model = MODELS[old["model"]](**old["params"]).fit(selection.split.data)
            old_value = float(score(old_model, selection.split, metric).iloc[:, 1].mean())
            replace = new_value >= old_value or args.force
            gate = {
                "metric": str(metric),
                "validation": selection.split.describe(),
                "new": {"model": chosen.label, "value": new_value},
                "old": {"model": old.get("selection", {}).get("chosen", old["model"]), "value": old_value},
                "replaced": replace,
                "forced": bool(args.force and new_value < old_value),
            }
            verdict = "replaced" if replace else "kept"
            print(
                f"gate: new {chosen.label} {metric} {new_value:.4f} vs existing {gate['old']['model']} "
                f"{old_value:.4f} on the new validation split -> {verdict} the existing model"
                + (" (--force)" if gate["forced"] else "")
            )
            if not replace:
                write_gate(target, gate)
                print(f"kept {target}; its gate.json records the decision (--force replaces it)")
                return 0
    extras = {
        # Fit times are printed, not kept: the same data must give a byte-identical model directory.
        "leaderboard.csv": selection.leaderboard.drop(columns="fit_seconds").to_csv(index=False),
        "selection.json": json.dumps(selection.to_json(), indent=1, sort_keys=True),
    }
    if gate is not None:
        extras["gate.json"] = json.dumps(gate, indent=1, sort_keys=True)
    path = save_model(model, target, data=notes, extras=extras, selection=selection.to_json())
    print(f"wrote {path}")
    return 0
