"""The seeded bill generator: byte-identical regeneration, its ground truth, the same costs in 3 formats."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.synthetic import generate_bills, main


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_regeneration_is_byte_identical_and_small(tmp_path: Path, sample_bills_dir: Path) -> None:
    assert main(["--out", str(tmp_path / "bills")]) == 0
    fresh, committed = _files(tmp_path / "bills"), _files(sample_bills_dir)
    assert sorted(fresh) == sorted(committed)
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert changed == [], f"regenerated files differ from data/bills: {changed}"
    assert sum(len(b) for b in fresh.values()) < 3_000_000
    assert len([n for n in fresh if n.endswith(".parquet")]) == 18


def test_same_seed_same_items_other_seed_other_items() -> None:
    a, b, c = generate_bills(3, months=2), generate_bills(3, months=2), generate_bills(4, months=2)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["unblended_cost"].sum(), c["unblended_cost"].sum())


def test_launch_anomaly_and_missing_days_match_the_truth(synthetic_bills: pd.DataFrame) -> None:
    truth = synthetic_bills.attrs["truth"]
    usage = synthetic_bills[synthetic_bills["line_item_type"] == "Usage"]
    launched = usage[usage["product_name"] == truth["launch"]["service"]]
    first = launched.groupby("account_id")["usage_start"].min()
    assert sorted(first.index) == sorted(truth["launch"]["accounts"])
    assert (first == pd.Timestamp(truth["launch"]["date"])).all()

    a = truth["anomaly"]
    series = usage[(usage["account_id"] == a["account"]) & (usage["product_name"] == a["service"])]
    daily = series.set_index("usage_start")["unblended_cost"]
    day = pd.Timestamp(a["date"])
    two_weeks = pd.Timedelta(days=14)
    around = daily[(daily.index >= day - two_weeks) & (daily.index <= day + two_weeks)]
    assert daily[day] == a["cost"]
    assert daily[day] > 4 * around.drop(day).median()

    days = set(synthetic_bills["usage_start"].dt.normalize())
    for missing in truth["missing_days"]:
        assert pd.Timestamp(missing) not in days
        assert pd.Timestamp(missing) - pd.Timedelta(days=1) in days
    assert (truth["days"], truth["start"], truth["end"]) == (547, "2024-01-01", "2025-06-30")


def test_weekly_seasonality_and_growth(synthetic_bills: pd.DataFrame) -> None:
    usage = synthetic_bills[synthetic_bills["line_item_type"] == "Usage"]
    acc = synthetic_bills.attrs["truth"]["accounts"][1]
    ec2 = usage[(usage["account_id"] == acc) & (usage["product_code"] == "AmazonEC2")]
    weekend = ec2["usage_start"].dt.day_of_week >= 5
    ratio = ec2.loc[weekend, "unblended_cost"].mean() / ec2.loc[~weekend, "unblended_cost"].mean()
    assert 0.6 < ratio < 0.85  # the EC2 weekend factor is 0.72, plus growth and noise
    monthly = usage.groupby(usage["usage_start"].dt.to_period("M"))["unblended_cost"].sum()
    assert monthly.iloc[-3:].mean() > 1.2 * monthly.iloc[:3].mean()


def test_fees_credits_refunds_tax_and_savings_plan(synthetic_bills: pd.DataFrame) -> None:
    kind = synthetic_bills["line_item_type"]
    fees = synthetic_bills[kind == "Fee"]
    assert len(fees) == 3 * 18
    assert (fees["usage_start"].dt.day == 1).all()
    assert (fees["usage_end"] == fees["usage_start"] + pd.offsets.MonthBegin(1)).all()
    assert (synthetic_bills.loc[kind == "Credit", "unblended_cost"] < 0).all()
    assert (synthetic_bills.loc[kind == "Refund", "unblended_cost"] < 0).sum() == 2
    tax = synthetic_bills[kind == "Tax"]
    assert ((tax["usage_end"] - tax["usage_start"]).dt.days >= 28).all()
    assert (tax["unblended_cost"] > 0).all()
    covered = synthetic_bills[kind == "SavingsPlanCoveredUsage"].set_index("usage_start")["unblended_cost"]
    negated = synthetic_bills[kind == "SavingsPlanNegation"].set_index("usage_start")["unblended_cost"]
    pd.testing.assert_series_equal(covered, -negated)
    fee = synthetic_bills[kind == "SavingsPlanRecurringFee"]
    assert (fee["sp_used_commitment"] <= fee["sp_total_commitment"]).all()
    assert (fee["sp_used_commitment"] < fee["sp_total_commitment"]).any()  # weekends leave some unused


def _money(values: pd.Series) -> Decimal:
    return sum((Decimal(v) for v in values.fillna("0").replace("", "0")), Decimal(0))


def test_three_formats_carry_the_same_costs(sample_bills_dir: Path) -> None:
    """Read each committed export with plain pandas and compare exact totals per account and charge kind."""
    legacy = pd.read_csv(sample_bills_dir / "cur_legacy.csv.gz", dtype=str, keep_default_na=False)
    focus = pd.read_csv(sample_bills_dir / "focus.csv.gz", dtype=str, keep_default_na=False)
    cur2 = pd.read_parquet(sample_bills_dir / "cur2" / "data")
    truth = json.loads((sample_bills_dir / "truth.json").read_text())
    assert len(legacy) == len(focus) == len(cur2) == truth["line_items"]
    assert legacy["lineItem/UsageAccountId"].str.len().eq(12).all()

    by_legacy = legacy.groupby(["lineItem/UsageAccountId", "lineItem/LineItemType"])["lineItem/UnblendedCost"]
    by_cur2 = cur2.groupby(["line_item_usage_account_id", "line_item_line_item_type"])[
        "line_item_unblended_cost"
    ]
    for (acc, kind), costs in by_legacy:
        exact = _money(costs)
        assert abs(float(exact) - by_cur2.get_group((acc, kind)).sum()) < 1e-6
        assert truth["unblended_by_line_item_type"][kind] != 0
    assert _money(legacy["lineItem/UnblendedCost"]) == _money(focus["BilledCost"])

    # EffectiveCost follows the CUR-to-FOCUS rule, applied here to the legacy columns by hand.
    kind = legacy["lineItem/LineItemType"]
    sp_eff = legacy["savingsPlan/SavingsPlanEffectiveCost"].replace("", "0").map(Decimal)
    unused = legacy["savingsPlan/TotalCommitmentToDate"].replace("", "0").map(Decimal) - legacy[
        "savingsPlan/UsedCommitment"
    ].replace("", "0").map(Decimal)
    unblended = legacy["lineItem/UnblendedCost"].map(Decimal)
    expected = np.select(
        [kind == "SavingsPlanCoveredUsage", kind == "SavingsPlanRecurringFee", kind == "SavingsPlanNegation"],
        [sp_eff, unused, Decimal(0)],
        unblended,
    )
    assert list(focus["EffectiveCost"].map(Decimal)) == list(expected)
    assert set(focus["ChargeCategory"]) == {"Usage", "Purchase", "Tax", "Credit", "Adjustment"}


def test_scales_to_many_accounts() -> None:
    items = generate_bills(5, accounts=12, months=2)
    ids = items["account_id"].unique()
    assert len(ids) == 12
    assert all(len(i) == 12 and i.isdigit() for i in ids)
    assert items.groupby(["account_id", "product_code"]).ngroups >= 12 * 9


def test_large_cur2_export_for_benchmarks(tmp_path: Path) -> None:
    from forecasting.billing.large import write_large_cur2
    from forecasting.prepare import prepare_series

    export = write_large_cur2(
        tmp_path / "big", months=1, parts=2, accounts=2, resources=1, start="2024-02-01"
    )
    assert export.rows == 29 * 24 * 2 * 10 * 2  # hours x accounts x services x resources x parts
    assert [p.name for p in export.files] == ["bench-00001.snappy.parquet", "bench-00002.snappy.parquet"]
    frame = pd.read_parquet(tmp_path / "big" / "data")
    result = prepare_series(tmp_path / "big", charges="all")
    assert result.report.n_series == export.series == 20
    assert result.report.rows == len(frame)
    assert result.series["y"].sum() == pytest.approx(frame["line_item_unblended_cost"].sum())
