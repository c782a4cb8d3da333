"""Series building: spreading, time zones and DST, partial periods, gaps; reconciliation on random input."""

from __future__ import annotations

import tempfile
import warnings
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting import DataWarning, prepare_series
from forecasting.series import normalize_freq, pandas_freq


def _iso(ts: pd.Timestamp) -> str:
    return f"{ts:%Y-%m-%dT%H:%M:%SZ}"


def _item(start: str, hours: float, cost: object, **fields: object) -> dict[str, object]:
    s = pd.Timestamp(start)
    row: dict[str, object] = {"start": _iso(s), "end": _iso(s + pd.Timedelta(hours=hours)), "account": "1",
                              "type": "Usage", "service": "S3", "cost": cost, "currency": "USD"}  # fmt: skip
    row.update(fields)
    return row


def _daily(first: str, days: int, cost: float = 1.0) -> list[dict[str, object]]:
    return [_item(str(d), 24, cost) for d in pd.date_range(first, periods=days, freq="D")]


def test_monthly_fee_is_spread_evenly_or_put_on_its_first_day(cur_csv) -> None:
    rows = _daily("2024-11-01", 30) + [_item("2024-11-01", 24 * 30, 300, type="Fee", service="Support")]
    path = cur_csv(rows)
    even = prepare_series(path, dims="service").series
    support = even[even["service"] == "Support"]
    assert len(support) == 30
    assert support["y"].to_numpy() == pytest.approx(10.0)
    start = prepare_series(path, dims="service", spread="start").series
    assert start.loc[start["service"] == "Support", ["ds", "y"]].values.tolist() == [
        [pd.Timestamp("2024-11-01"), 300.0]
    ]


def test_utc_days_seen_from_new_york_are_split_by_the_hour(cur_csv) -> None:
    path = cur_csv([_item("2024-01-10", 24, 24), _item("2024-01-11", 24, 48)])
    with pytest.warns(DataWarning, match="2024-01-11 is partial"):
        result = prepare_series(path, dims=(), tz="America/New_York")
    # UTC midnight is 19:00 the day before in New York (UTC-5): five hours of a UTC day fall on the day before
    assert result.series[["ds", "y"]].values.tolist() == [
        [pd.Timestamp("2024-01-09"), 5.0],
        [pd.Timestamp("2024-01-10"), 19.0 + 10.0],
    ]
    assert result.report.beyond_total == pytest.approx(38.0)
    assert result.report.balanced


def test_daylight_saving_day_has_23_hours(cur_csv) -> None:
    # Paris switches to summer time on 2024-03-31: local midnight to midnight is 23 hours that day.
    hours = pd.date_range("2024-03-30 23:00", "2024-04-01 21:00", freq="h")
    path = cur_csv([_item(str(h), 1, 1) for h in hours])
    result = prepare_series(path, dims=(), tz="Europe/Paris")
    assert result.series["y"].tolist() == [23.0, 24.0]
    assert result.series["ds"].tolist() == [pd.Timestamp("2024-03-31"), pd.Timestamp("2024-04-01")]


def test_partial_last_day_is_dropped_but_not_its_hours(cur_csv) -> None:
    hours = pd.date_range("2024-01-01 00:00", "2024-01-02 05:00", freq="h")
    path = cur_csv([_item(str(h), 1, 2) for h in hours])
    with pytest.warns(DataWarning, match=r"2024-01-02 is partial \(the export ends at 2024-01-02 06:00:00"):
        daily = prepare_series(path, dims=())
    assert daily.series["y"].tolist() == [48.0]
    assert daily.report.beyond_total == 12.0
    assert daily.report.beyond_count == 6
    assert "partial 2024-01-02 and after" in daily.report.summary()
    hourly = prepare_series(path, dims=(), freq="H")
    assert len(hourly.series) == 30
    assert hourly.freq == "h"


def test_weeks_start_on_monday_and_months_on_the_first(cur_csv) -> None:
    path = cur_csv(_daily("2024-01-01", 14) + _daily("2024-01-03", 1, 5.0))  # 2024-01-01 is a Monday
    weekly = prepare_series(path, dims=(), freq="W")
    assert weekly.series[["ds", "y"]].values.tolist() == [
        [pd.Timestamp("2024-01-01"), 12.0],
        [pd.Timestamp("2024-01-08"), 7.0],
    ]
    assert weekly.freq == "W-MON"
    with pytest.warns(DataWarning, match="period 2024-01-01 is partial"):
        monthly = prepare_series(path, dims=(), freq="M")  # January is not over
    assert monthly.series.empty
    assert monthly.report.beyond_total == 19.0


def test_gaps_between_first_and_last_period_are_zero(cur_csv) -> None:
    rows = _daily("2024-01-01", 2) + _daily("2024-01-05", 1) + [_item("2024-01-01", 24 * 6, 6, service="EC2")]
    result = prepare_series(path := cur_csv(rows), dims="service")
    s3 = result.series[result.series["service"] == "S3"]
    assert s3["y"].tolist() == [1.0, 1.0, 0.0, 0.0, 1.0]
    assert result.report.zero_filled == 2
    ec2 = result.series[result.series["service"] == "EC2"]
    assert ec2["ds"].max() == pd.Timestamp("2024-01-05")  # spread shares after the export's end are reported
    assert result.report.beyond_total == pytest.approx(1.0)
    assert path.exists()


def test_frequency_spellings() -> None:
    assert [normalize_freq(f) for f in ("D", "daily", "h", "HOURLY", "W", "w-mon", "MS", "month")] == list(
        "DDHHWWMM"
    )
    assert [pandas_freq(f) for f in "HDWM"] == ["h", "D", "W-MON", "MS"]


TYPES = ["Usage", "Tax", "Credit", "Refund", "Fee", "SavingsPlanNegation", "DiscountedUsage", "RIFee"]
items = st.lists(
    st.tuples(
        st.integers(0, 40 * 24),  # start hour
        st.sampled_from([1, 1, 5, 24, 24 * 31, 24 * 365]),  # duration in hours
        st.sampled_from(TYPES),
        st.integers(-(10**12), 10**13).map(lambda v: Decimal(v).scaleb(-10)),  # up to 10 decimals
        st.sampled_from(["111111111111", "022222222222"]),
        st.sampled_from(["Amazon S3", "AWS Lambda", ""]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=15, deadline=None)
@given(
    rows=items,
    charges=st.sampled_from(["usage", "all", "Usage,Fee", "Tax"]),
    spread=st.sampled_from(["even", "start"]),
    freq=st.sampled_from(["D", "H", "W", "M"]),
    tz=st.sampled_from(["UTC", "America/New_York", "Asia/Kathmandu"]),
)
def test_reconciliation_adds_up_to_the_cent_on_random_input(rows, charges, spread, freq, tz) -> None:
    base = pd.Timestamp("2024-02-20")
    records = [
        _item(str(base + pd.Timedelta(hours=h)), d, f"{c:f}", type=t, account=a, service=s)
        for h, d, t, c, a, s in rows
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cur.csv"
        pd.DataFrame(records).rename(
            columns={
                "start": "lineItem/UsageStartDate",
                "end": "lineItem/UsageEndDate",
                "account": "lineItem/UsageAccountId",
                "type": "lineItem/LineItemType",
                "service": "product/ProductName",
                "cost": "lineItem/UnblendedCost",
                "currency": "lineItem/CurrencyCode",
            }  # fmt: skip
        ).to_csv(path, index=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)  # partial last periods are expected here
            result = prepare_series(path, charges=charges, spread=spread, freq=freq, tz=tz)
    report = result.report
    assert report.input_total == sum((c for *_, c, _, _ in rows), Decimal(0))
    for charge in report.by_charge_type:
        assert charge.total == sum((c for _, _, t, c, _, _ in rows if t == charge.charge_type), Decimal(0))
    assert report.balanced, report.summary()
    series = result.series
    assert not series["y"].isna().any()
    assert (series.groupby("unique_id")["ds"].diff().dropna() > pd.Timedelta(0)).all()
    assert set(series["account"]) <= {"111111111111", "022222222222"}
