"""``recommend batch``: top-k recommendations for many users from a saved model directory."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from costrec.atomic import check_output_path, write_frame
from costrec.cli import examples
from costrec.engine import add_engine_arguments, engine_client
from recsys.errors import DataError
from recsys.options import EXCLUDE

# The model store, the filters, Dask and pandas are imported when the command runs, not when its parser
# is built.
if TYPE_CHECKING:
    import pandas as pd

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register ``batch``."""
    parser = subparsers.add_parser(
        "batch",
        help="write top-k recommendations for many users",
        description="Write user_id, rank, item_id, score, source for many users (Parquet, or CSV by suffix).",
        **examples(
            "recommend batch model -o recs.csv --k 25",
            "recommend batch model -o recs.parquet --users new_users.csv"
            " --items current_jobs.csv --as-of 2024-05-01",
            "recommend batch model -o recs.parquet --exclude seen --engine dask",
        ),
    )
    parser.add_argument("model_dir", metavar="MODEL_DIR", help="directory written by `recommend train`")
    parser.add_argument(
        "-o", "--output", required=True, metavar="RECS", help="output file (.csv or .parquet)"
    )
    parser.add_argument(
        "--users",
        default="all",
        metavar="FILE|all",
        help="users to serve: a file with the user id column (other columns are profiles of new users), "
        "or 'all' users the model knows (default)",
    )
    parser.add_argument(
        "--items",
        metavar="CURRENT_CATALOG",
        help="current catalog (item id column plus metadata): only these items are recommended, "
        "including new ones",
    )
    parser.add_argument("--k", type=int, default=25, metavar="K", help="list length (default: 25)")
    parser.add_argument("--as-of", metavar="DATE", help="drop postings that expired before this date")
    parser.add_argument(
        "--exclude",
        default="auto",
        choices=EXCLUDE,
        help="items left out of each user's list: 'seen' (every item the user interacted with, rows "
        "dropped by --min-value included), 'converted' (items applied to), 'none', or 'auto' (default: "
        "the choice made from the training data, 'seen' when users rarely go back to an item)",
    )
    parser.add_argument("--user-col", help="user id column of --users (default: as in training)")
    parser.add_argument("--item-col", help="item id column of --items (default: as in training)")
    add_engine_arguments(parser)
    parser.set_defaults(func=run)


def _users(args: argparse.Namespace, column: str, known: Any) -> tuple[Any, pd.DataFrame | None]:
    from recsys.interactions import read_table
    from recsys.metadata import prepare_metadata

    if args.users == "all":
        return known, None
    frame = read_table(args.users)
    if column not in frame.columns:
        msg = (
            f"{args.users} lacks the user id column {column!r}; it has {list(frame.columns)}. Use --user-col."
        )
        raise DataError(msg)
    ids = frame[column].dropna().astype(str).to_numpy()
    if len(frame.columns) == 1:
        return ids, None
    return ids, prepare_metadata(frame, id_col=column, canonical="user_id", where=str(args.users))


def run(args: argparse.Namespace) -> int:
    """Load the model, recommend, write the frame atomically."""
    check_output_path(args.output)  # before the model loads and every user is scored
    from recsys.distributed import WORKER_MODULES, recommend_on_cluster
    from recsys.filters import Filters, resolve_exclude
    from recsys.metadata import read_metadata
    from recsys.store import load_model, read_manifest

    notes = read_manifest(args.model_dir).get("data", {})
    model = load_model(args.model_dir)
    user_col = args.user_col or notes.get("user_col", "user_id")
    item_col = args.item_col or notes.get("item_col", "item_id")
    ids, profiles = _users(args, user_col, model.context_.users.ids)
    items = read_metadata(args.items, id_col=item_col, canonical="item_id") if args.items else None
    try:
        filters = Filters.make(exclude=args.exclude, as_of=args.as_of)
    except ValueError as exc:
        msg = f"--as-of {args.as_of!r} is not a date ({exc}); write e.g. 2024-05-01."
        raise DataError(msg) from exc
    if args.exclude == "auto":
        ctx = model.context_
        chosen = resolve_exclude(ctx, "auto")
        share = "unknown" if ctx.revisit_share is None else f"{ctx.revisit_share:.1%}"
        print(f"--exclude auto: '{chosen}' (users revisited an item they had left in {share} of events)")
    with engine_client(args, DataError, preload=WORKER_MODULES) as client:
        if client is None:
            recs = model.recommend(
                ids,
                k=args.k,
                filters=filters,
                users=profiles,
                items=items,
                show_progress=args.progress is not False,
            )
        else:
            # Workers read MODEL_DIR themselves (a shared or copied path) and score user partitions.
            recs = recommend_on_cluster(
                client, args.model_dir, ids, k=args.k, filters=filters, users=profiles, items=items,
                show_progress=args.progress is not False,
            )  # fmt: skip
    path = write_frame(recs, args.output)
    sources = ", ".join(f"{s} {n}" for s, n in recs["source"].value_counts().items())
    print(f"{recs['user_id'].nunique()} users, {len(recs)} recommendations ({sources}) -> {path}")
    return 0
