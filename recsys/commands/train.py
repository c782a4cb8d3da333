"""``recommend train``: fit a recommender on an interaction log (plus metadata) and save a model directory."""

from __future__ import annotations

import argparse
import time
from typing import Any

from recsys.commands._data import add_data_arguments, data_notes, inputs_from_args
from recsys.models import MODELS
from recsys.store import save_model

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register ``train``."""
    parser = subparsers.add_parser(
        "train",
        help="fit a recommender and save it as a model directory",
        description="Fit a recommender on implicit feedback (plus optional user/item metadata) and save it.",
    )
    add_data_arguments(parser)
    parser.add_argument("-o", "--output", required=True, metavar="MODEL_DIR", help="model directory to write")
    parser.add_argument(
        "--model", default="hybrid", choices=sorted(MODELS), help="model to fit (default: hybrid)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Fit and save; print what was learned from."""
    inputs = inputs_from_args(args)
    for step in inputs.prune_steps[1:]:
        print(f"pruned {step}")
    dataset = inputs.dataset()
    started = time.perf_counter()
    model = MODELS[args.model]().fit(dataset)
    seconds = time.perf_counter() - started
    path = save_model(model, args.output, data=data_notes(args))
    ctx = model.context_
    n_new = int((ctx.item_counts == 0).sum())
    print(
        f"trained {model.name} on {len(dataset.interactions)} user-item pairs "
        f"({int((ctx.user_counts > 0).sum())} users with history, {len(ctx.users)} users in all, "
        f"{len(ctx.items)} items of which {n_new} without interactions) in {seconds:.1f}s"
    )
    print(f"wrote {path}")
    return 0
