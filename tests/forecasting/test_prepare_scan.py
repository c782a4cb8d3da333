"""The scan on CUR 2.0 Parquet: exact integer sums of float costs (and the decimal fallback for huge line
items), currencies read from footer statistics, and partial aggregates merged like one scan."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from forecasting import DataError, prepare_series
from forecasting.billing.detect import detect_format
from forecasting.billing.files import ExportFiles, find_export_files
from forecasting.billing.scan import RESULT, ScanResult, ScanSpec, merge_scans, scan_export, scan_parts
from forecasting.billing.schema import FileSchema, read_schemas


def _items(n: int, seed: int, currency: str | None = "USD") -> pd.DataFrame:
    """``n`` hourly line items over 3 days, costs with 10 decimals (k / 1e10, |cost| < 1000)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 72, n), unit="h")
    return pd.DataFrame(
        {
            "line_item_usage_start_date": start.astype("datetime64[us]"),
            "line_item_usage_end_date": (start + pd.Timedelta(hours=1)).astype("datetime64[us]"),
            "line_item_line_item_type": rng.choice(["Usage", "Usage", "Credit"], n),
            "line_item_usage_account_id": rng.choice(["111111111111", "222222222222"], n),
            "product_product_name": rng.choice(["Amazon S3", "Amazon EC2", "AWS Lambda"], n),
            "line_item_unblended_cost": rng.integers(-(10**12), 10**13, n) / 1e10,
            "line_item_currency_code": pd.array([currency] * n, dtype=object),
        }
    )


def _write(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([("line_item_currency_code", pa.string())])
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.set_column(
        table.schema.get_field_index("line_item_currency_code"),
        "line_item_currency_code",
        table["line_item_currency_code"].cast(schema.field(0).type),
    )
    pq.write_table(table, path, row_group_size=100)  # several row groups, each with statistics
    return path


def _exact(costs: pd.Series) -> Decimal:
    return sum((Decimal(repr(float(c))) for c in costs), Decimal(0))


def test_float_costs_are_summed_exactly_and_huge_ones_fall_back_to_decimals(tmp_path: Path) -> None:
    small, huge = _items(400, seed=1), _items(300, seed=2)
    # 9.2 million is the largest amount 1e-12 units hold in a BIGINT: the export with this line item is
    # read as decimals, to the same exact total.
    huge.loc[5, "line_item_unblended_cost"] = 123_456_789.25
    for name, frame in (("small", small), ("huge", huge)):
        _write(frame, tmp_path / name / "part-0.parquet")
    for name, frame in (("small", small), ("huge", huge)):
        result = prepare_series(tmp_path / name, charges="all", dims="service")
        report = result.report
        # DuckDB casts a float above 2**53 / 1e12 to a decimal within its own precision (1.5e-8 here).
        tolerance = Decimal(0) if name == "small" else Decimal("1e-7")
        assert abs(report.input_total - _exact(frame["line_item_unblended_cost"])) <= tolerance
        by_type = {c.charge_type: c.total for c in report.by_charge_type}
        credit = frame["line_item_line_item_type"] == "Credit"
        assert abs(by_type["Credit"] - _exact(frame.loc[credit, "line_item_unblended_cost"])) <= tolerance
        assert report.balanced
        assert report.beyond_total == 0
        expected = frame.groupby("product_product_name")["line_item_unblended_cost"].sum()
        got = result.series.groupby("service")["y"].sum()
        assert got.to_numpy() == pytest.approx(expected.sort_index().to_numpy(), abs=1e-6)


def test_currencies_from_footers_are_never_summed_together(tmp_path: Path) -> None:
    usd, eur = _items(200, seed=3, currency="USD"), _items(150, seed=4, currency="EUR")
    _write(usd, tmp_path / "exp" / "a.parquet")
    _write(eur, tmp_path / "exp" / "b.parquet")  # each file has one currency, the export two
    with pytest.raises(DataError, match="mixed currencies"):
        prepare_series(tmp_path / "exp")
    report = prepare_series(tmp_path / "exp", currency="EUR", charges="all").report
    assert report.input_total == _exact(eur["line_item_unblended_cost"])
    assert report.rows == 150
    assert report.other_currencies["USD"] == (200, _exact(usd["line_item_unblended_cost"]))

    # A file of one currency with some line items without one: those count with the chosen currency.
    mixed = _items(120, seed=5, currency="USD")
    mixed.loc[mixed.index[:7], "line_item_currency_code"] = None
    _write(mixed, tmp_path / "nulls" / "a.parquet")
    report = prepare_series(tmp_path / "nulls", charges="all").report
    assert report.currency == "USD"
    assert report.rows == 120
    assert report.input_total == _exact(mixed["line_item_unblended_cost"])


def _result(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = con.sql(f"SELECT * FROM {RESULT}").df()
    return frame.sort_values(["sid", "charge_type", "b0", "b1"]).reset_index(drop=True)


def test_partial_scans_merge_into_the_scan_of_all_parts(tmp_path: Path) -> None:
    frames = [_items(150, seed=s) for s in range(4)]
    frames[3].loc[0, "line_item_unblended_cost"] = 50_000_000.5  # this part is read as decimals
    for i, frame in enumerate(frames):
        _write(frame, tmp_path / "exp" / f"BILLING_PERIOD=2024-0{i + 1}" / "part.parquet")
    export = find_export_files(tmp_path / "exp")
    con = duckdb.connect()
    schemas = read_schemas(con, export)
    spec = ScanSpec(detect_format(schemas, None), ("service", "account"), "unblended", 86_400_000_000)
    whole = scan_export(con, export, schemas, spec)
    expected = _result(con)
    keys = con.sql(f"SELECT * FROM {whole.keys} ORDER BY sid").df()

    partials = []
    for group in ([0, 2], [1], [3]):
        part = ExportFiles(export.root, tuple(export.files[i] for i in group), export.kind, ())
        partials.append(scan_parts(duckdb.connect(), part, [schemas[i] for i in group], spec))
    merged = merge_scans(con, partials, spec)
    assert merged.rows == whole.rows == 600
    assert merged.measure_label == whole.measure_label
    assert merged.columns == whole.columns
    pd.testing.assert_frame_equal(_result(con), expected)
    pd.testing.assert_frame_equal(con.sql(f"SELECT * FROM {merged.keys} ORDER BY sid").df(), keys)
    exact = _exact(pd.concat(frames)["line_item_unblended_cost"])
    total = con.execute(f"SELECT sum(cost) FROM {RESULT}").fetchall()[0][0]
    assert abs(total - exact) < Decimal("1e-7")
    with pytest.raises(ValueError, match="at least one"):
        merge_scans(con, [], spec)


def _scan_each_file(
    con: duckdb.DuckDBPyConnection,
    export: ExportFiles,
    schemas: Sequence[FileSchema],
    spec: ScanSpec,
    *,
    progress: bool = False,
) -> ScanResult:
    """A scanner that aggregates every part in its own connection, as a distributed engine would."""
    partials = [
        scan_parts(duckdb.connect(), ExportFiles(export.root, (path,), export.kind, ()), [schema], spec)
        for path, schema in zip(export.files, schemas, strict=True)
    ]
    return merge_scans(con, partials, spec)


def test_prepare_with_partial_scans_matches_the_single_scan(sample_bills_dir: Path) -> None:
    path = sample_bills_dir / "cur2"
    single = prepare_series(path, dims="service,account", measure="amortized", charges="all")
    parts = prepare_series(
        path, dims="service,account", measure="amortized", charges="all", scanner=_scan_each_file
    )
    pd.testing.assert_frame_equal(parts.series, single.series)
    a, b = parts.report.to_dict(), single.report.to_dict()
    for timing in ("seconds", "rows_per_second"):
        assert a.pop(timing) > 0
        b.pop(timing)
    assert a == b
    assert len(single.report.files_read) > 1


def test_service_falls_back_to_the_product_code_only_where_the_name_is_empty(tmp_path: Path) -> None:
    frame = _items(300, seed=6)
    frame["line_item_product_code"] = frame["product_product_name"].map(
        {"Amazon S3": "AmazonS3", "Amazon EC2": "AmazonEC2", "AWS Lambda": "AWSLambda"}
    )
    full = tmp_path / "full" / "a.parquet"
    _write(frame, full)
    names = pd.Series(frame["product_product_name"], dtype=object)
    names[names.index[:40]] = ""  # empty in one row group or two, missing in some others
    names[names.index[150:170]] = None
    _write(frame.assign(product_product_name=names), tmp_path / "gaps" / "a.parquet")
    expected_full = frame.groupby("product_product_name")["line_item_unblended_cost"].sum()
    service = names.where(names.fillna("") != "", frame["line_item_product_code"])
    expected_gaps = frame["line_item_unblended_cost"].groupby(service).sum()
    for name, expected in (("full", expected_full), ("gaps", expected_gaps)):
        got = prepare_series(tmp_path / name, dims="service", charges="all").series
        sums = got.groupby("service")["y"].sum()
        assert sums.index.tolist() == sorted(expected.index)
        assert sums.to_numpy() == pytest.approx(expected.sort_index().to_numpy(), abs=1e-6)
