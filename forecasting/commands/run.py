"""``forecast run``: backtest the models, choose per series, forecast quantiles and export everything."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from costrec.engine import add_engine_arguments, engine_client
from forecasting.automl import SELECT_MODES
from forecasting.commands.prepare import add_prepare_arguments, is_billing_export, prepare_from_args
from forecasting.errors import DataError
from forecasting.export import check_output_folder, write_run
from forecasting.forecaster import DEFAULT_MODELS, Forecaster
from forecasting.models import MODELS
from forecasting.runner import use_executor
from forecasting.series_io import read_series_table
from forecasting.validation import frame_freq

__all__ = [
    "add_parser",
    "run",
    "add_series_input_arguments",
    "SeriesInput",
    "load_series",
    "parse_quantiles",
    "default_season",
]

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

# What the workers of a local Dask cluster import once, before their first task.
WORKER_MODULES = ("forecasting.runner", "forecasting.models", "forecasting.distributed")

# Periods per season by frequency when --season-length is not given.
_SEASONS = {"D": 7, "B": 5, "W": 52, "MS": 12, "ME": 12, "QS": 4, "QE": 4, "h": 24, "H": 24}


def default_season(freq: str) -> int:
    """The usual season of a frequency: a week of days, a year of weeks, months or quarters, a day of hours.

    Example:
        >>> default_season("D"), default_season("W-MON"), default_season("MS"), default_season("YS")
        (7, 52, 12, 1)
    """
    return _SEASONS.get(str(freq).split("-")[0].lstrip("0123456789"), 1)


def parse_quantiles(text: str) -> tuple[float, ...]:
    """Read ``0.1,0.5,0.9`` (or percentages ``10,50,90``) into quantile levels.

    Example:
        >>> parse_quantiles("0.1, 0.5,0.9"), parse_quantiles("5,50,95")
        ((0.1, 0.5, 0.9), (0.05, 0.5, 0.95))
    """
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise DataError(f"--quantiles: could not read {text!r}; use levels such as 0.1,0.5,0.9") from exc
    if values and all(1.0 < v < 100.0 for v in values):
        values = [v / 100.0 for v in values]
    return tuple(values)


def _models(text: str, flag: str = "--models") -> list[str]:
    names = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in names if m not in MODELS]
    if not names or unknown:
        raise DataError(f"{flag}: unknown model(s) {unknown or text!r}; choose from {','.join(MODELS)}")
    return names


def add_series_input_arguments(parser: argparse.ArgumentParser) -> None:
    """INPUT and the flags of ``forecast prepare`` (used when INPUT is a raw billing export).

    ``--freq`` and ``--currency`` serve both kinds of INPUT: the frequency of a series file or the period
    of a prepared export; the currency read from an export, and the one shown.
    """
    parser.add_argument(
        "input", metavar="INPUT", help="series file (Parquet/CSV: unique_id, ds, y) or billing export"
    )
    add_prepare_arguments(
        parser,
        freq_help="frequency of the series in INPUT: D, W, MS, QS, h, ... (default: inferred from the dates, "
        "the coarsest calendar grid that holds them all); for a billing export, the period to add costs up "
        "by: D (default), H, W (Monday) or M",
        currency_help="the billing currency to read and show (default: the data's, else USD)",
    )
    g = parser.add_argument_group("series file columns (outputs always use unique_id, ds)")
    g.add_argument("--id-col", default="unique_id", help="series id column (default: unique_id)")
    g.add_argument("--time-col", default="ds", help="timestamp column (default: ds)")
    g.add_argument("--target-col", default="y", help="value column (default: y)")


def add_parser(subparsers: Any) -> None:
    """Register ``forecast run``."""
    p = subparsers.add_parser(
        "run",
        help="backtest models, pick the best per series and forecast quantiles",
        description="Backtest the models on the last windows of the history, choose a model per series "
        "by mean weighted quantile loss (see --select), forecast "
        "--horizon periods and write forecasts, backtest values, accuracy, summary.json and charts to OUT.",
    )
    add_series_input_arguments(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output folder (replaced as a whole)")
    p.add_argument(
        "--horizon", type=int, required=True, metavar="H", help="periods to forecast (<= 1/3 of history)"
    )
    p.add_argument("--quantiles", default="0.1,0.5,0.9", help="quantile levels (default: 0.1,0.5,0.9)")
    p.add_argument(
        "--season-length", type=int, default=None, help="periods per season (default: 7 for D, ...)"
    )
    p.add_argument(
        "--backtest-windows", type=int, default=1, choices=range(1, 6), metavar="N", help="1-5 (default 1)"
    )
    p.add_argument(
        "--step-size", type=int, default=None, help="periods between backtest windows (default: H)"
    )
    p.add_argument(
        "--models",
        default=",".join(DEFAULT_MODELS),
        help=f"comma list from {', '.join(MODELS)} (default: {','.join(DEFAULT_MODELS)})",
    )
    p.add_argument(
        "--select",
        choices=SELECT_MODES,
        default="auto",
        help="auto (default): the dataset's best model, or a series' own best where its WQL is at most 0.7x "
        "that model's; series: the lowest mean WQL per series; dataset: one model for all",
    )
    p.add_argument(
        "--candidates",
        default=None,
        metavar="LIST",
        help="comma list of the models AutoML may choose (default: every model of --models but the "
        "baselines naive and seasonal_naive, which stay in the leaderboard as references)",
    )
    p.add_argument("--csv", action="store_true", help="also write every table as CSV")
    p.add_argument("--plots", type=int, default=10, metavar="N", help="fan charts of the N costliest series")
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes of the local engine (default: by number of series)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or report")
    add_engine_arguments(p)
    p.set_defaults(func=run)


@dataclass(frozen=True)
class SeriesInput:
    """INPUT read as a long frame, its frequency, and what ``summary.json`` should say about it."""

    df: pd.DataFrame
    freq: str
    info: dict[str, Any]


def load_series(path: str, args: argparse.Namespace, client: Client | None = None) -> SeriesInput:
    """Read INPUT: a series table as it is, a raw billing export through ``forecast prepare``.

    A billing export is prepared with the same flags as ``forecast prepare`` (``--dims``, ``--measure``,
    ``--charges``...), scanned on the Dask ``client``'s workers when given; the frequency of its series
    is the one prepare produced.
    """
    source = Path(path)
    if not source.exists():
        raise DataError(f"INPUT {path!r} does not exist")
    info: dict[str, Any] = {"input": str(source)}
    if is_billing_export(source):
        start = time.perf_counter()
        result = prepare_from_args(source, args, client)
        info["prepare"] = result.report.summary()
        info["timings"] = {"prepare_seconds": round(time.perf_counter() - start, 3)}
        return SeriesInput(result.series, result.freq, info)
    df = _standard_columns(read_series_table(source), args, source)
    freq = frame_freq(df, args.freq)
    if args.freq is None:
        info["freq_inferred"] = freq
    return SeriesInput(df, freq, info)


def _standard_columns(df: pd.DataFrame, args: argparse.Namespace, source: Path) -> pd.DataFrame:
    """Rename the ``--id-col``, ``--time-col`` and ``--target-col`` columns to ``unique_id, ds, y``.

    Amazon Forecast exports, for one, name them ``item_id, timestamp, target_value``.
    """
    wanted = {args.id_col: "unique_id", args.time_col: "ds", args.target_col: "y"}
    renames = {old: new for old, new in wanted.items() if old != new}
    if not renames:
        return df
    flags = {"unique_id": "--id-col", "ds": "--time-col", "y": "--target-col"}
    for old, new in renames.items():
        if old not in df.columns:
            raise DataError(
                f"INPUT {str(source)!r} has no column {old!r} ({flags[new]}); its columns are "
                f"{list(map(str, df.columns))[:20]}"
            )
        if new in df.columns:
            raise DataError(
                f"INPUT {str(source)!r} has both {old!r} ({flags[new]}) and {new!r}; rename or drop {new!r}"
            )
    return df.rename(columns=renames)


def _currency(dims: pd.DataFrame, given: str | None) -> str:
    if given:
        return given
    for col in ("currency", "billing_currency"):
        if col in dims.columns and dims[col].nunique() == 1:
            return str(dims[col].iloc[0])
    return "USD"


def _report(fc: Forecaster, forecasts: pd.DataFrame, out: Path, seconds: float) -> str:
    first, last = forecasts["ds"].min(), forecasts["ds"].max()
    lines = [
        f"{len(fc.dims_)} series, {fc.history_length_} periods of {fc.freq_}; "
        f"forecast {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    ]
    if fc.selection_ is not None:
        board = fc.selection_.leaderboard
        wanted = ("model", "mean_wql", "relative_wql", "wape", "mase", "coverage", "n_series")
        table = board[[c for c in wanted if c in board.columns]].to_string(
            index=False, float_format=lambda v: f"{v:.4f}"
        )
        lines += ["backtest leaderboard (mean_wql: lower is better; relative_wql: vs seasonal naive):", table]
    lines.append(f"wrote {out} in {seconds:.1f} s")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``forecast run`` and return the exit status."""
    start = time.perf_counter()
    out = check_output_folder(args.output)
    with engine_client(args, DataError, preload=WORKER_MODULES) as client:
        if client is None:
            return _run(args, out, client, start)
        with use_executor(client.get_executor(pure=False)):
            return _run(args, out, client, start)


def _run(args: argparse.Namespace, out: Path, client: Client | None, start: float) -> int:
    series = load_series(args.input, args, client)
    info = series.info
    info["engine"] = args.engine if client is None else f"dask ({args.scheduler or 'local cluster'})"
    show = not args.quiet and sys.stderr.isatty()
    fc = Forecaster(
        models=_models(args.models),
        quantiles=parse_quantiles(args.quantiles),
        freq=series.freq,
        season_length=args.season_length or default_season(series.freq),
        select=args.select,
        candidates=_models(args.candidates, "--candidates") if args.candidates else None,
        n_windows=args.backtest_windows,
        step_size=args.step_size,
        n_jobs=args.jobs,
        show_progress=show,
    )
    fc.fit(series.df, h=args.horizon)
    forecasts = fc.predict(args.horizon)
    info["currency"] = currency = _currency(fc.dims_, args.currency)
    # Everything but writing the outputs; the report printed below includes that too.
    info["timings"] = {**info.get("timings", {}), "total_seconds": round(time.perf_counter() - start, 3)}
    write_run(
        out,
        fc,
        forecasts,
        csv=args.csv,
        n_plots=args.plots,
        currency=currency,
        extra=info,
    )
    if not args.quiet:
        print(_report(fc, forecasts, out, time.perf_counter() - start))
    return 0
