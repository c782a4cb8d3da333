"""Cost exploration tables add up to the input, and their charts carry titles, currency and readable dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.dates import ConciseDateFormatter
from matplotlib.figure import Figure

from forecasting.errors import DataError
from forecasting.explore import (
    OTHER,
    WEEKDAYS,
    daily_by,
    daily_chart,
    monthly_by,
    monthly_chart,
    top_costs,
    top_costs_chart,
    weekday_chart,
    weekday_profile,
    weekday_totals,
)
from forecasting.plots import MoneyFormatter, anomaly_chart


@pytest.fixture
def costs() -> pd.DataFrame:
    """Three services over two accounts, 2024-01-01 (a Monday) to 2024-03-31, with one day missing."""
    days = pd.date_range("2024-01-01", "2024-03-31", freq="D")
    weekend = days.day_of_week >= 5
    parts = [
        pd.DataFrame({"ds": days, "y": np.where(weekend, 20.0, 100.0), "service": "EC2", "account": "a1"}),
        pd.DataFrame({"ds": days, "y": 30.0, "service": "S3", "account": "a1"}),
        pd.DataFrame({"ds": days, "y": 5.0, "service": "Lambda", "account": "a2"}),
    ]
    frame = pd.concat(parts, ignore_index=True)
    return frame[frame["ds"] != "2024-02-10"].reset_index(drop=True)


def test_top_costs_ranks_and_shares(costs: pd.DataFrame) -> None:
    table = top_costs(costs, "service", n=2)
    total = costs["y"].sum()
    assert table.index.tolist() == ["EC2", "S3"]
    ec2 = costs.loc[costs["service"] == "EC2", "y"].sum()
    assert table.loc["EC2", "cost"] == pytest.approx(ec2)
    assert table.loc["EC2", "share"] == pytest.approx(ec2 / total)
    # Shares are of the grand total: the top two leave out Lambda's.
    lam = costs.loc[costs["service"] == "Lambda", "y"].sum()
    assert table["share"].sum() == pytest.approx(1 - lam / total)
    assert top_costs(costs, "account")["share"].sum() == pytest.approx(1.0)


def test_missing_column_is_explained(costs: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"lacks column\(s\) \['region'\]"):
        top_costs(costs, "region")
    with pytest.raises(DataError, match="at least 1"):
        top_costs(costs, "service", n=0)


def test_daily_by_fills_gaps_with_zero_and_orders_costliest_first(costs: pd.DataFrame) -> None:
    daily = daily_by(costs, "service")
    assert daily.columns.tolist() == ["EC2", "S3", "Lambda"]
    assert len(daily) == 91  # every day of Q1 2024, the missing one included
    assert daily.loc["2024-02-10"].sum() == 0.0
    assert daily.loc["2024-01-06", "EC2"] == 20.0  # a Saturday
    lumped = daily_by(costs, "service", top=1)
    assert lumped.columns.tolist() == ["EC2", OTHER]
    assert lumped[OTHER].to_numpy() == pytest.approx(daily[["S3", "Lambda"]].sum(axis=1).to_numpy())


def test_monthly_by_sums_each_calendar_month(costs: pd.DataFrame) -> None:
    monthly = monthly_by(costs, "account")
    assert monthly.index.tolist() == list(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]))
    assert monthly.loc["2024-02-01", "a2"] == pytest.approx(5.0 * 28)  # 29 days, one missing
    assert monthly.loc["2024-03-01", "a2"] == pytest.approx(5.0 * 31)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=1, max_size=40),
    top=st.one_of(st.none(), st.integers(1, 4)),
    seed=st.integers(0, 10_000),
)
def test_tables_keep_every_cent(values: list[float], top: int | None, seed: int) -> None:
    """Whatever the dates and the lumping, the daily and monthly tables add up to the input total."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "ds": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, len(values)), unit="D"),
            "y": values,
            "service": rng.choice(["a", "b", "c", "d", "e"], len(values)),
        }
    )
    total = frame["y"].sum()
    assert daily_by(frame, "service", top=top).to_numpy().sum() == pytest.approx(total, abs=1e-6)
    assert monthly_by(frame, "service", top=top).to_numpy().sum() == pytest.approx(total, abs=1e-6)
    assert top_costs(frame, "service", n=5)["cost"].sum() == pytest.approx(total, abs=1e-6)


def test_weekday_tables(costs: pd.DataFrame) -> None:
    totals = weekday_totals(costs)
    assert totals.index.tolist() == list(WEEKDAYS)
    assert totals.loc["Mon", "mean"] == pytest.approx(135.0)
    # 2024-02-10, the missing day, is a Saturday: it has no line item, so it is not a zero-cost Saturday.
    assert totals.loc["Sat", "mean"] == pytest.approx(55.0)
    assert totals.loc["Sat", "days"] == 12
    assert totals.loc["Mon", "std"] == pytest.approx(0.0)
    profile = weekday_profile(costs, "service", top=2)
    assert profile.columns.tolist() == ["EC2", "S3"]
    ec2 = daily_by(costs, "service")["EC2"]
    assert profile.loc["Sun", "EC2"] == pytest.approx(20.0 / ec2.mean())
    assert profile["S3"].loc[["Mon", "Tue", "Sun"]].to_numpy() == pytest.approx(
        30.0 / daily_by(costs, "service")["S3"].mean()
    )


def _texts(fig: Figure) -> str:
    ax = fig.axes[0]
    return " | ".join([ax.get_title(), ax.get_xlabel(), ax.get_ylabel()])


def test_charts_have_titles_units_money_ticks_and_dates(costs: pd.DataFrame) -> None:
    top = top_costs_chart(top_costs(costs, "service"), currency="EUR")
    assert "total cost (EUR)" in _texts(top)
    assert "service" in top.axes[0].get_title()
    assert [p.get_width() for p in top.axes[0].patches][::-1] == pytest.approx(
        top_costs(costs, "service")["cost"].tolist()
    )
    assert isinstance(top.axes[0].xaxis.get_major_formatter(), MoneyFormatter)

    daily = daily_chart(daily_by(costs, "service"), currency="EUR")
    assert "cost per day (EUR)" in _texts(daily)
    assert isinstance(daily.axes[0].xaxis.get_major_formatter(), ConciseDateFormatter)
    assert [t.get_text() for t in daily.axes[0].get_legend().get_texts()] == ["EC2", "S3", "Lambda"]

    credits = pd.DataFrame({"ds": pd.to_datetime(["2024-01-03", "2024-01-04"]), "y": [50.0, -20.0],
                            "charge_type": ["Usage", "Credit"]})  # fmt: skip
    monthly = monthly_chart(monthly_by(credits, "charge_type"), currency="EUR")
    ax = monthly.axes[0]
    assert "cost per month (EUR)" in _texts(monthly)
    assert "charge type" in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Jan 2024"]
    heights = sorted(p.get_height() for p in ax.patches)
    assert heights == [-20.0, 50.0]
    assert ax.get_ylim()[1] > 50.0  # the tallest bar does not touch the frame

    week = weekday_chart(weekday_totals(costs), weekday_profile(costs, "service"), currency="EUR")
    assert len(week.axes) == 2
    assert "cost per day (EUR)" in _texts(week)
    assert [p.get_height() for p in week.axes[0].patches] == pytest.approx(
        weekday_totals(costs)["mean"].tolist()
    )


def test_chart_draws_on_given_axes(costs: pd.DataFrame) -> None:
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert top_costs_chart(top_costs(costs, "account"), ax=right) is fig
    assert len(right.patches) == 2
    assert not left.patches


def test_anomaly_chart_marks_the_flagged_days(costs: pd.DataFrame) -> None:
    history = costs.assign(unique_id=costs["service"])
    anomalies = pd.DataFrame(
        {
            "unique_id": ["S3", "S3", "EC2"],
            "ds": pd.to_datetime(["2024-03-01", "2024-03-05", "2024-01-10"]),
            "y": [90.0, 1.0, 300.0],
            "p10": [28.0, 28.0, 90.0],
            "p50": [30.0, 30.0, 100.0],
            "p90": [32.0, 32.0, 110.0],
            "severity": [99.0, 80.0, 100.0],
            "impact": [60.0, -29.0, 200.0],
        }
    )
    fig = anomaly_chart(history, anomalies, unique_id="S3", currency="EUR")
    ax = fig.axes[0]
    assert ax.get_title() == "Anomalies in S3: 2 flagged"
    assert "cost per day (EUR)" in ax.get_ylabel()
    points = ax.collections[-1]
    assert points.get_offsets()[:, 1].tolist() == [90.0, 1.0]
    assert points.get_array().tolist() == [99.0, 80.0]
    assert len(fig.axes) == 2  # the severity color bar
    # By default the chart shows the series of the first (largest) anomaly.
    assert anomaly_chart(history, anomalies.iloc[[2]]).axes[0].get_title().startswith("Anomalies in EC2")
    with pytest.raises(DataError, match="no anomaly"):
        anomaly_chart(history, anomalies.iloc[:0])
    with pytest.raises(DataError, match="no history"):
        anomaly_chart(history, anomalies, unique_id="RDS")
