"""Budgets on hand-built totals with known answers: quarterly periods, a credit line below zero, amounts
with commas, and one period label wherever a period is written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecasting.budget
from forecasting.bill_charts import guess_total_freq, month_end_chart, period_title
from forecasting.budget import (
    LoadedTotals,
    budget_frame,
    budget_risk,
    budget_slider,
    budget_table,
    parse_amount,
    period_label,
    read_period,
)
from forecasting.errors import DataError

QUARTERS = (pd.Timestamp("2025-07-01"), pd.Timestamp("2025-10-01"))
# (level, key): the sampled totals of each quarter are this base plus 0, 1, ..., 99 times the step.
LINES = {("total", "total"): (9_000.0, 20.0), ("charge_type", "Credit"): (-1_000.0, 5.0),
         ("charge_type", "Usage"): (10_000.0, 15.0)}  # fmt: skip


def _quarterly(quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> LoadedTotals:
    """Two quarters of three lines; the running total grows linearly over the quarter's days."""
    samples, table, daily = [], [], []
    for (level, key), (base, step) in LINES.items():
        for quarter, start in enumerate(QUARTERS):
            totals = base + 100 * quarter + step * np.arange(100)
            samples.append(pd.DataFrame({"level": level, "key": key, "period": start,
                                         "sample": np.arange(100), "total": totals}))  # fmt: skip
            row = {"level": level, "key": key, "period": start, "actual_to_date": 0.0, "observed_steps": 0,
                   "forecast_steps": 92, "missing_steps": 0, "mean": float(totals.mean())}  # fmt: skip
            row |= {f"p{round(q * 100)}": float(np.quantile(totals, q)) for q in quantiles}
            table.append(row)
            days = pd.date_range(start, periods=92)
            share = np.arange(1, 93) / 92
            frame = pd.DataFrame({"level": level, "key": key, "period": start, "ds": days})
            for q in sorted({*quantiles, 0.5, 0.9}):
                frame[f"p{round(q * 100)}"] = share * float(np.quantile(totals, q))
            frame["mean"] = share * float(totals.mean())
            daily.append(frame)
    return LoadedTotals(pd.DataFrame(table), pd.concat(daily, ignore_index=True),
                        pd.concat(samples, ignore_index=True), "Q", "EUR", quantiles)  # fmt: skip


def test_only_one_totals_class_named_loaded_totals():
    # totals_backtest.RunTotals is the run's in-memory totals; the folder's are LoadedTotals.
    assert not hasattr(forecasting.budget, "RunTotals")
    assert "LoadedTotals" in forecasting.budget.__all__


@pytest.mark.parametrize(
    ("text", "freq", "start"),
    [
        ("2025-07", "M", "2025-07-01"),
        ("2025-07-01", "M", "2025-07-01"),  # as totals.parquet writes it
        ("2025-07-15", "M", "2025-07-01"),
        ("2025-07-30", "W", "2025-07-28"),
        ("2025-07-28", "W", "2025-07-28"),
        ("2025-08-03", "W", "2025-07-28"),  # a Sunday closes its week
        ("2025-Q3", "Q", "2025-07-01"),
        ("2025-q4", "Q", "2025-10-01"),
        ("2025-09", "Q", "2025-07-01"),
        ("2025-07-01", "Q", "2025-07-01"),  # as totals.parquet writes it
        ("2025-08-15", "Q", "2025-07-01"),
    ],
)
def test_read_period_finds_the_first_day_of_the_period(text, freq, start):
    assert read_period(text, freq) == pd.Timestamp(start)


@pytest.mark.parametrize(
    ("text", "freq"), [("2025-08", "W"), ("2025-Q5", "Q"), ("July", "M"), ("2025-13", "M"), ("Q3", "Q")]
)
def test_read_period_refuses_other_formats(text, freq):
    with pytest.raises(ValueError):
        read_period(text, freq)


def test_period_label_round_trips_through_read_period():
    for freq, starts in {"M": ["2025-07-01", "2026-01-01"], "W": ["2025-06-30", "2025-12-29"],
                         "Q": ["2025-01-01", "2025-10-01"]}.items():  # fmt: skip
        for start in map(pd.Timestamp, starts):
            assert read_period(period_label(start, freq), freq) == start
    assert [period_label(QUARTERS[1], f) for f in ("M", "W", "Q")] == ["2025-10", "2025-10-01", "2025-Q4"]


def test_quarterly_budget_takes_a_quarter_or_any_of_its_months():
    bill = _quarterly()
    by_quarter = budget_risk(bill, 10_000, period="2025-Q4")
    by_month = budget_risk(bill, 10_000, period="2025-11")
    assert by_quarter == by_month
    assert by_quarter["period"] == "2025-Q4"
    # Q4 totals are 9,100 + 20 k for k = 0..99: above 10,000 when k > 45, i.e. 54 of 100.
    assert by_quarter["probability_over"] == pytest.approx(0.54)
    with pytest.raises(DataError) as err:
        budget_risk(bill, 10_000, period="July 2025")
    assert str(err.value) == ("--period: cannot read 'July 2025' as a quarter; pass YYYY-Qn, or YYYY-MM or a "
                              "day (any month or day of the quarter, as totals.parquet's 2025-07-01), one of "
                              "2025-Q3, 2025-Q4")  # fmt: skip
    with pytest.raises(
        DataError, match=r"'2026-Q1' is outside the forecast horizon; pass one of 2025-Q3, 2025-Q4"
    ):
        budget_risk(bill, 10_000, period="2026-Q1")


def test_budgets_file_reads_quarter_labels_and_names_the_line():
    bill = _quarterly()
    budgets = pd.DataFrame({"level": ["total", "total"], "key": ["total", "total"],
                            "period": ["2025-Q3", "2025-Q4"], "amount": ["9,990", "9990"]})  # fmt: skip
    table = budget_table(bill, budgets)
    assert table["period"].tolist() == ["2025-Q4", "2025-Q3"]  # Q4 is 100 higher: riskier
    assert table["probability_over"].tolist() == pytest.approx([0.55, 0.5])
    budgets.loc[1, "period"] = "2025-10-01"  # as totals.parquet writes Q4
    assert budget_table(bill, budgets)["period"].tolist() == ["2025-Q4", "2025-Q3"]
    budgets.loc[1, "period"] = "Q4 2025"
    with pytest.raises(DataError, match=r"^--budgets line 3: period: cannot read 'Q4 2025' as a quarter"):
        budget_table(bill, budgets)


def test_quarter_chart_is_titled_with_the_quarter():
    bill = _quarterly()
    fig = month_end_chart(bill.daily, period="2025-Q4", budget=9_500, total_freq="Q")
    assert fig.axes[0].get_title() == "Running total of the bill, 2025-Q4"
    assert [period_title("2025-11-15", f) for f in ("M", "W", "Q")] == [
        "November 2025", "week of 2025-11-10", "2025-Q4"]  # fmt: skip
    with pytest.raises(DataError, match="not a period of the running totals; pass one of 2025-Q3, 2025-Q4"):
        month_end_chart(bill.daily, period="2026-Q1", total_freq="Q")
    # Without total_freq the chart tells quarters from their days.
    assert month_end_chart(bill.daily).axes[0].get_title() == "Running total of the bill, 2025-Q3"


@pytest.mark.parametrize(
    ("starts", "days", "freq"),
    [
        (["2025-07-01", "2025-08-01"], [31, 31], "M"),
        (["2025-09-01"], [30], "M"),  # a month that starts on a Monday
        (["2025-07-01"], [10], "M"),  # a short month in a quarter month
        (["2025-09-01", "2025-09-08"], [7, 7], "W"),  # weeks, the first on a Monday the 1st
        (["2025-07-07"], [3], "W"),
        (["2025-07-01"], [92], "Q"),
        (["2025-07-01", "2025-10-01"], [92, 20], "Q"),
    ],
)
def test_guess_total_freq_from_the_days_of_each_period(starts, days, freq):
    daily = pd.concat([pd.DataFrame({"period": pd.Timestamp(s), "ds": pd.date_range(s, periods=n)})
                       for s, n in zip(starts, days, strict=True)])  # fmt: skip
    assert guess_total_freq(daily) == freq


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,234,567.89", 1_234_567.89),
        ("120,000", 120_000.0),
        ("1234.5", 1234.5),
        (" 999 ", 999.0),
        ("1e5", 1e5),
    ],
)
def test_parse_amount_reads_thousands_separators(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize(
    ("text", "fix"),
    [("1234,56", "write 1234.56"), ("1.234,5", "write 1234.5"), ("-0,5", "write -0.5"),
     ("1,2345", "write the number without commas, such as 1234.56"),
     (",100", "without commas, such as 1234.56"),
     ("1,234,56.7", "without commas, such as 1234.56"), ("12,34.5", "without commas, such as 1234.56")],
)  # fmt: skip
def test_parse_amount_refuses_other_commas_and_says_the_number(text, fix):
    with pytest.raises(DataError) as err:
        parse_amount(text)
    message = str(err.value)
    assert message.startswith(f"--amount: got {text!r}; a comma may only separate thousands (1,234,567.89): ")
    assert message.endswith(fix)
    assert "\n" not in message


def test_credit_line_slider_and_budget_below_zero():
    bill = _quarterly()
    where = {"level": "charge_type", "key": "Credit"}
    row = bill.table[(bill.table["key"] == "Credit") & (bill.table["period"] == QUARTERS[0])].iloc[0]
    assert row["p90"] < 0
    slider = budget_slider(bill, **where)
    assert slider.min < row["p10"] < slider.value < row["p90"] < slider.max
    assert abs(slider.value - row["p50"]) <= slider.step
    # Q3 credits are -1,000 + 5 k for k = 0..99: above -700 when k > 60, i.e. 39 of 100.
    frame = budget_frame(bill, -700, **where)
    assert frame.loc[0, "probability_over"] == pytest.approx(0.39)
    assert frame.loc[0, "expected_overrun"] == pytest.approx(
        np.maximum(-1000 + 5 * np.arange(100) + 700, 0).mean()
    )
    assert budget_frame(bill, slider.max, **where).loc[0, "probability_over"] == 0.0
    assert budget_frame(bill, slider.min, **where).loc[0, "probability_over"] == 1.0
    # A cost that is never negative takes no negative budget.
    with pytest.raises(DataError, match="--amount: got -5; pass the budget as a non-negative number"):
        budget_risk(bill, -5)


def test_level_without_key_is_reported_as_a_missing_key():
    bill = _quarterly()
    message = ("--level 'charge_type' needs --key, one charge_type of the run's totals. "
               "Known values: 'Credit', 'Usage'.")  # fmt: skip
    with pytest.raises(DataError) as err:
        budget_risk(bill, 100, level="charge_type")
    assert str(err.value) == message
    with pytest.raises(DataError, match="level 'charge_type' needs key"):
        budget_slider(bill, level="charge_type")
