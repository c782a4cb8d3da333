"""Bill totals: their calibration on the backtest windows and their share of a run's wall time.

Usage::

    .venv/bin/python benchmarks/bench_totals.py --bill data/bills/cur2 --windows 5        # calibration
    .venv/bin/python benchmarks/bench_totals.py --series 300 --days 730                  # time share

With ``--bill``, the export is prepared (service x account daily series), the default models are
backtested on ``--windows`` windows of h = 30 and the totals' P10-P90 coverage and WQL are printed,
overall and per level, with the coverage of the band obtained by adding up the series' quantiles.
With ``--series``, seeded cost-like series (those of ``bench_forecast_speed.py``, grouped into 20
services x 10 accounts) go through a whole default ``Forecaster`` run, and the seconds of the run and of
:func:`forecasting.totals_backtest.run_totals` (totals + their calibration) are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_forecast_speed import cost_series  # noqa: E402

from forecasting.forecaster import Forecaster  # noqa: E402
from forecasting.load import load_series  # noqa: E402
from forecasting.totals_backtest import run_totals  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bill", help="billing export or series file")
    parser.add_argument("--series", type=int, default=300)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--windows", type=int, default=1)
    parser.add_argument("--horizon", type=int, default=30)
    args = parser.parse_args()
    if args.bill:
        data = load_series(args.bill)
    else:
        data = cost_series(args.series, args.days)
        number = data["unique_id"].str[1:].astype(int)
        data = data.assign(
            service=(number % 20).map("svc{:02d}".format), account=(number % 10).map("a{}".format)
        )
    start = time.perf_counter()
    fc = Forecaster(n_windows=args.windows, n_jobs=None).fit(data, h=args.horizon)
    forecasts = fc.predict(args.horizon)
    run_seconds = time.perf_counter() - start
    totals = run_totals(fc, forecasts)
    table = totals.result.table
    print(table[table["level"] == "total"].to_string(index=False))
    print(json.dumps(totals.calibration, indent=1))
    print(
        f"{len(fc.dims_)} series x {fc.history_length_} periods: run {run_seconds:.1f} s, totals "
        f"{totals.seconds:.2f} s ({100 * totals.seconds / run_seconds:.1f}% of the run)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
