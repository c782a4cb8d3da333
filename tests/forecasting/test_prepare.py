"""prepare_series end to end: exact totals on real exports (checked against plain pandas), the FOCUS spec
examples for amortized vs billed, identical series from the three synthetic formats, and the CLI."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from forecasting import DataError, DataWarning, PrepareResult, prepare_series

# Real exports shipped with the repository (data/real_bills/README.md: sources and licences).
REAL = Path(__file__).resolve().parents[2] / "data" / "real_bills"
LEGACY = REAL / "aws_cur_legacy_anonymized_sample_2023-11.csv.gz"
FOCUS = REAL / "focus1.0_sample_1000rows.csv.gz"


def _exact(values: pd.Series) -> Decimal:
    return sum((Decimal(v) for v in values.dropna()), Decimal(0))


def _compare(result: PrepareResult, expected: pd.Series) -> None:
    """Series equal the expected sums per (dims..., ds); every other point is a zero-filled gap."""
    exp = expected.rename("expected").reset_index()
    exp["ds"] = exp["ds"].astype("datetime64[ns]")
    merged = result.series.merge(exp, on=[*result.report.dims, "ds"], how="left")
    found = merged["expected"].notna()
    assert found.sum() == len(exp)
    expected_y = merged.loc[found, "expected"].to_numpy()
    assert merged.loc[found, "y"].to_numpy() == pytest.approx(expected_y, abs=1e-9)
    assert (merged.loc[~found, "y"] == 0).all()


def test_legacy_cur_sample_totals_match_plain_pandas() -> None:
    raw = pd.read_csv(LEGACY, dtype=str, keep_default_na=False)
    start = pd.to_datetime(raw["lineItem/UsageStartDate"], utc=True).dt.tz_localize(None)
    end = pd.to_datetime(raw["lineItem/UsageEndDate"], utc=True).dt.tz_localize(None)
    cost = raw["lineItem/UnblendedCost"].astype(float)
    # The export stops at the latest end of its (hourly) usage items, inside 2023-11-14: that day is partial.
    export_end = end[(end - start) <= pd.Timedelta(days=1)].max()
    assert export_end == pd.Timestamp("2023-11-14 04:00")
    kept = start < export_end.normalize()
    frame = pd.DataFrame({"service": raw["product/ProductName"], "account": raw["lineItem/UsageAccountId"],
                          "ds": start.dt.normalize(), "y": cost})[kept]  # fmt: skip
    expected = frame.groupby(["service", "account", "ds"])["y"].sum()

    with pytest.warns(DataWarning, match="2023-11-14 is partial"):
        result = prepare_series(LEGACY, charges="all", spread="start")
    _compare(result, expected)
    report = result.report
    assert report.input_total == _exact(raw["lineItem/UnblendedCost"])
    assert report.beyond_total == pytest.approx(cost[~kept].sum(), abs=1e-12)
    assert report.balanced
    assert result.series["account"].unique().tolist() == ["123412340534"]
    assert report.rows == len(raw) == 1281

    with pytest.warns(DataWarning):
        default = prepare_series(LEGACY)
    tax = raw["lineItem/LineItemType"] == "Tax"
    assert [(c.charge_type, c.count, c.total) for c in default.report.excluded] == [
        ("Tax", int(tax.sum()), _exact(raw.loc[tax, "lineItem/UnblendedCost"]))
    ]
    assert default.report.balanced
    assert default.series["y"].sum() == pytest.approx(cost[kept & ~tax].sum(), abs=1e-12)


@pytest.mark.parametrize(("measure", "column"), [("billed", "BilledCost"), ("amortized", "EffectiveCost")])
def test_focus_sample_totals_match_plain_pandas(measure: str, column: str) -> None:
    raw = pd.read_csv(FOCUS, dtype=str, keep_default_na=False, na_values=["NULL", ""])
    start = pd.to_datetime(raw["ChargePeriodStart"])
    frame = pd.DataFrame({"service": raw["ServiceName"].fillna("(none)"), "account": raw["SubAccountId"],
                          "ds": start.dt.normalize(), "y": raw[column].astype(float)})  # fmt: skip
    expected = frame.groupby(["service", "account", "ds"])["y"].sum()
    result = prepare_series(FOCUS, measure=measure, charges="all", spread="start")
    _compare(result, expected)
    assert result.report.input_total == _exact(raw[column])
    assert result.report.balanced
    assert result.report.beyond_total == 0  # every hour of September is there: no partial day

    default = prepare_series(FOCUS, measure=measure)
    excluded = {c.charge_type: (c.count, c.total) for c in default.report.excluded}
    for category in ("Credit", "Adjustment"):
        rows = raw["ChargeCategory"] == category
        assert excluded[category] == (int(rows.sum()), _exact(raw.loc[rows, column]))
    assert default.report.balanced


# (file, billed total, amortized total): BilledCost vs EffectiveCost of the FOCUS commitment examples.
# purchase_scenario_2 and _3 have an hour 30 (2023-02-01T30:00:00Z): see test_billing_errors.
FLEX = "one_hundred_percent_utilization_with_commitment_discount_flexibility"
SPEC = [
    ("commitment_discount_purchase_scenario_1.csv", "8760.00", "0.00"),
    ("commitment_discount_usage_scenario_1.csv", "0.00", "1.00"),
    ("commitment_discount_usage_scenario_2.csv", "0.00", "1.00"),
    ("commitment_discount_usage_scenario_3.csv", "0.00", "1.00"),
    ("commitment_discount_usage_scenario_4.csv", "0.50", "1.50"),
    (f"{FLEX}_with_1_resource.csv", "2.75", "2.75"),
    (f"{FLEX}_with_2_resources.csv", "2.00", "2.00"),
    ("one_hundred_percent_utilization_without_commitment_discount_flexibility.csv", "1.50", "1.50"),
    ("zero_percent_utilization_without_commitment_discount_flexibility.csv", "3.50", "3.50"),
]


@pytest.mark.parametrize(("name", "billed", "amortized"), SPEC)
def test_focus_spec_examples_billed_vs_amortized(name: str, billed: str, amortized: str) -> None:
    path = REAL / "focus_spec_examples" / name
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=["null", ""])
    for measure, column, total in (
        ("billed", "BilledCost", billed),
        ("amortized", "EffectiveCost", amortized),
    ):
        result = prepare_series(path, dims=(), measure=measure, charges="all", freq="H")
        assert result.report.input_total == Decimal(total) == _exact(raw[column])
        assert result.series["y"].sum() == pytest.approx(float(total), abs=1e-9)
        assert result.report.balanced


def test_one_year_purchase_is_spread_per_day_or_put_on_its_start() -> None:
    path = REAL / "focus_spec_examples" / "commitment_discount_purchase_scenario_1.csv"
    even = prepare_series(path, dims=(), measure="billed", charges="all").series
    assert len(even) == 365
    assert even["y"].to_numpy() == pytest.approx(24.0)
    start = prepare_series(path, dims=(), measure="billed", charges="all", spread="start").series
    assert start[["ds", "y"]].values.tolist() == [[pd.Timestamp("2023-01-01"), 8760.0]]


def test_the_three_synthetic_formats_give_identical_series(sample_bills_dir: Path) -> None:
    paths = [
        sample_bills_dir / "cur2",
        sample_bills_dir / "cur_legacy.csv.gz",
        sample_bills_dir / "focus.csv.gz",
    ]
    for options in ({}, {"dims": "service,account,region,usage_type,tag:team,payer", "measure": "amortized",
                         "charges": "all", "freq": "M"}):  # fmt: skip
        results = [prepare_series(p, **options) for p in paths]
        for other in results[1:]:
            pd.testing.assert_frame_equal(results[0].series, other.series)
            assert other.report.input_total == results[0].report.input_total
            assert other.report.balanced
        assert len(results[0].series) > 1000


def test_synthetic_ground_truth_survives_prepare(sample_bills_dir: Path) -> None:
    truth = json.loads((sample_bills_dir / "truth.json").read_text())
    unblended = prepare_series(sample_bills_dir / "cur2")
    series = unblended.series
    assert unblended.report.n_series == 33
    assert series["ds"].min() == pd.Timestamp(truth["start"])
    assert series["ds"].max() == pd.Timestamp(truth["end"])
    missing = series[series["ds"].isin(pd.to_datetime(truth["missing_days"]))]
    assert (missing.loc[missing["service"] != "AWS Support (Business)", "y"] == 0).all()
    a = truth["anomaly"]
    mask = (series["service"] == a["service"]) & (series["account"] == a["account"])
    one = series[mask].set_index("ds")["y"]
    assert one[pd.Timestamp(a["date"])] == pytest.approx(a["cost"])
    launched = series[series["service"] == truth["launch"]["service"]].groupby("account")["ds"].min()
    assert set(launched) == {pd.Timestamp(truth["launch"]["date"])}

    # Unblended, covered EC2 usage is negated and the Savings Plan fee carries the commitment; amortized,
    # EC2 carries its discounted cost and the fee only the unused commitment. The total is unchanged.
    amortized = prepare_series(sample_bills_dir / "cur2", measure="amortized").series
    by_service = lambda s: s.groupby("service")["y"].sum()  # noqa: E731
    diff = by_service(amortized) - by_service(series)
    assert diff["Amazon Elastic Compute Cloud"] > 1000
    assert diff["Savings Plans for AWS Compute usage"] < -1000
    assert diff.sum() == pytest.approx(0, abs=1e-6)


def test_frequencies_time_zone_and_charge_flags(sample_bills_dir: Path) -> None:
    path = sample_bills_dir / "focus.csv.gz"
    daily = prepare_series(path, dims="account", charges="all")
    monthly = prepare_series(path, dims="account", charges="all", freq="M")
    assert monthly.freq == "MS"
    assert (monthly.series["ds"].dt.day == 1).all()
    assert monthly.series["y"].sum() == pytest.approx(daily.series["y"].sum())
    with pytest.warns(DataWarning, match="partial"):
        paris = prepare_series(path, dims="account", tz="Europe/Paris")
    # The UTC export ends at 02:00 on July 1 in Paris: that local day is partial.
    assert paris.report.partial_period == "2025-07-01"
    assert paris.report.balanced
    no_sp = prepare_series(path, exclude_charges="Purchase", include_charges="Tax")
    kinds = {c.charge_type: c.included for c in no_sp.report.by_charge_type}
    assert kinds == {"Usage": True, "Purchase": False, "Tax": True, "Credit": False, "Adjustment": False}
    included = sum(float(c.total) for c in no_sp.report.by_charge_type if c.included)
    assert no_sp.series["y"].sum() == pytest.approx(included)


def test_blended_cost_of_the_real_legacy_cur_matches_plain_pandas() -> None:
    raw = pd.read_csv(LEGACY, dtype=str, keep_default_na=False)
    start = pd.to_datetime(raw["lineItem/UsageStartDate"], utc=True).dt.tz_localize(None)
    kept = start < pd.Timestamp("2023-11-14")  # the export ends inside 2023-11-14 (see above)
    blended = raw["lineItem/BlendedCost"].astype(float)
    frame = pd.DataFrame({"service": raw["product/ProductName"], "account": raw["lineItem/UsageAccountId"],
                          "ds": start.dt.normalize(), "y": blended})[kept]  # fmt: skip
    with pytest.warns(DataWarning, match="partial"):
        result = prepare_series(LEGACY, measure="blended", charges="all", spread="start")
    _compare(result, frame.groupby(["service", "account", "ds"])["y"].sum())
    assert result.report.measure_column == "lineItem/BlendedCost"
    assert result.report.input_total == _exact(raw["lineItem/BlendedCost"])
    assert result.report.balanced


def test_blended_cost_is_its_own_column_in_legacy_cur_and_cur2(tmp_path: Path, cur_csv, usage) -> None:
    """An organization's blended rate differs from an account's own: the series follow the blended column."""
    rows = [usage("2024-01-01", "1.00", blended="0.80"), usage("2024-01-02", "2.00", blended="1.70"),
            usage("2024-01-02", "5.00", type="Tax", blended="5.00")]  # fmt: skip
    legacy = cur_csv(rows, blended="lineItem/BlendedCost")
    result = prepare_series(legacy, dims=(), measure="blended")
    assert result.series["y"].tolist() == pytest.approx([0.80, 1.70])
    assert result.report.input_total == Decimal("7.50")
    assert [(c.charge_type, c.total) for c in result.report.excluded] == [("Tax", Decimal("5.00"))]
    assert result.report.balanced
    assert prepare_series(legacy, dims=(), measure="unblended").series["y"].tolist() == [1.0, 2.0]

    days = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02"])
    pd.DataFrame({
        "line_item_usage_start_date": days, "line_item_usage_end_date": days + pd.Timedelta(days=1),
        "line_item_line_item_type": ["Usage", "Usage", "Tax"], "line_item_usage_account_id": ["1"] * 3,
        "line_item_product_code": ["AmazonS3"] * 3, "line_item_currency_code": ["USD"] * 3,
        "line_item_unblended_cost": [1.0, 2.0, 5.0], "line_item_blended_cost": [0.8, 1.7, 5.0],
    }).to_parquet(tmp_path / "cur2.parquet")  # fmt: skip
    cur2 = prepare_series(tmp_path / "cur2.parquet", dims=(), measure="blended")
    pd.testing.assert_frame_equal(cur2.series, result.series)
    assert cur2.report.measure_column == "line_item_blended_cost"
    assert cur2.report.input_total == Decimal("7.50")
    assert cur2.report.balanced


def test_blended_measure_needs_the_blended_column(tmp_path: Path, cur_csv, usage) -> None:
    path = cur_csv([usage("2024-01-01", "1.00")])
    with pytest.raises(
        DataError, match=r"missing column 'lineItem/BlendedCost', needed for --measure blended"
    ):
        prepare_series(path, measure="blended")
