"""Billing export in, cost series out: ``prepare_series`` ties discovery, scan, series and reconciliation.

Example:
    >>> from forecasting import prepare_series
    >>> result = prepare_series("data/bills/cur2")  # doctest: +SKIP
    >>> print(result.report.summary())  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
import warnings
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import numpy as np
import pandas as pd

from forecasting.billing.detect import detect_format, format_of_columns
from forecasting.billing.diagnose import currency_file
from forecasting.billing.files import ExportFiles, find_export_files
from forecasting.billing.formats import Col
from forecasting.billing.scan import ScanResult, ScanSpec, scan_export
from forecasting.billing.schema import read_schemas
from forecasting.charges import ChargeSelection, charge_category, parse_patterns
from forecasting.errors import DataError, DataWarning
from forecasting.interface import setting
from forecasting.measures import check_measure
from forecasting.options import DEFAULT_DIMS
from forecasting.reconcile import ChargeTotal, PrepareReport
from forecasting.series import base_unit_us, build_series, normalize_freq, pandas_freq

__all__ = [
    "PrepareResult",
    "prepare_series",
    "require_series",
    "is_billing_export",
    "parse_dims",
    "DEFAULT_DIMS",
]

DAY_US = 86_400_000_000


@dataclass(frozen=True)
class PrepareResult:
    """Prepared series and the reconciliation report.

    Attributes:
        series: Long frame ``unique_id, ds, y`` plus one column per dimension; ``ds`` is datetime64 (naive,
            in the requested time zone), ``y`` float, sorted by ``unique_id, ds``.
        report: What was read, kept and left out (:class:`~forecasting.reconcile.PrepareReport`).
        freq: The pandas frequency of ``ds`` (``h``, ``D``, ``W-MON`` or ``MS``).
    """

    series: pd.DataFrame
    report: PrepareReport
    freq: str


def parse_dims(dims: str | Iterable[str] | None) -> tuple[str, ...]:
    """Dimensions from ``"service,account"`` or a sequence; ``()`` gives one total series.

    Example:
        >>> parse_dims("service, account,tag:team")
        ('service', 'account', 'tag:team')
    """
    if dims is None:
        return DEFAULT_DIMS
    items = dims.split(",") if isinstance(dims, str) else list(dims)
    out = tuple(d.strip() for d in items if d.strip())
    if len(set(out)) != len(out):
        raise DataError(f"repeated dimension in {dims!r}. Fix: name each dimension once.")
    return out


def _check_tz(tz: str) -> str:
    if tz.upper() == "UTC":
        return "UTC"
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise DataError(
            f"unknown time zone {tz!r}. Fix: use an IANA name such as Europe/Paris or UTC."
        ) from exc
    return tz


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"preserve_insertion_order": False})
    # Text timestamps without an offset are UTC, as in every AWS and FOCUS export.
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # our own tqdm bar, when asked for
    return con


def is_billing_export(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a raw billing export (legacy CUR, CUR 2.0, FOCUS) rather than prepared series.

    Only the column names of the first data file are read. A file or folder with ``unique_id``, ``ds``
    and ``y`` columns, or with columns of no known export format, is not a billing export.
    """
    try:
        export = find_export_files(path)
        con = duckdb.connect()
        try:
            schema = read_schemas(con, ExportFiles(export.root, export.files[:1], export.kind, ()))[0]
        finally:
            con.close()
    except DataError:
        return False
    columns = schema.columns
    if {"unique_id", "ds", "y"} <= set(columns):
        return False
    return format_of_columns(columns) is not None


def prepare_series(
    path: str | os.PathLike[str],
    *,
    dims: str | Sequence[str] | None = DEFAULT_DIMS,
    measure: str = "unblended",
    freq: str = "D",
    charges: str = "usage",
    include_charges: str | Sequence[str] = (),
    exclude_charges: str | Sequence[str] = (),
    tz: str = "UTC",
    currency: str | None = None,
    spread: str = "even",
    format: str | None = None,
    progress: bool = False,
    scanner: Callable[..., ScanResult] = scan_export,
) -> PrepareResult:
    """Read a billing export and build reconciled cost series.

    Args:
        path: An export file or folder (legacy CUR CSV/CSV.gz, CUR 2.0 Parquet, FOCUS CSV/Parquet).
        dims: Dimensions of a series: ``service``, ``account``, ``account_name``, ``payer``, ``region``,
            ``usage_type``, ``operation``, ``product_code``, ``charge_type``, ``availability_zone``,
            ``resource``, ``provider``, ``tag:KEY`` or any column name. Defaults to service and account.
        measure: ``unblended`` (default), ``net_unblended``, ``amortized``, ``effective`` or ``billed``
            (see :data:`forecasting.measures.MEASURES`).
        freq: ``D`` (default), ``H``, ``W`` (weeks starting Monday) or ``M``.
        charges: ``usage`` (default: all but tax, credits, refunds, adjustments), ``all``, or patterns.
        include_charges: Charge type patterns added to the selection.
        exclude_charges: Charge type patterns removed from the selection.
        tz: Time zone of the periods (default UTC, as AWS bills).
        currency: The billing currency to read when the export has several (an error otherwise).
        spread: ``even`` (default) spreads multi-period line items over their periods; ``start`` puts
            them whole in the period of their start.
        format: ``cur_legacy``, ``cur2`` or ``focus`` to skip detection.
        progress: Show a progress bar over the parts.
        scanner: What aggregates the parts, called as ``scanner(con, export, schemas, spec,
            progress=progress)`` like :func:`~forecasting.billing.scan.scan_export` (the default). Another
            engine can scan groups of parts elsewhere with :func:`~forecasting.billing.scan.scan_parts`
            and combine them in ``con`` with :func:`~forecasting.billing.scan.merge_scans`.

    Returns:
        The series and the reconciliation report.

    Raises:
        DataError: Bad arguments or bad input (missing columns, unparseable values, mixed currencies,
            empty or corrupt files, disagreeing parts), naming the file, column, value and the fix.
    """
    began = time.perf_counter()
    dim_names = parse_dims(dims)
    freq, tz = normalize_freq(freq), _check_tz(tz)
    check_measure(measure)
    if spread not in ("even", "start"):
        raise DataError(f"unknown spread {spread!r}. Fix: use even or start.")
    selection = ChargeSelection(charges, parse_patterns(include_charges), parse_patterns(exclude_charges))
    export = find_export_files(path)
    con = _connect()
    try:
        schemas = read_schemas(con, export)
        fmt = detect_format(schemas, format)
        unit = base_unit_us(freq, tz)
        scan = scanner(con, export, schemas, ScanSpec(fmt, dim_names, measure, unit), progress=progress)
        agg, keys, totals = _fetch(con, scan, dim_names)
        currency_col = next((s.name for s in fmt.currency if isinstance(s, Col)), "")
        chosen, others = _choose_currency(con, export, totals, currency, currency_col)
    finally:
        con.close()
    mine = agg["currency"].isna() | (agg["currency"] == chosen)
    agg, totals = agg[mine], totals[totals["currency"].isna() | (totals["currency"] == chosen)]
    if agg["n"].sum() == 0:
        raise DataError(
            f"{export.root}: no line items in the export. Fix: check that the files hold data rows."
        )
    by_type = _charge_totals(totals, selection)
    included = {c.charge_type for c in by_type if c.included}
    # Coverage: the latest end of usage-like (at most a day long) line items; line items without an end
    # count as ending at their start period's end.
    ends = agg["max_end"].fillna((agg["b0"] + 1) * unit)
    short = ((agg["b1"] - agg["b0"]) * unit <= DAY_US) | agg["b1"].isna()
    coverage_end = int(ends[short].max() if short.any() else ends.max())
    built = build_series(agg[agg["charge_type"].isin(included)], keys, freq=freq, tz=tz, spread=spread,
                         unit_us=unit, coverage_end_us=coverage_end)  # fmt: skip
    series = built.frame
    notes = []
    if built.partial is not None:
        notes.append(
            f"the last {normalize_freq(freq)} period {built.partial.date()} is partial (the export ends at "
            f"{_utc(coverage_end)} UTC); it was dropped, see 'after last period' in the reconciliation"
        )
        warnings.warn(notes[-1], DataWarning, stacklevel=2)
    report = PrepareReport(
        source=str(path), format=fmt.label, measure=measure, measure_column=scan.measure_label,
        charges=selection.describe(), dims=dim_names, dim_columns=scan.columns, freq=freq, tz=tz,
        spread=spread, files_read=[str(p) for p in export.files],
        files_skipped=[(str(s.path), s.reason) for s in export.skipped], bytes_read=export.total_bytes,
        rows=int(agg["n"].sum()), data_start=_utc(int(agg["b0"].min()) * unit), data_end=_utc(coverage_end),
        currency=chosen or "(unspecified)", input_total=sum((c.total for c in by_type), Decimal(0)),
        by_charge_type=by_type, beyond_count=built.beyond_count, beyond_total=built.beyond_total,
        cut=_day(built.cut), partial_period=_day(built.partial), series_total=float(series["y"].sum()),
        n_series=int(series["unique_id"].nunique()), n_points=len(series), zero_filled=built.zero_filled,
        first_ds=_day(series["ds"].min()) if len(series) else None,
        last_ds=_day(series["ds"].max()) if len(series) else None, seconds=time.perf_counter() - began,
        other_currencies=others, warnings=notes,
    )  # fmt: skip
    return PrepareResult(series, report, pandas_freq(freq))


def require_series(result: PrepareResult) -> PrepareResult:
    """``result`` if it holds at least one series point, else a one-line error saying why and the fix.

    An export can be valid and still hold nothing to forecast: only refunds and credits (excluded by
    the default ``charges="usage"``), or line items that all fall in a partial last period. Its
    reconciliation is still worth reading, so :func:`prepare_series` returns it; what needs series
    (``forecast prepare``, :func:`forecasting.load_series`) calls this.

    Raises:
        DataError: Naming the charge types found with their counts and totals, and the fix
            (``charges='all'`` / ``--charges all``).
    """
    if len(result.series):
        return result
    report = result.report
    unit = "" if report.currency.startswith("(") else f" {report.currency}"
    by_type = report.by_charge_type
    found = ", ".join(f"{c.charge_type} ({c.count:,} line items, {c.total:,.2f}{unit})" for c in by_type)
    kept = [c for c in by_type if c.included]
    if not kept:
        types = ",".join(c.charge_type for c in by_type)
        raise DataError(
            f"{report.source}: nothing to forecast: no line item is of the selected charge types, "
            f"{report.charges}; found only {found}, input total {report.input_total:,.2f}{unit}. Fix: pass "
            f"{setting('charges', 'all')} to forecast every charge (or {setting('include_charges', types)})"
        )
    period = f" (the partial period {report.partial_period})" if report.partial_period else ""
    raise DataError(
        f"{report.source}: nothing to forecast: the {sum(c.count for c in kept):,} selected line items fall "
        f"after the last complete {report.freq} period{period}; found {found}. Fix: export a longer stretch "
        f"of time, or pass a finer {setting('freq')}"
    )


def _fetch(
    con: duckdb.DuckDBPyConnection, scan: ScanResult, dims: tuple[str, ...]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The aggregate (numbers, with charge type and currency as categories), series keys, exact totals."""
    columns = "sid, charge_type, currency, b0, b1, n, CAST(cost AS DOUBLE) AS y, max_end"
    agg = (
        con.sql(f"SELECT {columns} FROM {scan.table}").to_arrow_table().to_pandas(strings_to_categorical=True)
    )
    keys = con.sql(f"SELECT * FROM {scan.keys} ORDER BY sid").df().drop(columns="sid")
    keys.columns = list(dims) if dims else keys.columns
    keys = keys[list(dims)]
    totals = con.execute(
        f"SELECT currency, charge_type, sum(n) AS n, sum(cost) AS total FROM {scan.table} GROUP BY ALL"
    ).fetchall()
    frame = pd.DataFrame(totals, columns=["currency", "charge_type", "n", "total"], dtype=object)
    return agg, keys, frame


def _choose_currency(
    con: duckdb.DuckDBPyConnection, export: ExportFiles, totals: pd.DataFrame, wanted: str | None, column: str
) -> tuple[str | None, dict[str, tuple[int, Decimal]]]:
    counts = totals.dropna(subset=["currency"]).groupby("currency")
    seen = {str(k): (int(g["n"].sum()), sum(g["total"], Decimal(0))) for k, g in counts}
    if wanted is not None:
        if wanted not in seen:
            raise DataError(
                f"{export.root}: no line items in currency {wanted!r} (found: "
                f"{', '.join(sorted(seen)) or 'none'}). Fix: pass one of the currencies found to --currency."
            )
        return wanted, {k: v for k, v in seen.items() if k != wanted}
    if len(seen) > 1:
        ranked = sorted(seen, key=lambda k: -seen[k][0])
        examples = "; ".join(
            f"{k}: {seen[k][0]:,} line items, e.g. in {currency_file(con, export, column, k)}"
            for k in ranked[:3]
        )
        raise DataError(
            f"mixed currencies in column {column!r} ({examples}); amounts in different currencies are never "
            f"added up. Fix: pass --currency {ranked[0]} (or another) to prepare one currency at a time."
        )
    return (next(iter(seen)) if seen else None), {}


def _charge_totals(totals: pd.DataFrame, selection: ChargeSelection) -> list[ChargeTotal]:
    grouped: dict[str, tuple[int, Decimal]] = {}
    for kind, n, total in zip(totals["charge_type"], totals["n"], totals["total"], strict=True):
        count, acc = grouped.get(str(kind), (0, Decimal(0)))
        grouped[str(kind)] = (count + int(n), acc + (Decimal(total) if total is not None else Decimal(0)))
    return [
        ChargeTotal(k, charge_category(k), n, t, selection.selects(k))
        for k, (n, t) in sorted(grouped.items(), key=lambda kv: -abs(kv[1][1]))
    ]


def _utc(us: int) -> str:
    return str(pd.Timestamp(np.datetime64(int(us), "us")))


def _day(value: pd.Timestamp | None) -> str | None:
    if value is None or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    return str(ts.date()) if ts == ts.normalize() else str(ts)
