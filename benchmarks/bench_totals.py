"""Bill totals: their calibration on the backtest windows and their share of a run's wall time.

Usage::

    .venv/bin/python benchmarks/bench_totals.py --bill data/bills/cur2 --synthetic 36:6:1 --windows 5
    .venv/bin/python benchmarks/bench_totals.py --series 300 --days 730                  # time share

With ``--bill`` (an export or series file) or ``--synthetic MONTHS:ACCOUNTS:SEED`` (a bill of
``forecasting.synthetic`` written to a temporary folder), each repeatable, every bill is prepared
(service x account daily series), the default models are backtested on ``--windows`` windows of h = 30
and the totals' P10-P90 coverage and WQL are printed per bill and level, with the coverage of the band
obtained by adding up the series' quantiles; a last line pools the bills (five whole-bill months per
bill are too few to judge a bill's band alone). With ``--series``, seeded cost-like series (those of
``bench_forecast_speed.py``, grouped into 20 services x 10 accounts) go through a whole default
``Forecaster`` run, and the seconds of the run and of the totals (their sampling and calibration) are
printed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_forecast_speed import cost_series  # noqa: E402

from forecasting.forecaster import Forecaster  # noqa: E402
from forecasting.load import load_series  # noqa: E402
from forecasting.totals_backtest import forecast_with_totals  # noqa: E402

LEVELS = ("total", "service", "account")


def _calibrate(name: str, source: str, windows: int, horizon: int) -> dict[str, Any]:
    series = load_series(source)
    start = time.perf_counter()
    fc = Forecaster(n_windows=windows, n_jobs=None).fit(series, h=horizon)
    _, totals = forecast_with_totals(fc, horizon)
    cal = totals.calibration
    levels = cal.get("by_level", {})
    counts = {lvl: (round(levels[lvl]["coverage"] * levels[lvl]["rows"]), levels[lvl]["rows"])
              for lvl in LEVELS if lvl in levels}  # fmt: skip
    shown = ", ".join(f"{lvl} {k}/{n}" for lvl, (k, n) in counts.items())
    print(
        f"{name}: {len(fc.dims_)} series x {fc.history_length_} days, {cal.get('windows', 0)} window(s) "
        f"({', '.join(cal.get('periods', []))}): {cal.get('rows', 0)} totals, coverage "
        f"{cal.get('coverage', float('nan')):.0%} ({shown}); summed bands "
        f"{cal.get('sum_of_quantiles_coverage', float('nan')):.0%}; "
        f"WQL {cal.get('wql') or float('nan'):.4f}; "
        f"{time.perf_counter() - start:.0f} s",
        flush=True,
    )
    return {
        "counts": counts,
        "rows": cal.get("rows", 0),
        "inside": round(cal.get("coverage", 0) * cal.get("rows", 0)),
    }


def calibration(args: argparse.Namespace) -> None:
    bills = [(bill, bill) for bill in args.bill]
    with tempfile.TemporaryDirectory() as tmp:
        from forecasting.billing.sample import write_sample_bills
        from forecasting.synthetic import generate_bills

        for spec in args.synthetic:
            months, accounts, seed = (int(x) for x in spec.split(":"))
            folder = write_sample_bills(
                generate_bills(seed, accounts=accounts, months=months), Path(tmp) / spec
            )
            bills.append(
                (f"synthetic {months} months, {accounts} accounts, seed {seed}", str(Path(folder) / "cur2"))
            )
        results = [_calibrate(name, source, args.windows, args.horizon) for name, source in bills]
    pooled = {lvl: [sum(r["counts"].get(lvl, (0, 0))[i] for r in results) for i in (0, 1)] for lvl in LEVELS}
    inside, rows = sum(r["inside"] for r in results), sum(r["rows"] for r in results)
    shown = ", ".join(f"{lvl} {k}/{n}" for lvl, (k, n) in pooled.items() if n)
    print(
        f"pooled over {len(results)} bill(s): {inside}/{rows} totals inside P10-P90 "
        f"({inside / max(rows, 1):.0%}); {shown}"
    )


def time_share(args: argparse.Namespace) -> None:
    data = cost_series(args.series, args.days)
    number = data["unique_id"].str[1:].astype(int)
    data = data.assign(service=(number % 20).map("svc{:02d}".format), account=(number % 10).map("a{}".format))
    start = time.perf_counter()
    fc = Forecaster(n_windows=args.windows, n_jobs=None).fit(data, h=args.horizon)
    _, totals = forecast_with_totals(fc, args.horizon)
    run_seconds = time.perf_counter() - start
    table = totals.result.table
    print(table[table["level"] == "total"].to_string(index=False))
    print(
        f"{len(fc.dims_)} series x {fc.history_length_} periods: run {run_seconds:.1f} s, totals "
        f"{totals.seconds:.2f} s (they add {100 * totals.seconds / (run_seconds - totals.seconds):.1f}% to "
        f"the run without them; {totals.beyond_horizon} day(s) forecast beyond --horizon to close a period; "
        f"{totals.calibration.get('rows', 0)} backtest totals scored)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bill", action="append", default=[], help="billing export or series file")
    parser.add_argument("--synthetic", action="append", default=[], metavar="MONTHS:ACCOUNTS:SEED")
    parser.add_argument("--series", type=int, default=300)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--windows", type=int, default=1)
    parser.add_argument("--horizon", type=int, default=30)
    args = parser.parse_args()
    if args.bill or args.synthetic:
        calibration(args)
    else:
        time_share(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
