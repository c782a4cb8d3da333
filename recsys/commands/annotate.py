"""``recommend annotate``: a sheet for experts to judge recommendations, and the score of a filled sheet."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from costrec.cli import examples
from recsys.errors import DataError

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register ``annotate``."""
    parser = subparsers.add_parser(
        "annotate",
        help="write recommendations for expert judgement, or score a judged file",
        description="`annotate MODEL_DIR [MODEL_DIR ...] --users N -o FILE` writes each sampled user's "
        "profile, recent history and top-k per model with an empty `correct` column; "
        "`annotate --score FILE` reads the filled file and reports expert precision per model. "
        "The sheet hides the models (so the judge is not swayed by a name): each user's picks are pooled, "
        "shuffled and keyed, and the key goes to FILE.key.csv (read back by --score); --open shows them.",
        **examples(
            "recommend annotate model-a model-b --sample 20 -o sheet.csv",
            "recommend annotate --score sheet.csv",
        ),
    )
    parser.add_argument("model_dirs", nargs="*", metavar="MODEL_DIR", help="model directories to compare")
    # --users elsewhere names a file of users; here it was a count, so --sample is the name and --users
    # stays as the old spelling.
    parser.add_argument(
        "--sample", "--users", dest="users", type=int, metavar="N",
        help="number of users to sample (a positive integer; --users N is the old spelling)",
    )  # fmt: skip
    parser.add_argument("-o", "--output", help="annotation file to write (.csv or .parquet)")
    parser.add_argument("--k", type=int, default=10, help="recommendations per model and user (default: 10)")
    parser.add_argument(
        "--history", type=int, default=5, help="recent interactions shown per user (default: 5)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the user sample")
    parser.add_argument(
        "--baseline",
        default="popularity",
        choices=("popularity", "none"),
        help="also list popularity's picks",
    )
    parser.add_argument(
        "--open",
        dest="blind",
        action="store_false",
        help="show which model recommended what (default: hidden; the key is written as NAME.key.EXT)",
    )
    parser.add_argument("--blind", dest="blind", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--score", metavar="FILE", help="score a filled annotation file instead")
    parser.add_argument(
        "--key", metavar="KEY_FILE", help="key of a blinded sheet (default: the NAME.key.EXT next to it)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write a sheet, or score one."""
    # The models (implicit, LightGBM, scikit-learn) load when the command runs, not with its parser.
    from recsys.annotation import annotation_sheet, key_path, score_annotations, write_annotation
    from recsys.interactions import read_table
    from recsys.models import Popularity, Recommender
    from recsys.store import load_model

    if args.score:
        sheet = read_table(args.score)
        key = None
        if "model" not in sheet.columns:
            # A blinded sheet: the models are in its key file.
            key_file = Path(args.key) if args.key else key_path(args.score)
            if not key_file.exists():
                msg = (
                    f"{args.score} is a blinded sheet but its key {key_file} is missing; pass --key KEY_FILE."
                )
                raise DataError(msg)
            key = read_table(key_file)
        table = score_annotations(sheet, key=key)
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        return 0
    if not args.model_dirs or args.users is None or not args.output:
        msg = "annotate needs MODEL_DIR, --sample N and -o FILE (or --score FILE to read judgements back)."
        raise DataError(msg)
    if args.users < 1:
        # 0 would write a sheet without a user; a negative count fails deep in the sampler.
        msg = f"--sample must be a positive number of users; got {args.users}. Pass e.g. --sample 20."
        raise DataError(msg)
    models: dict[str, Recommender] = {}
    for folder in args.model_dirs:
        model = load_model(folder)
        label = model.name if model.name not in models else Path(folder).name
        models[label] = model
    if args.baseline == "popularity" and "popularity" not in models:
        first = next(iter(models.values()))
        baseline = Popularity()
        baseline.context_ = first.context_
        baseline._fit(first.context_)
        models["popularity"] = baseline
    sheet = annotation_sheet(models, n_users=args.users, k=args.k, history=args.history, seed=args.seed)
    paths = write_annotation(sheet, args.output, blind=args.blind, seed=args.seed)
    kept = f" (models hidden, key in {paths[1]})" if args.blind else ""
    print(
        f"{sheet['user_id'].nunique()} users x {len(models)} models -> {paths[0]}{kept}; "
        "fill the 'correct' column"
    )
    return 0
