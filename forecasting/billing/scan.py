"""Scan an export with DuckDB into a small aggregate table: the only pass over the line items.

Every part is read once by a streaming ``GROUP BY`` whose keys are the series dimensions, the charge type,
the currency and the start and end period of each line item (in whole base units since the epoch, UTC).
Memory therefore depends on the number of series and periods, never on the number of line items. Costs
are summed exactly, so totals are exact and independent of thread scheduling: float (Parquet ``DOUBLE``)
costs as integer multiples of 1e-12, the value a ``DECIMAL(38, 12)`` cast gives, at a fraction of the
cost of decimal arithmetic; text and decimal costs, and floats too large for that, as ``DECIMAL(38, 12)``.
The Parquet footers trim the keys further: a currency they show to be the same on every row is a
constant, and a dimension column they show is never empty makes its fallback columns unnecessary.
Rows whose timestamp or cost does not parse are kept apart by an error code in the key, and explained
afterwards.

:func:`scan_export` scans every part in one DuckDB connection. To scan groups of parts apart (e.g. on
several machines), :func:`scan_parts` returns the partial aggregate of a group as an Arrow table and
:func:`merge_scans` combines such tables into the same result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa
from tqdm.auto import tqdm

from costrec.progress import progress_enabled
from forecasting.billing.diagnose import (
    ERR_BAD_COST,
    ERR_BAD_END,
    ERR_BAD_START,
    explain_errors,
    unknown_dimension,
    unreadable_parts,
)
from forecasting.billing.files import ExportFiles
from forecasting.billing.formats import MONEY, Col, Columns, Const, ExportFormat, Source, quote, source_label
from forecasting.billing.schema import (
    FileSchema,
    check_column_types,
    closest_columns,
    source_sql,
    sql_str,
)
from forecasting.errors import DataError
from forecasting.measures import MeasureSQL, float_money, measure_sql

__all__ = ["ScanSpec", "ScanResult", "scan_export", "scan_parts", "merge_scans"]

AGG = "billing_agg"
RESULT = "billing_scan"
KEYS = "billing_series"
NORM = "billing_norm"
PARTS = "billing_parts"
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
    """The aggregate left in DuckDB tables :data:`RESULT` and :data:`KEYS`, and what was read.

    :data:`KEYS` has one row per series: ``sid`` and its dimension values ``d0..``. :data:`RESULT` has one
    row per ``(sid, charge_type, currency, b0, b1)`` with ``n`` line items, their exact ``cost`` sum and
    the latest end ``max_end`` (microseconds, UTC). ``b0``/``b1`` are the first and the one-past-last base
    period of the line items (``b1`` is NULL without an end time).
    """

    table: str
    keys: str
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
    dims_by_need = {f"dimension {d!r}": d for d in spec.dims}
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
            dimension = dims_by_need.get(what)
            typo = None if dimension is None else unknown_dimension(spec.fmt, spec.dims, dimension, schema)
            if typo is not None:
                raise typo
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


def _dimension_keys(spec: ScanSpec, cols: Columns, footers: Mapping[str, Footer]) -> list[str]:
    """One key expression per candidate source of every dimension (``NULL`` when absent in this part).

    Keys are raw column values: Parquet dictionary columns group without per-row string work. Empty
    values and fallbacks between candidates are resolved after the aggregation (see :data:`NORM`). Map
    and JSON sources, which cost a lookup per row, are read only when no plain column of the dimension is
    present, and no candidate is read after a column that the footers show is never empty.
    """
    keys = []
    for d in spec.dims:
        plain_before = False  # a plain column of higher priority is present
        full_before = False  # ... and it has a value on every row: later candidates are never used
        for x in spec.fmt.dimension_sources(d):
            usable = cols.has(x) and (isinstance(x, Col | Const) or not plain_before) and not full_before
            keys.append(cols.text(x) if usable else "NULL")
            plain_before = plain_before or (isinstance(x, Col) and cols.has(x))
            full_before = full_before or (isinstance(x, Col) and x.name in footers and footers[x.name].full)
    return keys


@dataclass(frozen=True)
class Footer:
    """What the Parquet footer statistics of every row group prove about a flat column."""

    full: bool  # no NULL and no empty value
    constant: str | None  # the one value of every row, if so


def _footers(con: duckdb.DuckDBPyConnection, batch: list[FileSchema], kind: str) -> dict[str, Footer]:
    """:class:`Footer` of the columns of a Parquet batch ({} for CSV); columns without statistics: none.

    Every row group must have statistics. Constants need equal minimum and maximum of short values
    (writers may truncate long ones; a truncated minimum is still empty only if the value is).
    """
    if kind != "parquet":
        return {}
    files = "[" + ", ".join(sql_str(str(x.path)) for x in batch) + "]"
    rows = con.execute(
        f"""SELECT path_in_schema,
                   bool_and(stats_null_count = 0 AND stats_min_value <> ''),
                   count(DISTINCT stats_min_value) = 1 AND bool_and(stats_null_count = 0
                       AND stats_min_value = stats_max_value AND length(stats_min_value) < 32),
                   min(stats_min_value)
            FROM parquet_metadata({files}) GROUP BY path_in_schema"""
    ).fetchall()
    return {
        str(name): Footer(bool(full), str(value) if constant and value is not None else None)
        for name, full, constant, value in rows
        if name in batch[0].columns
    }


def _batch_query(
    con: duckdb.DuckDBPyConnection, batch: list[FileSchema], kind: str, spec: ScanSpec, index: int, pico: bool
) -> tuple[str, MeasureSQL]:
    cols = Columns(batch[0].columns)
    charge = cols.first(spec.fmt.charge_type) or "NULL"
    measure = measure_sql(spec.fmt, spec.measure, cols, charge, pico=pico)
    start = _first_column(spec.fmt.start, cols)
    assert start is not None  # checked by _check_columns
    end = _first_column(spec.fmt.end, cols)
    raw = [
        cols.text(x) if cols.has(x) else "NULL" for x in (*spec.fmt.charge_type[:1], *spec.fmt.currency[:1])
    ]
    footers = _footers(con, batch, kind)
    currency = spec.fmt.currency[0]
    if isinstance(currency, Col) and currency.name in footers and footers[currency.name].constant is not None:
        # One currency throughout: a constant, not a key hashed for every row.
        raw[1] = sql_str(str(footers[currency.name].constant))
    s_us = cols.time_us(start)
    e_us = cols.time_us(end) if end else "NULL"
    # Text columns can hold values that do not parse: an error code in the key keeps those rows apart.
    # Typed (Parquet) columns cannot, and the code is a constant the planner drops; a missing start time
    # then shows as a NULL period.
    s, e = quote(start), quote(end) if end else "NULL"
    checks = []
    if cols.types[start] == "VARCHAR":
        checks.append(f"WHEN s_us IS NULL AND TRIM({s}) <> '' THEN {ERR_BAD_START}")
    if end and cols.types[end] == "VARCHAR":
        checks.append(f"WHEN e_us IS NULL AND TRIM({e}) <> '' THEN {ERR_BAD_END}")
    checks += [f"WHEN {b} THEN {ERR_BAD_COST}" for c in measure.columns if (b := cols.bad_money(c))]
    err = f"CASE {' '.join(checks)} ELSE 0 END" if checks else "0"
    # Constants (absent candidates, the batch number, a typed source's error code) are added after the
    # GROUP BY: as grouping keys they would still be hashed for every row.
    inner = {f"k{n}": k for n, k in enumerate(_dimension_keys(spec, cols, footers))}
    inner |= {"charge_type": raw[0], "currency": raw[1], "err": err}
    varying = [name for name, sql in inner.items() if sql not in ("NULL", "0") and not sql.startswith("'")]
    outer = [name if name in varying else f"{inner[name]} AS {name}" for name in inner]
    unit = spec.unit_us
    # Integer sums (HUGEINT) become DECIMAL(38, 12) exactly: the integer as DECIMAL(38, 0) times 1e-12.
    total = "CAST(sum(cost) AS DECIMAL(38, 0)) * 0.000000000001" if pico else "sum(cost)"
    query = f"""
        INSERT INTO {AGG}
        SELECT {index} AS batch, {", ".join(outer)}, s_us // {unit} AS b0, (e_us - 1) // {unit} + 1 AS b1,
               count(*) AS n, {total} AS cost, max(e_us) AS max_end
        FROM (
            SELECT {s_us} AS s_us, {e_us} AS e_us, {measure.expression} AS cost
                   {"".join(f", {inner[v]} AS {v}" for v in varying)}
            FROM {source_sql([str(x.path) for x in batch], kind, union=False)}
        ) GROUP BY {", ".join([*varying, "b0", "b1"])}"""
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
    _aggregate(con, export, schemas, spec, progress)
    return _finish(con, NORM, spec)


def scan_parts(
    con: duckdb.DuckDBPyConnection,
    export: ExportFiles,
    schemas: Sequence[FileSchema],
    spec: ScanSpec,
    *,
    progress: bool = False,
) -> pa.Table:
    """The partial aggregate of some parts of an export, to combine with others by :func:`merge_scans`.

    ``export`` holds the parts of this group (its ``files``, with ``schemas`` read by
    :func:`~forecasting.billing.schema.read_schemas`). The table has one row per dimension values ``d0..``,
    ``charge_type``, ``currency``, ``b0`` and ``b1``, with ``n`` line items, their exact ``cost``
    (decimal128(38, 12)) and latest end ``max_end``; it is small (series x periods), whatever the number
    of line items.

    Raises:
        DataError: As :func:`scan_export`, for the parts of this group.
    """
    _aggregate(con, export, schemas, spec, progress)
    dims = "".join(f"d{i}, " for i in range(len(spec.dims)))
    return con.sql(
        f"""SELECT {dims}charge_type, currency, b0, b1, CAST(sum(n) AS BIGINT) AS n,
        CAST(sum(cost) AS {MONEY}) AS cost, max(max_end) AS max_end FROM {NORM} GROUP BY ALL"""
    ).to_arrow_table()


def merge_scans(con: duckdb.DuckDBPyConnection, partials: Sequence[pa.Table], spec: ScanSpec) -> ScanResult:
    """Combine partial aggregates of :func:`scan_parts` into tables :data:`RESULT` and :data:`KEYS`.

    The result is the one :func:`scan_export` gives over all the parts at once.

    Raises:
        ValueError: No partial aggregate.
    """
    if not partials:
        raise ValueError("merge_scans needs at least one partial aggregate")
    con.execute(f"DROP TABLE IF EXISTS {PARTS}")
    table = pa.concat_tables(partials, promote_options="permissive")
    con.register("billing_parts_arrow", table)
    try:
        con.execute(f"CREATE TEMP TABLE {PARTS} AS SELECT * FROM billing_parts_arrow")
    finally:
        con.unregister("billing_parts_arrow")
    return _finish(con, PARTS, spec)


def _aggregate(
    con: duckdb.DuckDBPyConnection,
    export: ExportFiles,
    schemas: Sequence[FileSchema],
    spec: ScanSpec,
    progress: bool,
) -> None:
    """Scan the parts into :data:`AGG` (one streaming query per batch), checked, and its view :data:`NORM`."""
    _check_columns(schemas, spec)
    first = Columns(schemas[0].columns)
    used = [c for c in (_first_column(spec.fmt.start, first), _first_column(spec.fmt.end, first)) if c]
    used += list(measure_sql(spec.fmt, spec.measure, first, "NULL").columns)
    check_column_types(schemas, used)
    widths = [len(spec.fmt.dimension_sources(d)) for d in spec.dims]
    key_cols = "".join(f"k{n} VARCHAR, " for n in range(sum(widths)))
    con.execute(f"DROP VIEW IF EXISTS {NORM}")
    con.execute(f"DROP TABLE IF EXISTS {AGG}")
    con.execute(
        f"CREATE TEMP TABLE {AGG} (batch INTEGER, {key_cols}charge_type VARCHAR, currency VARCHAR, "
        f"err INTEGER, b0 BIGINT, b1 BIGINT, n BIGINT, cost {MONEY}, max_end BIGINT)"
    )
    # Dimension values: the first non-empty candidate; charge type and currency without empty strings.
    dims, n = [], 0
    for i, width in enumerate(widths):
        parts = [f"NULLIF(k{n + j}, '')" for j in range(width)]
        dims.append(f"{parts[0] if width == 1 else 'COALESCE(' + ', '.join(parts) + ')'} AS d{i}, ")
        n += width
    con.execute(
        f"""CREATE TEMP VIEW {NORM} AS SELECT batch, {"".join(dims)}
        COALESCE(NULLIF(charge_type, ''), '(none)') AS charge_type, NULLIF(currency, '') AS currency, err,
        b0, b1, n, cost, max_end FROM {AGG}"""
    )
    batches = _batches(schemas)
    measures: list[MeasureSQL] = []
    bar = tqdm(
        total=len(schemas), unit="file", desc="scan", disable=not progress_enabled(progress), leave=False
    )
    try:
        for index, batch in enumerate(batches):
            measures.append(_scan_batch(con, batch, export.kind, spec, index))
            bar.update(len(batch))
    finally:
        bar.close()
    explain_errors(con, NORM, export, schemas, spec)
    _check_needs(con, batches, measures, spec)


def _scan_batch(
    con: duckdb.DuckDBPyConnection, batch: list[FileSchema], kind: str, spec: ScanSpec, index: int
) -> MeasureSQL:
    cols = Columns(batch[0].columns)
    pico = float_money(cols, measure_sql(spec.fmt, spec.measure, cols, "NULL").columns)
    while True:
        query, measure = _batch_query(con, batch, kind, spec, index, pico)
        try:
            con.execute(query)
            return measure
        except (duckdb.BinderException, duckdb.ParserException):
            raise  # a bug in the query, not in the data
        except (duckdb.ConversionException, duckdb.OutOfRangeException):
            if not pico:
                raise unreadable_parts(batch) from None
            pico = False  # a line item beyond 9.2 million (or not a number): read the batch as decimals
        except duckdb.Error as exc:
            raise unreadable_parts(batch, exc) from exc


def _finish(con: duckdb.DuckDBPyConnection, source: str, spec: ScanSpec) -> ScanResult:
    """Series ids (:data:`KEYS`) and the aggregate by series (:data:`RESULT`) from a checked aggregate."""
    keys = [f"d{i}" for i in range(len(spec.dims))]
    # Series ids in the order of their dimension values; the result then carries only numbers and codes.
    order = ", ".join(f"{k} NULLS FIRST" for k in keys) or "1"
    con.execute(f"DROP TABLE IF EXISTS {KEYS}")
    con.execute(
        f"""CREATE TEMP TABLE {KEYS} AS SELECT (row_number() OVER (ORDER BY {order}) - 1) AS sid{
            "".join(", " + k for k in keys)
        } FROM (SELECT DISTINCT {", ".join(keys) or "1 AS one"} FROM {source})"""
    )
    join = " AND ".join(f"a.{k} IS NOT DISTINCT FROM k.{k}" for k in keys) or "TRUE"
    con.execute(f"DROP TABLE IF EXISTS {RESULT}")
    con.execute(
        f"""CREATE TEMP TABLE {RESULT} AS
        SELECT k.sid, a.charge_type, a.currency, a.b0, a.b1, CAST(sum(a.n) AS BIGINT) AS n,
               CAST(sum(a.cost) AS {MONEY}) AS cost, max(a.max_end) AS max_end
        FROM {source} a JOIN {KEYS} k ON {join} GROUP BY ALL"""
    )
    rows = con.execute(f"SELECT COALESCE(sum(n), 0) FROM {RESULT}").fetchall()[0]
    described = {d: " or ".join(source_label(s) for s in spec.fmt.dimension_sources(d)) for d in spec.dims}
    label = measure_sql(spec.fmt, spec.measure, Columns({}), "NULL").label
    return ScanResult(RESULT, KEYS, int(rows[0]) if rows else 0, label, described)


def _check_needs(
    con: duckdb.DuckDBPyConnection,
    batches: list[list[FileSchema]],
    measures: list[MeasureSQL],
    spec: ScanSpec,
) -> None:
    present = con.execute(f"SELECT batch, charge_type, sum(n) FROM {NORM} GROUP BY ALL").fetchall()
    for batch_index, charge_type, count in present:
        cols = batches[batch_index][0].columns
        for column in measures[batch_index].needs.get(charge_type, ()):
            if column not in cols:
                raise DataError(
                    f"{batches[batch_index][0].path}: {count} line items of type {charge_type!r} but no "
                    f"column {column!r}, which their --measure {spec.measure} cost comes from. "
                    "Fix: include that column in the export, or use --measure unblended."
                )
