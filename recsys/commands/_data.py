"""Command-line flags shared by ``train`` and ``evaluate``: input files, column names, weights, pruning."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

# The readers (pandas, DuckDB) are imported when a command loads its inputs, not when its parser is built.
if TYPE_CHECKING:
    from recsys.inputs import Inputs

__all__ = ["add_data_arguments", "inputs_from_args", "data_notes"]


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the input flags (files, columns, event weights, value threshold, pruning)."""
    parser.add_argument("interactions", help="interaction log, CSV or Parquet (one row per event)")
    group = parser.add_argument_group("input data")
    group.add_argument(
        "--users", metavar="USERS_FILE", help="user metadata: the user id column plus any features"
    )
    group.add_argument(
        "--items", metavar="ITEMS_FILE", help="item metadata: the item id column plus any features"
    )
    group.add_argument(
        "--user-col", default="user_id", help="user id column of every file (default: user_id)"
    )
    group.add_argument(
        "--item-col", default="item_id", help="item id column of every file (default: item_id)"
    )
    group.add_argument("--time-col", default="timestamp", help="event time column (default: timestamp)")
    group.add_argument("--event-col", default="event_type", help="event type column (default: event_type)")
    group.add_argument(
        "--weights",
        default="view=1,click=2,apply=5",
        help="weight of each event type; 0 drops a type (default: view=1,click=2,apply=5)",
    )
    group.add_argument(
        "--weight-col",
        default="weight",
        help="numeric column of event weights, e.g. play counts (default: weight, used when present)",
    )
    group.add_argument("--value-col", help="numeric column (e.g. rating) whose low values are dropped")
    group.add_argument("--min-value", type=float, help="keep rows with --value-col at least this (e.g. 4)")
    group.add_argument("--min-user-interactions", type=int, default=1, help="prune users with fewer items")
    group.add_argument("--min-item-interactions", type=int, default=1, help="prune items with fewer users")


def inputs_from_args(args: argparse.Namespace) -> Inputs:
    """Load the inputs named by the flags of :func:`add_data_arguments`."""
    from recsys.inputs import load_inputs
    from recsys.interactions import EventColumns, parse_weights

    columns = EventColumns(
        user=args.user_col,
        item=args.item_col,
        time=args.time_col,
        event=args.event_col,
        value=args.value_col,
        min_value=args.min_value,
        weight=args.weight_col,
    )
    return load_inputs(
        args.interactions,
        users=args.users,
        items=args.items,
        columns=columns,
        weights=parse_weights(args.weights),
        min_user_interactions=args.min_user_interactions,
        min_item_interactions=args.min_item_interactions,
    )


def data_notes(args: argparse.Namespace) -> dict[str, Any]:
    """What a model directory remembers about its training files (batch uses the id column names)."""
    return {
        "interactions": str(args.interactions),
        "users": args.users,
        "items": args.items,
        "user_col": args.user_col,
        "item_col": args.item_col,
        "weights": args.weights,
        "value_col": args.value_col,
        "weight_col": args.weight_col,
        "min_value": args.min_value,
    }
