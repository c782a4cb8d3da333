"""Readers: file discovery, format detection, and the column layouts each format comes in."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from forecasting import DataError
from forecasting.billing.detect import detect_format, format_of_columns
from forecasting.billing.files import find_export_files
from forecasting.billing.formats import athena_name
from forecasting.prepare import is_billing_export, prepare_series

# Real exports shipped with the repository (data/real_bills/README.md: sources and licences).
REAL = Path(__file__).resolve().parents[2] / "data" / "real_bills"


def test_folder_discovery_skips_bookkeeping_files_and_reads_hive_partitions(
    tmp_path: Path, cur_csv, usage
) -> None:
    cur_csv([usage("2024-01-05", "1.5")], name="exp/year=2024/month=1/cur-1.csv.gz")
    cur_csv([usage("2024-02-05", "2.25")], name="exp/year=2024/month=2/cur-1.csv")
    others = ("exp/_SUCCESS", "exp/year=2024/month=1/.cur-1.csv.crc", "exp/cur-Manifest.json",
              "exp/.hidden.csv", "exp/_temporary/part.csv", "exp/notes.txt", "exp/old.csv.zip")  # fmt: skip
    for name in others:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    export = find_export_files(tmp_path / "exp")
    assert [p.name for p in export.files] == ["cur-1.csv.gz", "cur-1.csv"]
    reasons = {p.path.name: p.reason for p in export.skipped}
    assert set(reasons) == {"_SUCCESS", ".cur-1.csv.crc", "cur-Manifest.json", ".hidden.csv", "part.csv",
                            "notes.txt", "old.csv.zip"}  # fmt: skip
    assert reasons["cur-Manifest.json"] == "manifest"
    assert "unzip" in reasons["old.csv.zip"]

    result = prepare_series(tmp_path / "exp", dims="service,month")
    assert result.report.input_total == pytest.approx(3.75)
    assert sorted(result.series["month"].unique()) == ["1", "2"]  # the Hive partition is a column
    assert len(result.report.files_skipped) == 7
    assert "skipped" in result.report.summary()


def test_mixed_csv_and_parquet_parts_are_refused(tmp_path: Path, cur_csv, usage) -> None:
    cur_csv([usage("2024-01-05", 1)], name="exp/a.csv")
    pq.write_table(pa.table({"x": [1]}), tmp_path / "exp" / "b.parquet")
    with pytest.raises(DataError, match="mixes CSV parts"):
        find_export_files(tmp_path / "exp")


def test_real_samples_and_synthetic_bills_are_detected(sample_bills_dir: Path) -> None:
    expected = {
        REAL / "aws_cur_legacy_anonymized_sample_2023-11.csv.gz": "cur_legacy",
        REAL / "focus1.0_sample_1000rows.csv.gz": "focus",
        sample_bills_dir / "cur_legacy.csv.gz": "cur_legacy",
        sample_bills_dir / "focus.csv.gz": "focus",
        sample_bills_dir / "cur2": "cur2",
    }
    import duckdb

    from forecasting.billing.schema import read_schemas

    con = duckdb.connect()
    for path, name in expected.items():
        assert detect_format(read_schemas(con, find_export_files(path))).name == name
        assert is_billing_export(path)


def test_prepared_series_and_unknown_tables_are_not_billing_exports(tmp_path: Path) -> None:
    series = pd.DataFrame({"unique_id": ["a"], "ds": pd.to_datetime(["2024-01-01"]), "y": [1.0]})
    series.to_parquet(tmp_path / "series.parquet")
    series.to_csv(tmp_path / "series.csv", index=False)
    pd.DataFrame({"when": ["2024-01-01"], "amount": [3]}).to_csv(tmp_path / "other.csv", index=False)
    assert not is_billing_export(tmp_path / "series.parquet")
    assert not is_billing_export(tmp_path / "series.csv")
    assert not is_billing_export(tmp_path / "other.csv")
    assert not is_billing_export(tmp_path / "missing.csv")


def test_unknown_columns_name_the_closest_ones(tmp_path: Path) -> None:
    pd.DataFrame({"lineitem/usagestartdate": ["2024-01-01"], "cost": [1]}).to_csv(
        tmp_path / "x.csv", index=False
    )
    with pytest.raises(DataError, match=r"cannot tell the billing export format.*lineitem/usagestartdate"):
        prepare_series(tmp_path / "x.csv")
    assert format_of_columns(["line_item_usage_start_date", "line_item_line_item_type"]).name == "cur2"


def test_format_override_reads_with_the_named_reader(sample_bills_dir: Path) -> None:
    with pytest.raises(DataError, match=r"missing column 'ChargePeriodStart'.*Fix"):
        prepare_series(sample_bills_dir / "cur_legacy.csv.gz", format="focus")
    with pytest.raises(DataError, match="unknown format 'cur3'"):
        prepare_series(sample_bills_dir / "cur_legacy.csv.gz", format="cur3")


def _cur2_table(product_flat: bool, tags_flat: bool) -> pa.Table:
    """Two CUR 2.0 line items with product and tags either as map columns or flattened columns."""
    cols: dict[str, pa.Array] = {
        "line_item_usage_start_date": pa.array(pd.to_datetime(["2024-03-01 05:00", "2024-03-01 06:00"])),
        "line_item_usage_end_date": pa.array(pd.to_datetime(["2024-03-01 06:00", "2024-03-01 07:00"])),
        "line_item_usage_account_id": pa.array(["000000000042", "000000000042"]),
        "line_item_line_item_type": pa.array(["Usage", "Usage"]),
        "line_item_unblended_cost": pa.array([1.25, 2.5]),
        "line_item_currency_code": pa.array(["USD", "USD"]),
        "line_item_product_code": pa.array(["AmazonEC2", "AmazonS3"]),
    }
    if product_flat:
        cols["product_product_name"] = pa.array(["Amazon EC2", "Amazon S3"])
        cols["product_region"] = pa.array(["us-east-1", "eu-west-1"])
    else:
        product = [[("product_name", "Amazon EC2"), ("region", "us-east-1")], [("region", "eu-west-1")]]
        cols["product"] = pa.array(product, type=pa.map_(pa.string(), pa.string()))
    if tags_flat:
        cols["resource_tags_user_cost_center"] = pa.array(["a1", None])
    else:
        tags = [[("user_cost_center", "a1")], []]
        cols["resource_tags"] = pa.array(tags, type=pa.map_(pa.string(), pa.string()))
    return pa.table(cols)


@pytest.mark.parametrize(("product_flat", "tags_flat"), [(False, False), (True, True)])
def test_cur2_map_columns_and_flattened_columns(tmp_path: Path, product_flat: bool, tags_flat: bool) -> None:
    pq.write_table(_cur2_table(product_flat, tags_flat), tmp_path / "part-0.parquet")
    result = prepare_series(tmp_path, dims="service,region,account,tag:Cost-Center", freq="H")
    s = result.series.set_index("service")
    # The S3 line item has no product_name in its map: the product code stands in.
    expected_s3 = "Amazon S3" if product_flat else "AmazonS3"
    assert sorted(s.index) == sorted(["Amazon EC2", expected_s3])
    assert s.loc["Amazon EC2", "region"] == "us-east-1"
    assert s.loc["Amazon EC2", "tag:Cost-Center"] == "a1"
    assert s.loc[expected_s3, "tag:Cost-Center"] == "(none)"
    assert s.loc["Amazon EC2", "account"] == "000000000042"
    assert result.series["y"].sum() == 3.75
    assert athena_name("Cost-Center") == "cost_center"


def test_legacy_tags_and_raw_columns_as_dimensions(cur_csv, usage) -> None:
    path = cur_csv(
        [usage("2024-01-01", 1, team="web", op="Run"), usage("2024-01-01", 2, team="", op="Run")],
        team="resourceTags/user:team",
        op="lineItem/Operation",
    )
    result = prepare_series(path, dims="tag:team,lineItem/Operation")
    got = dict(zip(result.series["unique_id"], result.series["y"], strict=True))
    assert got == {"web/Run": 1.0, "(none)/Run": 2.0}
