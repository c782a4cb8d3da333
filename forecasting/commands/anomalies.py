"""``forecast anomalies``: periods whose cost left the rolling one-step-ahead band, by impact."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from costrec.atomic import write_frame
from forecasting.anomalies import AnomalySettings, detect_anomalies
from forecasting.commands.run import add_series_input_arguments, default_season, load_input, parse_quantiles
from forecasting.errors import DataError

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register ``forecast anomalies``."""
    p = subparsers.add_parser(
        "anomalies",
        help="flag periods outside the rolling forecast band, by cost impact",
        description="Forecast every period one step ahead from the periods before it (a robust seasonal "
        "median with a month-start term for daily data), flag the periods outside the P10-P90 band of "
        "the forecast errors, and write them with a severity (0-100) and the impact (actual minus median, "
        "in currency), largest extra cost first. FILE is Parquet, or CSV when it ends in .csv.",
    )
    add_series_input_arguments(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="flagged periods (.parquet or .csv)")
    p.add_argument(
        "--season-length", type=int, default=None, help="periods per season (default: 7 for D, ...)"
    )
    p.add_argument(
        "--quantiles", default="0.1,0.9", help="lower and upper level of the band (default 0.1,0.9)"
    )
    p.add_argument(
        "--min-severity", type=float, default=0.0, help="report only this severity and above (0-100)"
    )
    p.add_argument(
        "--min-deviation", type=float, default=0.05, help="never flag within this fraction of the forecast"
    )
    p.add_argument("--since", metavar="DATE", help="report only periods from this date on")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``forecast anomalies`` and return the exit status."""
    series = load_input(args)
    quantiles = parse_quantiles(args.quantiles)
    if len(quantiles) != 2:
        raise DataError(f"--quantiles takes the band's two levels, e.g. 0.1,0.9; got {args.quantiles!r}")
    settings = AnomalySettings(
        season_length=args.season_length or default_season(series.freq),
        quantiles=(quantiles[0], quantiles[1]),
        min_deviation=args.min_deviation,
        min_severity=args.min_severity,
    )
    flagged = detect_anomalies(series.df, freq=series.freq, settings=settings, since=args.since)
    write_frame(flagged, args.output)
    longest = int(series.df.groupby("unique_id").size().max()) if len(series.df) else 0
    if not args.quiet and longest <= settings.warmup:
        print(
            f"note: a period is judged after {settings.warmup} periods of history; the longest series has "
            f"{longest}, so nothing could be judged yet"
        )
    if not args.quiet:
        strong = int((flagged["severity"] >= 50).sum())
        print(
            f"{len(flagged)} period(s) outside the band ({strong} with severity >= 50); largest impact first:"
        )
        if len(flagged):
            print(
                flagged.head(10).to_string(index=False, float_format=lambda v: f"{v:,.2f}"), file=sys.stdout
            )
        print(f"wrote {args.output}")
    return 0
