"""``recommend evaluate``: models against popularity on a split (warm users, cold users, new items)."""

from __future__ import annotations

import argparse
from typing import Any

from costrec.atomic import check_output_path, write_frame
from costrec.cli import examples
from recsys.commands._data import add_data_arguments, inputs_from_args
from recsys.errors import DataError
from recsys.options import SPLIT_NAMES

__all__ = ["add_parser", "run"]


def _ints(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        msg = f"--ks takes comma-separated integers such as 5,10,25; got {text!r}."
        raise DataError(msg) from exc
    return values


def add_parser(subparsers: Any) -> None:
    """Register ``evaluate``."""
    parser = subparsers.add_parser(
        "evaluate",
        help="score models against popularity on a held-out split",
        description="Split the log, fit each model on the training part and report precision@k, recall@k, "
        "MRR, NDCG@k and catalog coverage with the lift over popularity (bootstrap CI), for all users, "
        "warm users, cold users and new-item targets.",
        **examples(
            "recommend evaluate events.csv --users users.csv --items jobs.csv"
            " --protocol temporal --ks 5,10,25",
            "recommend evaluate ratings.csv --value-col rating --min-value 4"
            " --protocol personalize --models als,ease",
        ),
    )
    add_data_arguments(parser)
    parser.add_argument(
        "--protocol", default="temporal", choices=sorted(SPLIT_NAMES), help="split (default: temporal)"
    )
    parser.add_argument(
        "--models",
        default="popularity,als,content,hybrid",
        help="comma-separated models (popularity is added)",
    )
    # --k is one list length everywhere else, so the list is --ks here; --k stays as the old spelling.
    parser.add_argument(
        "--ks", "--k", dest="k", default="5,10,25", metavar="K[,K...]",
        help="list lengths to score (default: 5,10,25; --k is the old spelling)",
    )  # fmt: skip
    parser.add_argument("-o", "--output", default="evaluation.csv", help="table to write (.csv or .parquet)")
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples of the lift CI")
    parser.add_argument("--seed", type=int, default=0, help="seed of the user draw and the bootstrap")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate, print the table, write it."""
    check_output_path(args.output)  # before every model is fit
    # The models (implicit, LightGBM, scikit-learn) load when the command runs, not with its parser.
    from recsys.evaluation import evaluate, format_table

    inputs = inputs_from_args(args)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    result = evaluate(
        inputs,
        protocol=args.protocol,
        models=models,
        ks=_ints(args.k),
        n_boot=args.n_boot,
        seed=args.seed,
        show_progress=args.progress is not False,
    )
    split = result.split
    print(
        f"{args.protocol} split: {len(split.train)} training events, {len(split.targets)} target pairs "
        f"for {len(split.test_users)} users"
        + (f", cutoff {split.cutoff}" if split.cutoff is not None else "")
    )
    print(format_table(result.table))
    path = write_frame(result.table, args.output)
    print(f"wrote {path}")
    return 0
