"""``forecast prepare INPUT -o OUTPUT``: a billing export into reconciled daily cost series."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costrec.atomic import write_frames
from costrec.cli import examples
from costrec.engine import add_engine_arguments, engine_client
from costrec.progress import progress_enabled
from forecasting.charges import DEFAULT_EXCLUDED
from forecasting.errors import DataError
from forecasting.interface import command_line
from forecasting.options import DEFAULT_DIMS, FORMAT_NAMES, MEASURES

# forecasting.prepare (pandas, DuckDB) is imported when the command runs, not when its parser is built.
if TYPE_CHECKING:
    from distributed import Client

    from forecasting.prepare import PrepareResult


__all__ = [
    "add_parser",
    "run",
    "add_prepare_arguments",
    "prepare_options",
    "prepare_from_args",
]

DESCRIPTION = """\
Read a billing export (legacy AWS CUR CSV/CSV.gz, CUR 2.0 Parquet, FinOps FOCUS 1.x CSV/Parquet; one
file or a folder of parts, Hive partitions included) and write one cost series per dimension value:
a long table unique_id, ds, y plus the dimension columns (Parquet, or CSV when OUTPUT ends in .csv).

The summary reconciles every line item: input total = series total + excluded charge types + amounts
after the last complete period. Defaults follow a forecasting view of spend: unblended cost, daily UTC
periods, usage-like charges (tax, credits, refunds and adjustments are excluded and reported), charges
that span several days (monthly fees, tax, purchases) spread evenly over their period, gaps filled with
0, and a partial last day (an export taken mid-day) dropped with a warning."""

EXAMPLES = (
    "forecast prepare data/bills/cur2 -o out/series.parquet",
    "forecast prepare cur.csv.gz -o series.csv --dims service,region --measure amortized",
    "forecast prepare focus/ -o weekly.parquet --freq W --charges all --tz Europe/Paris",
    "forecast prepare cur2/ -o s.parquet --dims account,tag:team --exclude-charges 'SavingsPlan*,RIFee'",
)


FREQ_HELP = "period: D daily (default), H hourly, W weekly (Monday), M monthly (labelled by the first day)"
CURRENCY_HELP = "billing currency to read when the export has several (mixing them is an error)"


def add_prepare_arguments(
    parser: argparse.ArgumentParser, *, freq_help: str = FREQ_HELP, currency_help: str = CURRENCY_HELP
) -> None:
    """Add every prepare option except INPUT and -o (shared with ``forecast run`` on raw exports).

    Args:
        parser: The command's parser.
        freq_help: Help of ``--freq``, for a command where it also means more (a series file's frequency).
        currency_help: Help of ``--currency``, likewise.
    """
    g = parser.add_argument_group("billing export options")
    # fmt: off
    g.add_argument("--format", default="auto", choices=["auto", *FORMAT_NAMES],
                   help="export format: cur_legacy (legacy AWS CUR), cur2 (CUR 2.0), focus (FinOps FOCUS "
                   "1.0 to 1.3); auto (default) detects it, and the FOCUS version, from the column "
                   "names")  # fmt: skip
    g.add_argument(
        "--dims",
        default=",".join(DEFAULT_DIMS),
        help="comma-separated dimensions of a series (default: service,account). Known: service, account, "
        "account_name, payer, region, usage_type, operation, product_code, charge_type, availability_zone, "
        "resource, provider, service_category (FOCUS); tag:KEY for a cost allocation tag; or any column "
        "name. An empty value gives one total series.",
    )
    measures = "; ".join(f"{k}: {v}" for k, v in MEASURES.items())
    g.add_argument("--measure", default="unblended", choices=list(MEASURES),
                   help=f"cost to add up (default: unblended). {measures}")  # fmt: skip
    # None: D for a billing export; a series file's own frequency (inferred) in `forecast run`.
    g.add_argument("--freq", default=None, help=freq_help)
    g.add_argument(
        "--charges",
        default="usage",
        help=f"charge types to add up: usage (default: every type but {', '.join(DEFAULT_EXCLUDED)}), all "
        "(everything, the total bill), or comma-separated types/patterns such as Usage,Fee. Types are CUR "
        "line item types (Usage, DiscountedUsage, SavingsPlanCoveredUsage, SavingsPlanNegation, Fee, RIFee, "
        "SavingsPlanRecurringFee, Tax, Credit, Refund, ...) or FOCUS charge categories (Usage, Purchase, "
        "Tax, Credit, Adjustment); a pattern matches either, case-insensitively, with * wildcards",
    )
    g.add_argument("--include-charges", default="", metavar="PATTERNS",
                   help="charge types added to --charges (e.g. Tax)")  # fmt: skip
    g.add_argument(
        "--exclude-charges",
        default="",
        metavar="PATTERNS",
        help="charge types removed from --charges, applied last (e.g. 'SavingsPlan*,RIFee')",
    )
    g.add_argument(
        "--tz",
        default="UTC",
        help="time zone of the periods (default UTC, as AWS bills); e.g. America/New_York",
    )
    g.add_argument("--currency", default=None, help=currency_help)
    # fmt: on
    g.add_argument(
        "--spread",
        default="even",
        choices=["even", "start"],
        help="line items spanning several periods (monthly fees, tax, purchases): even (default) spreads "
        "them over their charge period in proportion to time; start puts them whole on their first period",
    )


def prepare_options(args: argparse.Namespace, client: Client | None = None) -> dict[str, Any]:
    """Keyword arguments of :func:`~forecasting.prepare.prepare_series` from the flags, except ``freq``.

    With a Dask ``client``, groups of parts are scanned on its workers (see ``forecasting.distributed``).
    """
    options: dict[str, Any] = {
        "dims": args.dims,
        "measure": args.measure,
        "charges": args.charges,
        "include_charges": args.include_charges,
        "exclude_charges": args.exclude_charges,
        "tz": args.tz,
        "currency": args.currency,
        "spread": args.spread,
        "format": args.format,
        "progress": progress_enabled(getattr(args, "progress", None)),
    }
    if client is not None:
        from forecasting.distributed import DaskScanner

        options["scanner"] = DaskScanner(client)
    return options


def prepare_from_args(
    input_path: str | os.PathLike[str], args: argparse.Namespace, client: Client | None = None
) -> PrepareResult:
    """Run :func:`~forecasting.prepare.prepare_series` with the options of :func:`add_prepare_arguments`."""
    from forecasting.prepare import prepare_series

    return prepare_series(input_path, freq=args.freq or "D", **prepare_options(args, client))


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``forecast prepare``."""
    parser = subparsers.add_parser(
        "prepare",
        help="billing export -> daily cost series, reconciled to the cent",
        description=DESCRIPTION,
        **examples(*EXAMPLES),
    )
    parser.add_argument("input", metavar="INPUT", help="export file or folder (read recursively)")
    parser.add_argument("-o", "--output", required=True, help="series file: .parquet, or .csv")
    parser.add_argument(
        "--report", default=None, metavar="JSON", help="also write the reconciliation as JSON"
    )
    add_prepare_arguments(parser)
    add_engine_arguments(parser)
    parser.set_defaults(func=run)


def _write_outputs(result: PrepareResult, output: str, report: str | None) -> Path:
    """Write the series and the report as one unit: both, or neither (see :func:`write_frames`)."""
    outputs: dict[str, Any] = {output: result.series}
    if report:
        outputs[report] = json.dumps(result.report.to_dict(), indent=2, default=str) + "\n"
    return write_frames(outputs)[0]


def run(args: argparse.Namespace) -> int:
    """Prepare, write the series (and report) atomically, print the summary; 0 on success."""
    from forecasting.distributed import WORKER_MODULES
    from forecasting.prepare import require_series

    with command_line(), engine_client(args, DataError, preload=WORKER_MODULES) as client:
        result = require_series(prepare_from_args(args.input, args, client))
    out = _write_outputs(result, args.output, args.report)
    # The report's warnings were printed on stderr as they arose (forecast prepare: warning: ...); the
    # summary leaves them out so each shows once. The JSON report keeps them.
    print(dataclasses.replace(result.report, warnings=[]).summary())
    print(
        textwrap.shorten(f"wrote {len(result.series):,} rows ({result.report.n_series} series) to {out}", 200)
    )
    return 0
