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


# --- FOCUS versions ------------------------------------------------------------------------------------
# Column sets of the FOCUS specification ("Column ID" of every column at tags v1.0, v1.1 and v1.2 of
# FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec; 1.3 from its ratified column library), written out here
# rather than taken from the reader, so that a wrong list in the reader fails these tests.
FOCUS_1_0 = [
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription",
    "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory",
    "CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountStatus",
    "CommitmentDiscountType", "ConsumedQuantity", "ConsumedUnit", "ContractedCost",
    "ContractedUnitPrice", "EffectiveCost", "InvoiceIssuerName", "ListCost", "ListUnitPrice",
    "PricingCategory", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName",
    "RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType", "ServiceCategory",
    "ServiceName", "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName", "Tags",
]  # fmt: skip
FOCUS_1_1 = [*FOCUS_1_0,
    "CapacityReservationId", "CapacityReservationStatus", "CommitmentDiscountQuantity",
    "CommitmentDiscountUnit", "ServiceSubcategory", "SkuMeter", "SkuPriceDetails",
]  # fmt: skip
FOCUS_1_2 = [*FOCUS_1_1,
    "BillingAccountType", "SubAccountType", "InvoiceId", "PricingCurrency",
    "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
]  # fmt: skip
# 1.3: ServiceProviderName and HostProviderName replace ProviderName and PublisherName (deprecated).
FOCUS_1_3 = [*(c for c in FOCUS_1_2 if c not in ("ProviderName", "PublisherName")),
    "ServiceProviderName", "HostProviderName", "AllocatedMethodId", "AllocatedMethodDetails",
    "AllocatedResourceId", "AllocatedResourceName", "AllocatedTags", "ContractApplied",
]  # fmt: skip
FOCUS_COLUMN_SETS = {"1.0": FOCUS_1_0, "1.1": FOCUS_1_1, "1.2": FOCUS_1_2, "1.3": FOCUS_1_3}


def _focus_items() -> pd.DataFrame:
    """Six line items on two days: usage of two AWS services and of a marketplace seller, a purchase, tax."""
    day = ["2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z", "2025-01-03T00:00:00Z"]
    return pd.DataFrame({
        "ChargePeriodStart": [day[0], day[0], day[1], day[1], day[0], day[1]],
        "ChargePeriodEnd": [day[1], day[1], day[2], day[2], day[1], day[2]],
        "ChargeCategory": ["Usage", "Usage", "Usage", "Usage", "Purchase", "Tax"],
        "BilledCost": ["1.25", "2.50", "1.75", "0.10", "30.00", "0.40"],
        "EffectiveCost": ["1.00", "2.50", "1.50", "0.10", "0.00", "0.40"],
        "BillingCurrency": ["USD"] * 6,
        "ServiceName": ["Amazon EC2", "Amazon S3", "Amazon EC2", "Datadog Pro", "Amazon EC2", "Amazon EC2"],
        "SubAccountId": ["000000000042"] * 6,
        "provider": ["AWS", "AWS", "AWS", "Datadog", "AWS", "AWS"],
        "host": ["AWS"] * 6,
    })  # fmt: skip


def _write_focus(path: Path, version: str, items: pd.DataFrame | None = None) -> Path:
    """The items in the column set of ``version``; columns they do not fill are empty, as in real exports."""
    items = _focus_items() if items is None else items
    renames = (
        {"provider": "ServiceProviderName", "host": "HostProviderName"}
        if version == "1.3"
        else {"provider": "ProviderName", "host": "PublisherName"}
    )
    frame = items.rename(columns=renames)
    frame = frame.reindex(columns=FOCUS_COLUMN_SETS[version], fill_value="")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def test_focus_version_known_answers() -> None:
    from forecasting.billing.focus import focus_version

    for version, columns in FOCUS_COLUMN_SETS.items():
        assert focus_version(columns) == version
        assert format_of_columns(columns).name == "focus"
    real = pd.read_csv(REAL / "focus1.0_sample_1000rows.csv.gz", nrows=0).columns
    assert focus_version(real) == "1.0"
    # One column of a version is enough: exports leave out columns that do not apply to them.
    assert focus_version([*FOCUS_1_0, "InvoiceId"]) == "1.2"
    assert focus_version([*FOCUS_1_0, "SkuMeter"]) == "1.1"
    assert focus_version([*FOCUS_1_2, "ContractApplied"]) == "1.3"  # deprecated provider columns kept


def test_every_focus_version_reads_to_the_same_series_and_is_named(tmp_path: Path) -> None:
    results = {}
    for version in FOCUS_COLUMN_SETS:
        path = _write_focus(tmp_path / f"focus-{version}.csv", version)
        result = prepare_series(
            path, dims="service,provider", measure="billed", charges="all", spread="start"
        )
        assert result.report.format == f"FOCUS {version}"
        assert result.report.summary().startswith(f"{path}: FOCUS {version}, 1 file(s)")
        assert result.report.to_dict()["format"] == f"FOCUS {version}"
        assert result.report.balanced
        results[version] = result.series
    for version, series in results.items():
        pd.testing.assert_frame_equal(series, results["1.0"], obj=f"FOCUS {version} series")
    got = {(r.service, r.provider, str(r.ds.date())): r.y for r in results["1.3"].itertuples()}
    assert got == {  # EC2: usage + the purchase, then usage + tax; a series spans its own days only
        ("Amazon EC2", "AWS", "2025-01-01"): 31.25, ("Amazon EC2", "AWS", "2025-01-02"): 2.15,
        ("Amazon S3", "AWS", "2025-01-01"): 2.5, ("Datadog Pro", "Datadog", "2025-01-02"): 0.1,
    }  # fmt: skip


def test_focus_1_3_provider_is_the_service_provider_with_or_without_the_deprecated_column(
    tmp_path: Path,
) -> None:
    path = _write_focus(tmp_path / "focus.csv", "1.3")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert "ProviderName" not in frame.columns
    result = prepare_series(path, dims="provider", measure="amortized")
    assert result.report.dim_columns["provider"].startswith("ServiceProviderName")
    # Usage only (the default charges): 1.00 + 2.50 + 1.50 from AWS, 0.10 from the marketplace seller.
    assert result.series.groupby("provider")["y"].sum().to_dict() == {"AWS": 5.0, "Datadog": 0.1}
    # A 1.3 export that keeps the deprecated ProviderName (the marketplace, AWS) next to the seller.
    frame["ProviderName"] = "AWS"
    frame.to_csv(tmp_path / "kept.csv", index=False)
    kept = prepare_series(tmp_path / "kept.csv", dims="provider", measure="amortized")
    assert sorted(kept.series["provider"].unique()) == ["AWS", "Datadog"]
    assert kept.report.format == "FOCUS 1.3"


def test_focus_parts_in_several_versions_are_read_together(tmp_path: Path) -> None:
    items = _focus_items()
    first = items["ChargePeriodStart"] == "2025-01-01T00:00:00Z"
    _write_focus(tmp_path / "exp" / "2025-01-01.csv", "1.0", items[first])
    _write_focus(tmp_path / "exp" / "2025-01-02.csv", "1.3", items[~first])
    _write_focus(tmp_path / "one.csv", "1.2")
    options = {"dims": "service,provider", "charges": "all", "spread": "start"}
    mixed = prepare_series(tmp_path / "exp", **options)
    assert mixed.report.format == "FOCUS 1.0 and 1.3"
    pd.testing.assert_frame_equal(mixed.series, prepare_series(tmp_path / "one.csv", **options).series)


def test_format_override_still_names_the_focus_version(tmp_path: Path) -> None:
    path = _write_focus(tmp_path / "focus.csv", "1.2")
    assert prepare_series(path, format="focus").report.format == "FOCUS 1.2"
    import duckdb

    from forecasting.billing.schema import read_schemas

    schemas = read_schemas(duckdb.connect(), find_export_files(path))
    assert (detect_format(schemas).version, detect_format(schemas, "focus").label) == ("1.2", "FOCUS 1.2")


def test_focus_tags_as_json_text_or_as_a_parquet_map(tmp_path: Path) -> None:
    items = _focus_items()[:2]
    frame = items.rename(columns={"provider": "ServiceProviderName", "host": "HostProviderName"})
    frame["BilledCost"] = frame["BilledCost"].astype(float)
    frame["Tags"] = ['{"team": "web"}', "{}"]
    frame.to_csv(tmp_path / "focus.csv", index=False)
    table = pa.Table.from_pandas(frame.drop(columns="Tags"), preserve_index=False).append_column(
        "Tags", pa.array([[("team", "web")], []], type=pa.map_(pa.string(), pa.string()))
    )
    pq.write_table(table, tmp_path / "focus.parquet")
    for name in ("focus.csv", "focus.parquet"):
        result = prepare_series(tmp_path / name, dims="tag:team", measure="billed")
        assert result.series.groupby("tag:team")["y"].sum().to_dict() == {"web": 1.25, "(none)": 2.5}
        assert result.report.format == "FOCUS 1.3"
