"""``forecast lookup``: print the forecast of chosen series and dates from a run folder, or plot it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from costrec.atomic import atomic_file
from costrec.cli import examples
from forecasting.options import MAX_PANELS

# The run reader, pandas and matplotlib are imported when the command runs, not when its parser is built.
if TYPE_CHECKING:
    import pandas as pd

__all__ = ["add_parser", "run", "format_table"]


def add_parser(subparsers: Any) -> None:
    """Register ``forecast lookup``."""
    p = subparsers.add_parser(
        "lookup",
        help="print the forecast of chosen series and dates from a run folder",
        description="Print the forecast rows of the series matching every filter (service and account "
        "ignore case and match whole values first, else parts) between --from and --to.",
        **examples(
            "forecast lookup out/forecast --service compute --from 2025-07-01 --to 2025-07-31",
            "forecast lookup out/forecast --account 012345678901 --plot ec2.png",
        ),
    )
    p.add_argument("run_folder", metavar="OUT", help="output folder of `forecast run`")
    p.add_argument("--service", help="service name (e.g. 'Amazon Elastic Compute Cloud' or 'compute')")
    p.add_argument("--account", help="account id or name")
    p.add_argument("--id", dest="unique_id", metavar="UNIQUE_ID", help="exact series id")
    p.add_argument("--from", dest="start", metavar="DATE", help="first date to show (inclusive)")
    p.add_argument("--to", dest="end", metavar="DATE", help="last date to show (inclusive)")
    p.add_argument("--plot", metavar="FILE.png", help=f"also write a fan chart (up to {MAX_PANELS} series)")
    p.set_defaults(func=run)


def format_table(rows: pd.DataFrame, currency: str) -> str:
    """The rows as aligned text with a total line (the sum of means is a valid total; quantiles are not).

    Amounts keep four significant digits below a dollar (a $0.0333-a-day series does not print as 0.00),
    and the total names the column it adds up: the expected total (means), and the sum of the P50s the
    table shows where the run has them.
    """
    from forecasting.lookup import lookup_totals
    from forecasting.money import format_money

    shown = rows.copy()
    shown["ds"] = shown["ds"].dt.strftime(
        "%Y-%m-%d %H:%M" if (shown["ds"].dt.hour != 0).any() else "%Y-%m-%d"
    )
    text = shown.to_string(index=False, float_format=format_money)
    n_series = rows["unique_id"].nunique()
    totals = lookup_totals(rows)
    expected = format_money(totals["mean"])
    line = f"{n_series} series, {len(rows)} rows; expected total (sum of mean): {expected}"
    if "p50" in totals:
        line += f" {currency}; sum of p50: {format_money(totals['p50'])}"
    return f"{text}\n{line} {currency}"


def run(args: argparse.Namespace) -> int:
    """Run ``forecast lookup`` and return the exit status."""
    from forecasting.lookup import load_run, lookup, lookup_chart

    result = load_run(args.run_folder)
    rows = lookup(
        result,
        service=args.service,
        account=args.account,
        unique_id=args.unique_id,
        start=args.start,
        end=args.end,
    )
    print(format_table(rows, result.currency))
    if args.plot:
        fig = lookup_chart(result, rows)
        with atomic_file(args.plot) as tmp:
            fig.savefig(tmp, format="png", dpi=110)
        print(f"wrote {args.plot}")
    return 0
