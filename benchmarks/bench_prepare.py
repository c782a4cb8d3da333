"""Ingest benchmark: ``forecast prepare`` on 20M+ CUR 2.0 line items, at 1x and 4x, against baselines.

In one run, on the same files, each method runs in its own subprocess (so peak RSS is its own):

- ``prepare``: ``forecast prepare INPUT -o OUT`` (the CLI: read, reconcile, build series, write Parquet);
- ``pandas``: a straightforward ``pd.read_parquet(columns=...)`` + ``groupby`` of the same daily series;
- ``duckdb``: a hand-written DuckDB ``GROUP BY`` of the same daily series (plain double sums);
- ``duckdb_same_keys``: DuckDB grouping by what prepare needs to reconcile (charge type, currency, end
  period, exact DECIMAL sums, counts), i.e. the cost of those guarantees in DuckDB itself.

Those times start after the imports. Whole-process times (the wall time of a fresh process, interpreter
start and imports included, what a user waits for) are measured too, best of ``--repeat``, for:

- ``prepare``: the ``forecast`` command itself, ``forecast prepare INPUT -o OUT --report JSON``;
- ``duckdb_same_keys``: the same query as its own ``python -c`` process (importing DuckDB and pandas).

The data is an hourly CUR 2.0 export (40 accounts x 10 services x 2 years; 3 resources per series at 1x,
12 at 4x) written under ``benchmarks/out/prepare/`` (git-ignored) and reused by later runs. The 4x input
has four parts per month; the 1x input hard-links the first part of each month, so both give the same
series and only the number of line items changes.

Usage: ``python benchmarks/bench_prepare.py [--scales 1,4] [--methods prepare,duckdb_same_keys] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
METHODS = ("prepare", "pandas", "duckdb", "duckdb_same_keys")
EXCLUDED = ("Tax", "Credit", "Refund")
SPEC = {"months": 24, "accounts": 40, "resources": 3, "parts": 4, "seed": 0, "version": 1}


def _data(out: Path, months: int = SPEC["months"]) -> dict[str, Path]:
    """Write (or reuse) the 4x export and the hard-linked 1x view of it (``months`` of hourly usage)."""
    from forecasting.billing.large import write_large_cur2

    big, small, marker = out / "cur2_4x", out / "cur2_1x", out / "data.json"
    wanted = {**SPEC, "months": months}
    if not (marker.exists() and json.loads(marker.read_text()) == wanted):
        import shutil

        shutil.rmtree(big, ignore_errors=True)
        shutil.rmtree(small, ignore_errors=True)
        start = time.perf_counter()
        spec = {k: v for k, v in wanted.items() if k != "version"}
        export = write_large_cur2(big, **spec)
        print(f"generated {export.rows:,} line items in {len(export.files)} files in "
              f"{time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
        for path in export.files:
            if path.name.endswith("-00001.snappy.parquet"):
                target = small / path.relative_to(big)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(path, target)
        marker.write_text(json.dumps(wanted))
    return {"1": small, "4": big}


def _pandas(src: Path) -> tuple[int, float]:
    import pandas as pd

    cols = ["product_product_name", "line_item_usage_account_id", "line_item_line_item_type",
            "line_item_usage_start_date", "line_item_unblended_cost"]  # fmt: skip
    df = pd.read_parquet(src, columns=cols)
    df = df[~df["line_item_line_item_type"].isin(EXCLUDED)]
    day = df["line_item_usage_start_date"].dt.floor("D")
    out = df.groupby(["product_product_name", "line_item_usage_account_id", day])[
        "line_item_unblended_cost"
    ].sum()
    return len(df), float(out.sum())


def _duckdb(src: Path, same_keys: bool) -> tuple[int, float]:
    import duckdb

    con = duckdb.connect(config={"preserve_insertion_order": False})
    con.execute("SET enable_progress_bar = false")
    files = f"read_parquet('{src.as_posix()}/**/*.parquet')"
    if same_keys:
        query = f"""
            SELECT product_product_name, line_item_usage_account_id, line_item_line_item_type,
                   line_item_currency_code, epoch_us(line_item_usage_start_date) // 86400000000 AS b0,
                   (epoch_us(line_item_usage_end_date) - 1) // 86400000000 + 1 AS b1, count(*) AS n,
                   sum(CAST(line_item_unblended_cost AS DECIMAL(38, 12))) AS cost,
                   max(epoch_us(line_item_usage_end_date)) AS max_end
            FROM {files} GROUP BY ALL"""
        df = con.sql(query).df()
        kept = ~df["line_item_line_item_type"].isin(EXCLUDED)
        return int(df["n"].sum()), float(df.loc[kept, "cost"].astype(float).sum())
    query = f"""
        SELECT product_product_name, line_item_usage_account_id,
               date_trunc('day', line_item_usage_start_date) AS ds, sum(line_item_unblended_cost) AS y
        FROM {files} WHERE line_item_line_item_type NOT IN {EXCLUDED} GROUP BY ALL"""
    df = con.sql(query).df()
    rows = con.sql(f"SELECT count(*) FROM {files}").fetchall()[0][0]
    return int(rows), float(df["y"].sum())


def _run_one(method: str, src: Path, out: Path) -> None:
    """Child process: run one method, print a JSON line with seconds, rows and peak RSS."""
    import duckdb  # noqa: F401  (imports are not part of the timing)
    import pandas  # noqa: F401

    from forecasting.cli import build_parser, main

    build_parser()  # imports every sub-command's modules now, outside the timing

    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    if method == "prepare":
        target, report_path = out / "series.parquet", out / "report.json"
        args = ["prepare", str(src), "-o", str(target), "--no-progress", "--report", str(report_path)]
        assert main(args) == 0
        report = json.loads(report_path.read_text())
        rows, total = report["rows"], report["series_total"]
    elif method == "pandas":
        rows, total = _pandas(src)
    else:
        rows, total = _duckdb(src, same_keys=method == "duckdb_same_keys")
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu, rss = usage.ru_utime + usage.ru_stime - cpu0, usage.ru_maxrss * 1024
    print(
        json.dumps(
            {"method": method, "seconds": seconds, "cpu": cpu, "rows": rows, "total": total, "rss": rss}
        )
    )


def _child(method: str, src: Path, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", method, "--input", str(src), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{method} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# The same-work query as a user would run it: a fresh interpreter that imports DuckDB and runs it.
_QUERY_PROCESS = (
    "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
    "from bench_prepare import _duckdb; print(_duckdb(Path(sys.argv[2]), same_keys=True))"
)
PROCESS_METHODS = ("prepare", "duckdb_same_keys")


def _command(name: str) -> list[str]:
    """The installed console script beside this interpreter, else ``python -m`` of its package."""
    script = Path(sys.executable).with_name(name)
    return [str(script)] if script.exists() else [sys.executable, "-m", {"forecast": "forecasting"}[name]]


def _process(method: str, src: Path, out: Path) -> float:
    """Wall seconds of one whole process doing ``method``: interpreter start, imports and work."""
    if method == "prepare":
        target, report = out / "series_process.parquet", out / "report_process.json"
        cmd = [*_command("forecast"), "prepare", str(src), "-o", str(target), "--no-progress"]
        cmd += ["--report", str(report)]
    else:
        cmd = [sys.executable, "-c", _QUERY_PROCESS, str(HERE), str(src)]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{method} (whole process) failed:\n{done.stdout}\n{done.stderr}")
    return seconds


def _pandas_fits(results: dict[str, dict[str, dict]], scale: str) -> bool:
    """Whether pandas at ``scale`` should fit in free memory, judged from its 1x peak RSS."""
    import psutil

    if scale == "1" or "pandas" not in results.get("1", {}):
        return True
    need = results["1"]["pandas"]["rss"] * int(scale)
    return need < 0.8 * psutil.virtual_memory().available


def _machine() -> str:
    import psutil

    mem = psutil.virtual_memory().total / 2**30
    cpu = platform.processor() or platform.machine()
    python = platform.python_version()
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Linux {platform.release()}, Python {python}"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a Markdown table of the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "out" / "prepare"), help="data and outputs folder")
    parser.add_argument("--scales", default="1,4", help="input sizes to run (1 and/or 4)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per method, best kept (pandas: 1)")
    parser.add_argument(
        "--months", type=int, default=SPEC["months"], help="months of usage (24: 1x = 21M rows; 6: 5.3M)"
    )
    parser.add_argument(
        "--methods",
        default=",".join(METHODS),
        help=f"comma list of in-process methods (default: {','.join(METHODS)})",
    )
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.child:
        _run_one(args.child, Path(args.input), out)
        return 0
    methods = [m for m in METHODS if m in args.methods.split(",")]
    if "prepare" not in methods or "duckdb_same_keys" not in methods:
        parser.error("--methods must include prepare and duckdb_same_keys (the ratios compare with them)")
    out.mkdir(parents=True, exist_ok=True)
    data = _data(out, args.months)
    results: dict[str, dict[str, dict]] = {}
    for scale in args.scales.split(","):
        results[scale] = {}
        for method in methods:
            if method == "pandas" and not _pandas_fits(results, scale):
                print(f"{scale}x pandas skipped: its 1x peak memory x{scale} would not fit", flush=True)
                continue
            # Best of several runs: the machine is shared, and the best run is the least disturbed one.
            runs = [_child(method, data[scale], out) for _ in range(1 if method == "pandas" else args.repeat)]
            r = min(runs, key=lambda x: x["seconds"])
            r["cpu"] = min(x["cpu"] for x in runs)
            r["rss"] = max(x["rss"] for x in runs)
            results[scale][method] = r
            rate = r["rows"] / r["seconds"] / 1e6
            print(f"{scale}x {method:<17} {r['rows']:>12,} rows {r['seconds']:7.2f} s "
                  f"({r['cpu']:6.2f} s CPU) {rate:6.1f} M rows/s  peak RSS {r['rss'] / 2**20:7.0f} MB",
                  flush=True)  # fmt: skip
        # Whole processes, alternated so that a burst of load on the shared machine hits both alike.
        process: dict[str, list[float]] = {m: [] for m in PROCESS_METHODS}
        for _ in range(args.repeat):
            for method in PROCESS_METHODS:
                process[method].append(_process(method, data[scale], out))
        for method, times in process.items():
            results[scale][method]["process_seconds"] = min(times)
        p, q = (results[scale][m]["process_seconds"] for m in PROCESS_METHODS)
        print(f"{scale}x whole process: prepare {p:.2f} s, duckdb_same_keys query {q:.2f} s, "
              f"ratio {p / q:.2f}", flush=True)  # fmt: skip
        totals = {m: r["total"] for m, r in results[scale].items()}
        spread = max(totals.values()) - min(totals.values())
        assert spread < 1e-6 * max(abs(t) for t in totals.values()), f"methods disagree: {totals}"
    print(_table(results))
    (out / "results.json").write_text(json.dumps({"machine": _machine(), "results": results}, indent=2))
    return 0


def _ratio(mine: float, other: float) -> str:
    return f"{other / mine:.2f}x faster" if other > mine else f"{mine / other:.2f}x slower"


def _table(results: dict[str, dict[str, dict]]) -> str:
    lines = [
        f"Run {time.strftime('%Y-%m-%d')} on {_machine()}.",
        "",
        "| input | method | line items | wall s | CPU s | M rows/s | peak RSS MB | prepare (wall; CPU) "
        "| whole process s |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for scale, by_method in results.items():
        base = by_method["prepare"]
        for method, r in by_method.items():
            ratio = (
                ""
                if method == "prepare"
                else (f"{_ratio(base['seconds'], r['seconds'])}; {_ratio(base['cpu'], r['cpu'])}")
            )
            rate = r["rows"] / r["seconds"] / 1e6
            whole = f"{r['process_seconds']:.2f}" if "process_seconds" in r else ""
            lines.append(f"| {scale}x | {method} | {r['rows']:,} | {r['seconds']:.2f} | {r['cpu']:.2f} | "
                         f"{rate:.1f} | {r['rss'] / 2**20:.0f} | {ratio} | {whole} |")  # fmt: skip
    lines.append("")
    for scale, by_method in results.items():
        p, q = (by_method[m]["process_seconds"] for m in PROCESS_METHODS)
        lines.append(
            f"{scale}x whole process (imports included): prepare {p:.2f} s / duckdb_same_keys query "
            f"{q:.2f} s = {p / q:.2f}x"
        )
    if "1" in results and "4" in results:
        a, b = results["1"]["prepare"], results["4"]["prepare"]
        lines += [
            "",
            f"prepare peak RSS 4x / 1x: {b['rss'] / a['rss']:.2f} (line items x{b['rows'] / a['rows']:.1f})",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
