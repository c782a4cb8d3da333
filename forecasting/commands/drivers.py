"""``forecast drivers``: which dimension values explain a change in cost between two periods."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costrec.atomic import check_output_path
from costrec.cli import examples
from forecasting.commands.run import add_series_input_arguments, load_input

if TYPE_CHECKING:
    from forecasting.drivers import Drivers

__all__ = ["add_parser", "drivers_json", "format_drivers", "run"]


def add_parser(subparsers: Any) -> None:
    """Register ``forecast drivers``."""
    p = subparsers.add_parser(
        "drivers",
        help="explain a change in cost between two periods by dimension values",
        description="Compare two periods (months YYYY-MM or days YYYY-MM-DD) of actual costs, or the last "
        "actual period with a forecast (--forecast OUT), and list the dimension values that explain the "
        "change, largest contribution first, with their share of the total change.",
        **examples(
            "forecast drivers data/bills/cur2 --from 2025-05 --to 2025-06",
            "forecast drivers series.parquet --from 2025-06 --to 2025-07 --forecast out/forecast --top 5",
            "forecast drivers data/bills/cur2 --dims service,region --from 2025-06-13 --to 2025-06-14 --json",
        ),
    )
    add_series_input_arguments(p)
    # None tells "not given" (service,account where the series have them, else all their dimensions) from
    # a --dims that names columns.
    p.set_defaults(dims=None)
    p.add_argument("--from", dest="before", required=True, metavar="PERIOD", help="the earlier period")
    p.add_argument("--to", dest="after", required=True, metavar="PERIOD", help="the later period")
    p.add_argument(
        "--forecast",
        metavar="OUT",
        help="a `forecast run` folder: the later period (a month of its totals.parquet) is the run's "
        "expected total of that whole month (mean: observed days plus forecast), as `forecast budget` has it",
    )
    p.add_argument("--top", type=int, default=10, metavar="N", help="rows shown per dimension (default: 10)")
    p.add_argument("-o", "--output", metavar="FILE", help="also write every row (.csv or .parquet)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.set_defaults(func=run)


def format_drivers(drivers: Drivers, top: int = 10) -> str:
    """The change and, per dimension, its largest contributions as aligned text."""
    from forecasting.money import format_money

    before, after = drivers.labels
    lines = [
        f"total {before} {format_money(drivers.before)} -> {after} {format_money(drivers.after)}: "
        f"change {format_money(drivers.change, sign=True)}"
    ]
    for dim in dict.fromkeys(drivers.table["dimension"]):
        rows = drivers.top(dim, top)
        lines.append(f"by {dim}:")
        for value, was, now, delta, part in rows[["value", "before", "after", "change", "share"]].itertuples(
            index=False
        ):
            share = "" if part != part else f"  {float(part):7.1%} of the change"
            lines.append(
                f"  {value!s:<40} {format_money(float(was)):>14} -> {format_money(float(now)):>14}  "
                f"{format_money(float(delta), sign=True):>14}{share}"
            )
    return "\n".join(lines)


def _json_value(value: object) -> object:
    """A table cell for strict JSON: NaN (a share of a zero change) becomes ``null``."""
    return None if isinstance(value, float) and math.isnan(value) else value


def drivers_json(drivers: Drivers) -> str:
    """One strict JSON object (JSON has no ``NaN``): the two totals, the change and every row."""
    rows = [{k: _json_value(v) for k, v in row.items()} for row in drivers.table.to_dict(orient="records")]
    return json.dumps(
        {
            "before": {"period": drivers.labels[0], "total": drivers.before},
            "after": {"period": drivers.labels[1], "total": drivers.after},
            "change": drivers.change,
            "drivers": rows,
        },
        allow_nan=False,
    )


def run(args: argparse.Namespace) -> int:
    """Run ``forecast drivers`` and return the exit status."""
    from costrec.atomic import write_frame
    from forecasting.drivers import cost_drivers, parse_period
    from forecasting.errors import DataError
    from forecasting.options import DEFAULT_DIMS

    if args.top < 1:
        raise DataError(f"--top takes a positive number of rows; got {args.top}")
    if args.output:
        if Path(args.output).suffix.lower() not in (".csv", ".parquet"):
            raise DataError(f"-o/--output: cannot write {args.output!r}; name a .csv or .parquet file")
        check_output_path(args.output)
    before, after = parse_period(args.before, "--from"), parse_period(args.after, "--to")
    # --dims given or not: a billing export is prepared with it (prepare's default when not given); a
    # dimension asked for by name must exist, so a typo is an error, not a silent fallback.
    asked = args.dims
    if asked is None:
        args.dims = ",".join(DEFAULT_DIMS)
    series = load_input(args)
    df = series.df
    known = [c for c in df.columns if c not in ("unique_id", "ds", "y")]
    if asked is None:
        dims = [d for d in DEFAULT_DIMS if d in known] or known
    else:
        dims = [d.strip() for d in str(asked).split(",") if d.strip()]
    if not dims:
        raise DataError(
            f"INPUT {args.input!r} has no dimension column to explain a change by (only unique_id, ds, y); "
            "prepare it with --dims service,account"
        )
    if args.forecast:
        from forecasting.budget import load_totals

        run_totals = load_totals(args.forecast)
        drivers = cost_drivers(
            df, before, after, dims, totals=run_totals.table, total_freq=run_totals.total_freq
        )
    else:
        drivers = cost_drivers(df, before, after, dims)
    if args.output:
        write_frame(drivers.table, args.output)
    print(drivers_json(drivers) if args.json else format_drivers(drivers, args.top))
    return 0
