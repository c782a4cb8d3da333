"""``forecast anomalies``: unlikely, costly periods under a rolling one-step-ahead forecast, by date."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costrec.atomic import check_output_path, write_frames
from costrec.cli import examples
from forecasting.commands.run import add_series_input_arguments, default_season, load_input, parse_quantiles
from forecasting.errors import DataError
from forecasting.money import format_money
from forecasting.options import IMPACT_FLOOR, IMPACT_SHARE

# The detector and pandas are imported when the command runs, not when its parser is built.
if TYPE_CHECKING:
    import pandas as pd

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register ``forecast anomalies``."""
    p = subparsers.add_parser(
        "anomalies",
        help="flag unlikely, costly periods under a rolling forecast, grouped by date",
        description="Forecast every period one step ahead from the periods before it (a robust seasonal "
        "median with a month-start term for daily data) and flag the periods that are both unlikely under "
        "that forecast (robust z-score of the error at least --threshold) and costly (impact at least "
        "--min-impact). Writes them with the P10-P90 band, a severity (0-100) that grows with both, the "
        "impact (actual minus median, in currency) and the z-score, most severe first; and beside it "
        "OUTPUT_by_date with, per date, the dimension values (service, account...) that explain the "
        "deviation and their share. FILE is Parquet, or CSV when it ends in .csv.",
        **examples(
            "forecast anomalies data/bills/cur2 -o anomalies.csv",
            "forecast anomalies series.parquet -o anomalies.parquet --since 2025-01-01 --min-impact 50",
        ),
    )
    add_series_input_arguments(p)
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE",
        help="flagged periods (.parquet or .csv); the by-date breakdown goes to FILE_by_date",
    )  # fmt: skip
    p.add_argument(
        "--season-length", type=int, default=None, help="periods per season (default: 7 for D, ...)"
    )
    p.add_argument(
        "--quantiles", default="0.1,0.9", help="lower and upper level of the band shown (default 0.1,0.9)"
    )
    p.add_argument(
        "--threshold", type=float, default=3.5,
        help="flag from this robust z-score of the one-step error on, up or down (default 3.5)",
    )  # fmt: skip
    p.add_argument(
        "--min-impact", type=float, default=None, metavar="AMOUNT",
        help=f"flag only from this impact on, in currency (default: {IMPACT_SHARE:g} of the series' typical "
        f"period, its median absolute value over the trailing window, and at least {IMPACT_FLOOR:g})",
    )  # fmt: skip
    p.add_argument(
        "--min-severity", type=float, default=0.0, help="report only this severity and above (0-100)"
    )
    p.add_argument(
        "--min-deviation", type=float, default=0.05, help="never flag within this fraction of the forecast"
    )
    p.add_argument("--since", metavar="DATE", help="report only periods from this date on")
    p.add_argument("-q", "--quiet", action="store_true", help="print no summary (implies --no-progress)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``forecast anomalies`` and return the exit status."""
    from forecasting.anomalies import AnomalySettings, detect_anomalies, impact_analysis

    by_date_path = by_date_output(args.output)
    for path in (args.output, by_date_path):
        check_output_path(path)
    series = load_input(args)
    quantiles = parse_quantiles(args.quantiles)
    if len(quantiles) != 2:
        raise DataError(f"--quantiles takes the band's two levels, e.g. 0.1,0.9; got {args.quantiles!r}")
    settings = AnomalySettings(
        season_length=args.season_length or default_season(series.freq),
        quantiles=(quantiles[0], quantiles[1]),
        min_deviation=args.min_deviation,
        min_severity=args.min_severity,
        threshold=args.threshold,
        min_impact=args.min_impact,
    )
    flagged = detect_anomalies(series.df, freq=series.freq, settings=settings, since=args.since)
    by_date = impact_analysis(flagged)
    # The two files are one result: both are written, or neither replaces its earlier version.
    write_frames({args.output: flagged, str(by_date_path): by_date})
    if args.quiet:
        return 0
    longest = int(series.df.groupby("unique_id").size().max()) if len(series.df) else 0
    if longest <= settings.warmup:
        print(
            f"note: a period is judged after {settings.warmup} periods of history; the longest series has "
            f"{longest}, so nothing could be judged yet"
        )
    print(summary(flagged, by_date, n_periods=len(series.df)))
    print(f"wrote {args.output} and {by_date_path}")
    return 0


def by_date_output(output: str) -> Path:
    """The by-date file beside ``-o``: ``a.csv`` -> ``a_by_date.csv``; a suffix other than CSV/Parquet fails.

    Example:
        >>> by_date_output("out/a.csv").as_posix(), by_date_output("a.parquet").as_posix()
        ('out/a_by_date.csv', 'a_by_date.parquet')
    """
    path = Path(output)
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise DataError(f"-o/--output: cannot write {output!r}; name a .parquet or .csv file")
    return path.with_name(f"{path.stem}_by_date{path.suffix}")


def summary(flagged: pd.DataFrame, by_date: pd.DataFrame, *, n_periods: int, top: int = 10) -> str:
    """What a reader sees first: how many periods were flagged, the top rows and the top dates' causes."""
    import pandas as pd

    share = len(flagged) / n_periods if n_periods else 0.0
    n_dates = flagged["ds"].nunique()
    head = (f"{len(flagged)} anomal{'y' if len(flagged) == 1 else 'ies'} on {n_dates} date(s), "
            f"{share:.2%} of {n_periods:,} series-periods")  # fmt: skip
    if flagged.empty:
        return head
    lines = [f"{head}; most severe first:"]
    money = {c: format_money for c in flagged.columns if c in ("y", "impact") or _is_quantile(c)}
    formatters: dict[str, Any] = {**money, "severity": "{:.1f}".format, "zscore": "{:.1f}".format}
    # The dimension columns say what unique_id says, in words a reader filters by.
    shown = flagged.drop(columns="unique_id") if flagged.columns[1] != "ds" else flagged
    lines.append(shown.head(top).to_string(index=False, formatters=formatters))
    lines.append("by date, with the dimension values that explain the deviation:")
    for _, rows in by_date[by_date["date_rank"] <= top].groupby("date_rank", sort=True):
        first = rows.iloc[0]
        causes = "; ".join(
            f"{dim} {', '.join(f'{v} {s:.0%}' for v, s in zip(part['value'], part['share'], strict=True))}"
            for dim, part in rows.groupby("dimension", sort=False)
        )
        lines.append(
            f"  {pd.Timestamp(first['ds']).date()}  severity {first['severity']:.1f}  impact "
            f"{format_money(first['impact'], sign=True)} ({first['series']} series): {causes}"
        )
    return "\n".join(lines)


def _is_quantile(column: object) -> bool:
    text = str(column)
    return text.startswith("p") and text[1:].replace(".", "", 1).isdigit()
