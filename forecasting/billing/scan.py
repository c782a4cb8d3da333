"""Scan an export with DuckDB into a small aggregate table: the only pass over the line items.

Every part is read once by a streaming ``GROUP BY`` whose keys are the series dimensions, the charge type,
the currency and the start and end period of each line item (in whole base units since the epoch, UTC).
Memory therefore depends on the number of series and periods, never on the number of line items. Costs
are summed as ``DECIMAL(38, 12)``, so totals are exact and independent of thread scheduling. Rows whose
timestamp or cost does not parse are kept apart by an error code in the key, and explained afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
from tqdm.auto import tqdm

from forecasting.billing.diagnose import (
    ERR_BAD_COST,
    ERR_BAD_END,
    ERR_BAD_START,
    ERR_NO_START,
    explain_errors,
)
from forecasting.billing.files import ExportFiles
from forecasting.billing.formats import MONEY, Col, Columns, ExportFormat, Source, quote, source_label
from forecasting.billing.schema import FileSchema, check_column_types, closest_columns, source_sql
from forecasting.errors import DataError
from forecasting.measures import MeasureSQL, measure_sql

__all__ = ["ScanSpec", "ScanResult", "scan_export"]

AGG = "billing_agg"
RESULT = "billing_scan"
MAX_BATCHES = 24  # progress granularity; each batch is one streaming query over several parts
MIN_BATCH = 8  # small parts: fewer, larger queries (each query costs a few milliseconds to plan)


@dataclass(frozen=True)
class ScanSpec:
    """What to aggregate: the format, the dimensions, the measure and the base period in microseconds."""

    fmt: ExportFormat
    dims: tuple[str, ...]
    measure: str
    unit_us: int


@dataclass(frozen=True)
class ScanResult:
    """The aggregate left in DuckDB table :data:`RESULT` and what was read.

    The table has one row per ``(d0.., charge_type, currency, b0, b1)`` with ``n`` line items, their exact
    ``cost`` sum, ``max_end`` and ``min_start`` (microseconds, UTC). ``b0``/``b1`` are the first and the
    one-past-last base period each line item touches.
    """

    table: str
    rows: int
    measure_label: str
    columns: dict[str, str]  # dimension -> how it was read, e.g. "service" -> "product/ProductName"


def _first_column(sources: tuple[Source, ...], cols: Columns) -> str | None:
    return next((s.name for s in sources if isinstance(s, Col) and s.name in cols.types), None)


def _check_columns(schemas: Sequence[FileSchema], spec: ScanSpec) -> None:
    """Every part must have the start, the charge type, the measure's columns and the (non-tag) dimensions."""
    needs: list[tuple[str, tuple[Source, ...]]] = [
        ("the usage start time", spec.fmt.start),
        ("the charge type", spec.fmt.charge_type),
    ]
    needs += [
        (f"dimension {d!r}", spec.fmt.dimension_sources(d)) for d in spec.dims if not d.startswith("tag:")
    ]
    for schema in schemas:
        cols = Columns(schema.columns)
        required = measure_sql(spec.fmt, spec.measure, cols, "NULL").required
        needs_here = needs + [(f"--measure {spec.measure}", (Col(c),)) for c in required]
        for what, sources in needs_here:
            if any(cols.has(s) for s in sources):
                continue
            names = " or ".join(repr(source_label(s)) for s in sources)
            other = next((o for o in schemas if any(Columns(o.columns).has(s) for s in sources)), None)
            if other is not None:
                raise DataError(
                    f"parts whose schemas disagree: {schema.path} has no column {names} ({what}) but "
                    f"{other.path} has. Fix: re-export the odd part with the same columns, or prepare the "
                    "parts separately."
                )
            first = source_label(sources[0])
            near = closest_columns(first, schema.columns)
            hint = f" Closest columns present: {', '.join(near)}." if near else ""
            raise DataError(
                f"{schema.path}: missing column {names}, needed for {what} ({spec.fmt.label} export).{hint} "
                "Fix: use an export that includes it, pick other --dims/--measure, or pass --format if "
                "the format was misdetected."
            )


def _batches(schemas: Sequence[FileSchema]) -> list[list[FileSchema]]:
    size = max(MIN_BATCH, math.ceil(len(schemas) / MAX_BATCHES))
    batches: list[list[FileSchema]] = []
    for schema in schemas:
        last = batches[-1] if batches else None
        if last is not None and len(last) < size and last[0].columns == schema.columns:
            last.append(schema)
        else:
            batches.append([schema])
    return batches


def _batch_query(batch: list[FileSchema], kind: str, spec: ScanSpec, index: int) -> tuple[str, MeasureSQL]:
    cols = Columns(batch[0].columns)
    charge = f"COALESCE({cols.first(spec.fmt.charge_type) or 'NULL'}, '(none)')"
    measure = measure_sql(spec.fmt, spec.measure, cols, charge)
    start = _first_column(spec.fmt.start, cols)
    assert start is not None  # checked by _check_columns
    end = _first_column(spec.fmt.end, cols)
    dims = [
        f"{cols.first(spec.fmt.dimension_sources(d)) or 'NULL'} AS d{i}, " for i, d in enumerate(spec.dims)
    ]
    currency = cols.first(spec.fmt.currency) or "NULL"
    # Flags that tell an unparseable value from an absent one; constant for typed (Parquet) columns.
    s, e = quote(start), quote(end) if end else "NULL"
    no_start = f"({s} IS NULL OR TRIM({s}) = '')" if cols.types[start] == "VARCHAR" else "TRUE"
    end_given = f"({e} IS NOT NULL AND TRIM({e}) <> '')" if end and cols.types[end] == "VARCHAR" else "FALSE"
    cost_bad = " OR ".join(b for c in measure.columns if (b := cols.bad_money(c))) or "FALSE"
    rows = f"""
        SELECT {"".join(dims)}{charge} AS charge_type, {currency} AS currency,
               {cols.time_us(start)} AS s_us, {cols.time_us(end) if end else "NULL"} AS e_us,
               {measure.expression} AS cost, {no_start} AS no_start, {end_given} AS end_given,
               {cost_bad} AS cost_bad
        FROM {source_sql([str(x.path) for x in batch], kind, union=False)}"""
    keys = "".join(f"d{i}, " for i in range(len(spec.dims)))
    unit = spec.unit_us
    query = f"""
        INSERT INTO {AGG}
        SELECT {index} AS batch, {keys}charge_type, currency,
               CASE WHEN s_us IS NULL THEN (CASE WHEN no_start THEN {ERR_NO_START} ELSE {ERR_BAD_START} END)
                    WHEN end_given AND e_us IS NULL THEN {ERR_BAD_END}
                    WHEN cost_bad THEN {ERR_BAD_COST} ELSE 0 END AS err,
               s_us // {unit} AS b0,
               greatest((coalesce(e_us, s_us) - 1) // {unit} + 1, s_us // {unit} + 1) AS b1,
               count(*) AS n, sum(cost) AS cost, max(coalesce(e_us, s_us)) AS max_end, min(s_us) AS min_start
        FROM ({rows}) GROUP BY ALL"""
    return query, measure


def scan_export(
    con: duckdb.DuckDBPyConnection,
    export: ExportFiles,
    schemas: Sequence[FileSchema],
    spec: ScanSpec,
    *,
    progress: bool = False,
) -> ScanResult:
    """Aggregate every part of ``export`` into table :data:`RESULT` (see :class:`ScanResult`).

    Raises:
        DataError: Missing columns, disagreeing parts, unparseable timestamps or costs, repeated CSV
            header rows, or line items whose measure needs a column the part lacks.
    """
    _check_columns(schemas, spec)
    first = Columns(schemas[0].columns)
    used = [c for c in (_first_column(spec.fmt.start, first), _first_column(spec.fmt.end, first)) if c]
    used += list(measure_sql(spec.fmt, spec.measure, first, "NULL").columns)
    check_column_types(schemas, used)
    dim_cols = ", ".join(f"d{i} VARCHAR" for i in range(len(spec.dims)))
    con.execute(f"DROP TABLE IF EXISTS {AGG}")
    con.execute(
        f"CREATE TEMP TABLE {AGG} (batch INTEGER, {dim_cols + ', ' if dim_cols else ''}charge_type VARCHAR, "
        f"currency VARCHAR, err INTEGER, b0 BIGINT, b1 BIGINT, n BIGINT, cost {MONEY}, max_end BIGINT, "
        "min_start BIGINT)"
    )
    batches = _batches(schemas)
    measures: list[MeasureSQL] = []
    bar = tqdm(total=len(schemas), unit="file", desc="scan", disable=not progress, leave=False)
    try:
        for index, batch in enumerate(batches):
            query, measure = _batch_query(batch, export.kind, spec, index)
            measures.append(measure)
            try:
                con.execute(query)
            except duckdb.Error as exc:
                names = ", ".join(str(s.path) for s in batch[:3]) + (", ..." if len(batch) > 3 else "")
                raise DataError(
                    f"{names}: cannot be read ({str(exc).splitlines()[0]}). "
                    "Fix: re-download these parts, or move them out of the input folder."
                ) from exc
            bar.update(len(batch))
    finally:
        bar.close()
    explain_errors(con, AGG, export, schemas, spec)
    _check_needs(con, batches, measures, spec)
    keys = ", ".join(f"d{i}" for i in range(len(spec.dims)))
    con.execute(f"DROP TABLE IF EXISTS {RESULT}")
    con.execute(
        f"""CREATE TEMP TABLE {RESULT} AS
        SELECT {keys + ", " if keys else ""}charge_type, currency, b0, b1, CAST(sum(n) AS BIGINT) AS n,
               CAST(sum(cost) AS {MONEY}) AS cost, max(max_end) AS max_end, min(min_start) AS min_start
        FROM {AGG} GROUP BY ALL ORDER BY ALL"""
    )
    rows = con.execute(f"SELECT COALESCE(sum(n), 0) FROM {RESULT}").fetchone()
    described = {d: " or ".join(source_label(s) for s in spec.fmt.dimension_sources(d)) for d in spec.dims}
    return ScanResult(RESULT, int(rows[0]) if rows else 0, measures[0].label, described)


def _check_needs(
    con: duckdb.DuckDBPyConnection,
    batches: list[list[FileSchema]],
    measures: list[MeasureSQL],
    spec: ScanSpec,
) -> None:
    present = con.execute(f"SELECT batch, charge_type, sum(n) FROM {AGG} GROUP BY ALL").fetchall()
    for batch_index, charge_type, count in present:
        cols = batches[batch_index][0].columns
        for column in measures[batch_index].needs.get(charge_type, ()):
            if column not in cols:
                raise DataError(
                    f"{batches[batch_index][0].path}: {count} line items of type {charge_type!r} but no "
                    f"column {column!r}, which their --measure {spec.measure} cost comes from. "
                    "Fix: include that column in the export, or use --measure unblended."
                )
