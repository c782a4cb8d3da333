"""``forecast run``: backtest the models, choose per series, forecast quantiles and export everything."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costrec.cli import examples
from costrec.engine import add_engine_arguments, engine_client
from forecasting.commands.prepare import add_prepare_arguments, prepare_options
from forecasting.errors import DataError
from forecasting.interface import command_line
from forecasting.options import DEFAULT_MODELS, ENDS, MODEL_NAMES, SELECT_MODES

__all__ = [
    "add_parser",
    "run",
    "add_series_input_arguments",
    "load_input",
    "parse_quantiles",
    "default_season",
]

# The estimator, the models (statsmodels, LightGBM), pandas and the exporters are imported when the
# command runs, not when its parser is built.
if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client

    from forecasting.forecaster import Forecaster
    from forecasting.load import LoadedSeries

log = logging.getLogger(__name__)


def default_season(freq: str) -> int:
    """The usual season of ``freq``, as :func:`forecasting.frequency.default_season_length` decides it.

    Kept under its old name for the commands that import it from here.
    """
    from forecasting.frequency import default_season_length

    return default_season_length(freq)


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
    unknown = [m for m in names if m not in MODEL_NAMES]
    if not names or unknown:
        raise DataError(f"{flag}: unknown model(s) {unknown or text!r}; choose from {','.join(MODEL_NAMES)}")
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
        freq_help="period: D daily, H hourly, W weekly, M monthly (labelled by the first day, as prepare "
        "writes it, or by the last where the dates are month ends), or any pandas frequency (W-SUN, QS, "
        "15min); a series file's default is inferred from its dates (the coarsest calendar grid that holds "
        "them all), a billing export's is D",
        currency_help="the billing currency to read and show (default: the data's, else USD)",
    )
    g = parser.add_argument_group("series file columns (outputs always use unique_id, ds)")
    g.add_argument("--id-col", default="unique_id", help="series id column (default: unique_id)")
    g.add_argument("--time-col", default="ds", help="timestamp column (default: ds)")
    g.add_argument("--target-col", default="y", help="value column (default: y)")
    parser.add_argument(
        "--ends",
        choices=ENDS,
        default="common",
        help="common (default): a series that stops before the data's last period counts as 0 (no cost) "
        "up to it and is forecast from there, like the others; own: forecast each series from its own last "
        "date (series that are not costs, e.g. M3)",
    )


def load_input(args: argparse.Namespace, client: Client | None = None) -> LoadedSeries:
    """:func:`forecasting.load_series` on INPUT with the flags of :func:`add_series_input_arguments`.

    A billing export is prepared with the same flags as ``forecast prepare``, scanned on the Dask
    ``client``'s workers when given.
    """
    from forecasting.load import load_series

    with command_line():
        return load_series(
            args.input,
            freq=args.freq or "auto",
            season_length=getattr(args, "season_length", None),
            ends=getattr(args, "ends", "common"),
            id_col=args.id_col,
            time_col=args.time_col,
            target_col=args.target_col,
            **prepare_options(args, client),
        )


def add_parser(subparsers: Any) -> None:
    """Register ``forecast run``."""
    p = subparsers.add_parser(
        "run",
        help="backtest models, pick the best per series and forecast quantiles",
        description="Backtest the models on the last windows of the history, choose a model per series "
        "by mean weighted quantile loss (see --select), forecast "
        "--horizon periods and write forecasts, backtest values, accuracy, summary.json and charts to OUT.",
        **examples(
            "forecast run data/bills/cur2 -o out/forecast --horizon 30",
            "forecast run series.parquet -o out --horizon 12 --freq MS --models ets,theta,lgbm",
            "forecast run items.csv -o out --horizon 8 --id-col item_id"
            " --time-col timestamp --target-col target_value",
        ),
    )
    add_series_input_arguments(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output folder (replaced as a whole)")
    p.add_argument(
        "--horizon", type=int, required=True, metavar="H", help="periods to forecast (<= 1/3 of history)"
    )
    p.add_argument("--quantiles", default="0.1,0.5,0.9", help="quantile levels (default: 0.1,0.5,0.9)")
    p.add_argument(
        "--season-length",
        type=int,
        default=None,
        help="periods per season (default: from the frequency: 7 D, 52 W, 12 MS, 4 QS, 24 h, 1 YS)",
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
        help=f"comma list from {', '.join(MODEL_NAMES)} (default: {','.join(DEFAULT_MODELS)})",
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
    p.add_argument(
        "--total-freq",
        choices=("M", "W", "Q"),
        default=None,
        help="periods of the bill totals in totals.parquet: M calendar months, W Monday-Sunday weeks, Q "
        "calendar quarters (default: M, or Q or W when the series' steps fit only in those)",
    )
    p.add_argument("--csv", action="store_true", help="also write every table as CSV")
    p.add_argument("--plots", type=int, default=10, metavar="N", help="fan charts of the N costliest series")
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes of the local engine (default: by number of series)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print no report (implies --no-progress)")
    add_engine_arguments(p)
    p.set_defaults(func=run)


def _report(fc: Forecaster, forecasts: pd.DataFrame, out: Path, seconds: float) -> str:
    first, last = forecasts["ds"].min(), forecasts["ds"].max()
    lines = [
        f"{len(fc.dims_)} series, {fc.history_length_} periods of {fc.freq_}; "
        f"forecast {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    ]
    if len(fc.ended_):
        lines.append(
            f"{len(fc.ended_)} series ended before the last period: their "
            f"{int(fc.ended_['filled'].sum())} missing periods count as 0 (summary.json: ended_series)"
        )
    if len(fc.short_):
        models = ", ".join(f"{m} ({n})" for m, n in fc.short_["model"].value_counts().items())
        h = len(forecasts) // max(len(fc.dims_), 1)
        lines.append(
            f"{len(fc.short_)} series have fewer than 3 x {h} periods, too few for their own backtest: they "
            f"use the dataset's model, {models} (summary.json: short_series)"
        )
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
    from forecasting.distributed import WORKER_MODULES
    from forecasting.export import check_output_folder
    from forecasting.runner import use_executor

    start = time.perf_counter()
    if args.plots < 0:
        raise DataError(f"--plots takes a number of fan charts, 0 (none) or more; got {args.plots}")
    out = check_output_folder(args.output)
    with engine_client(args, DataError, preload=WORKER_MODULES) as client:
        if client is None:
            return _run(args, out, client, start)
        with use_executor(client.get_executor(pure=False)):
            return _run(args, out, client, start)


def _run(args: argparse.Namespace, out: Path, client: Client | None, start: float) -> int:
    from costrec.progress import progress_enabled
    from forecasting.export import write_run
    from forecasting.forecaster import Forecaster

    series = load_input(args, client)
    info = dict(series.info)
    info["engine"] = args.engine if client is None else f"dask ({args.scheduler or 'local cluster'})"
    show = not args.quiet and progress_enabled(args.progress)
    # Frequency, season length and ended series come with the loaded series, as in the notebooks.
    fc = Forecaster(
        models=_models(args.models),
        quantiles=parse_quantiles(args.quantiles),
        select=args.select,
        candidates=_models(args.candidates, "--candidates") if args.candidates else None,
        n_windows=args.backtest_windows,
        step_size=args.step_size,
        n_jobs=args.jobs,
        show_progress=show,
        ends=args.ends,
        total_freq=args.total_freq or "auto",
    )
    with command_line():
        from forecasting.totals_backtest import forecast_with_totals  # numpy/scipy/sklearn, only when run

        fc.fit(series, h=args.horizon)
        forecasts, totals = forecast_with_totals(fc, args.horizon)
    info["currency"] = currency = args.currency or series.currency
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
        totals=totals,
    )
    if not args.quiet:
        from forecasting.totals_backtest import totals_report

        report = _report(fc, forecasts, out, time.perf_counter() - start).rsplit("\n", 1)
        middle = [totals_report(totals, currency)] if totals is not None else []
        print("\n".join([report[0], *middle, report[1]]))
    return 0
