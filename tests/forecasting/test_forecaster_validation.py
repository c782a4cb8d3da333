"""Validation at the boundary: columns, types, duplicates, the grid, gap filling and the horizon rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import DataError, DataWarning
from forecasting.forecaster import Forecaster
from forecasting.interface import command_line
from forecasting.validation import check_backtest, check_horizon, resolve_freq, validate_series


def test_gaps_inside_a_series_are_filled_with_zero_and_rows_sorted():
    df = pd.DataFrame(
        {
            "unique_id": ["b", "a", "a", "b"],
            "ds": ["2024-01-05", "2024-01-04", "2024-01-01", "2024-01-03"],
            "y": ["2.5", 1, 3, 4],
            "service": ["S3", "EC2", "EC2", "S3"],
        }
    )
    valid = validate_series(df)
    assert valid.df["unique_id"].tolist() == ["a"] * 4 + ["b"] * 3
    assert valid.df["y"].tolist() == [3.0, 0.0, 0.0, 1.0, 4.0, 0.0, 2.5]
    assert valid.n_filled == 3
    assert valid.dims.to_dict("list") == {"unique_id": ["a", "b"], "service": ["EC2", "S3"]}
    assert valid.history_length == 4
    assert str(valid.df["ds"].dtype) == "datetime64[ns]"


def test_custom_column_names_are_renamed():
    df = pd.DataFrame(
        {"id": ["x", "x", "x"], "date": pd.date_range("2024-01-01", periods=3), "cost": [1, 2, 3]}
    )
    valid = validate_series(df, id_col="id", time_col="date", target_col="cost")
    assert list(valid.df.columns) == ["unique_id", "ds", "y"]


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-01"]}), r"lacks column\(s\) \['y'\]"),
        (pd.DataFrame({"unique_id": [], "ds": [], "y": []}), "no rows"),
        (pd.DataFrame({"unique_id": ["a"], "ds": ["yesterday"], "y": [1.0]}), "must hold dates.*'yesterday'"),
        (
            pd.DataFrame({"unique_id": ["a", "a"], "ds": ["2024-01-01", "2024-01-02"], "y": ["$5", "6"]}),
            "numeric.*'\\$5'",
        ),
        (pd.DataFrame({"unique_id": ["a", "a"], "ds": ["2024-01-01"] * 2, "y": [1.0, 2.0]}), "repeat.*'a'"),
        (
            pd.DataFrame({"unique_id": ["a", "a"], "ds": ["2024-01-01", "2024-01-01 06:00"], "y": [1.0, 2]}),
            "not on the 'D' grid",
        ),
        (pd.DataFrame({"unique_id": [None], "ds": ["2024-01-01"], "y": [1.0]}), "missing ids"),
        (pd.DataFrame({"unique_id": ["a", "a"], "ds": [1, 2], "y": [1.0, 2.0]}), "holds numbers"),
        (pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-01"], "y": [np.inf]}), "infinite"),
    ],
)
def test_bad_frames_raise_a_message_naming_the_problem(frame, match):
    with pytest.raises(DataError, match=match):
        validate_series(frame)


def test_missing_values_warn_and_count_as_zero():
    df = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=3), "y": [1.0, np.nan, 3.0]}
    )
    with pytest.warns(DataWarning, match="1 missing value"):
        valid = validate_series(df)
    assert valid.df["y"].tolist() == [1.0, 0.0, 3.0]


def test_columns_that_vary_within_a_series_are_dropped_with_a_warning():
    df = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=2), "y": [1.0, 2.0], "note": ["x", "y"]}
    )
    with pytest.warns(DataWarning, match=r"\['note'\] vary"):
        valid = validate_series(df)
    assert list(valid.dims.columns) == ["unique_id"]


@pytest.mark.parametrize(
    ("freq", "dates", "expected"),
    [
        ("W", ["2024-01-01", "2024-01-15"], "W-MON"),
        ("MS", ["2024-01-01", "2024-03-01"], "MS"),
        ("M", ["2024-01-01", "2024-03-01"], "MS"),
        ("ME", ["2024-01-31", "2024-03-31"], "ME"),
        ("QS", ["2024-02-01", "2024-08-01"], "QS-FEB"),
        ("H", ["2024-01-01 00:00", "2024-01-01 05:00"], "h"),
    ],
)
def test_other_frequencies_are_anchored_on_the_data(freq, dates, expected):
    df = pd.DataFrame({"unique_id": "a", "ds": dates, "y": [1.0, 2.0]})
    valid = validate_series(df, freq=freq)
    assert valid.freq == expected
    assert valid.n_filled == len(pd.date_range(dates[0], dates[1], freq=expected)) - 2


def test_unknown_frequency_is_refused():
    with pytest.raises(DataError, match="not a pandas frequency"):
        resolve_freq("fortnightly")


def test_horizon_rule_message_names_h_history_and_largest_allowed():
    with pytest.raises(DataError) as info:
        check_horizon(31, 90)
    message = str(info.value)
    assert "h=31" in message
    assert "90 period(s)" in message
    assert "largest allowed h is 30" in message
    assert check_horizon(30, 90) == 30


@pytest.mark.parametrize("h", [0, -3, 2.5, True])
def test_horizon_must_be_a_positive_integer(h):
    with pytest.raises(DataError, match="positive whole number"):
        check_horizon(h, 100)


def test_backtest_windows_may_reach_back_half_the_history():
    check_backtest(10, 5, 10, 100)
    with pytest.raises(DataError, match="use n_windows=5 or less"):
        check_backtest(10, 6, 10, 100)
    with command_line(), pytest.raises(DataError, match="use --backtest-windows 5 or less"):
        check_backtest(10, 6, 10, 100)


def test_forecaster_applies_the_horizon_rule(weekly_frame):
    fc = Forecaster(models=["naive"]).fit(weekly_frame)
    with pytest.raises(DataError, match="h=41 .* 120 period.*largest allowed h is 40"):
        fc.predict(41)
    with pytest.raises(DataError, match="largest allowed h is 40"):
        Forecaster(models=["naive"]).cross_validation(weekly_frame, h=41)
