"""Frequency inference: known grids, gaps and mixed starts, a property over random subsets, and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.cli import main
from forecasting.errors import DataError, DataWarning
from forecasting.forecaster import Forecaster
from forecasting.frequency import default_season_length, infer_freq
from forecasting.interface import command_line
from forecasting.validation import frame_freq, validate_series


def _dates(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)))


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (("2024-01-01", "2024-01-02", "2024-01-05"), "D"),  # gaps inside a daily series
        (("2024-01-07", "2024-01-21", "2024-03-03"), "W-SUN"),
        (("2024-01-03", "2024-01-10"), "W-WED"),
        (("2024-01-01", "2024-02-01", "2024-05-01"), "MS"),
        (("2024-01-31", "2024-02-29", "2024-04-30"), "ME"),
        (("2024-02-01", "2024-05-01", "2024-11-01"), "QS-FEB"),
        (("2023-03-31", "2023-06-30", "2023-12-31"), "QE-MAR"),  # the same quarters as QE-DEC
        (("2020-01-01", "2021-01-01", "2024-01-01"), "YS-JAN"),
        (("2024-01-01 00:00", "2024-01-01 01:00", "2024-01-02 05:00"), "h"),
        (("2024-01-01 00:00", "2024-01-01 00:15", "2024-01-01 01:45"), "15min"),
        (("2024-01-01", "2024-01-03", "2024-01-09"), "D"),  # calendar grids come before steps
        (("2024-01-01",), "D"),  # one period: nothing to infer from
    ],
)
def test_known_grids(dates, expected):
    assert infer_freq(_dates(*dates)) == expected


def test_series_starting_on_different_days_are_pooled():
    # Two weekly series on Sundays, starting three weeks apart; together they still lie on W-SUN.
    ds = pd.concat([_dates("2024-01-07", "2024-01-14"), _dates("2024-01-28", "2024-02-04")])
    assert infer_freq(ds) == "W-SUN"
    # A Monday in another series breaks the weekly grid: the data is daily.
    assert infer_freq(pd.concat([ds, _dates("2024-01-08")])) == "D"


def test_irregular_timestamps_ask_for_freq_in_the_callers_terms():
    dates = _dates("2024-01-01 00:00", "2024-01-01 00:30", "2024-01-01 01:15")
    with pytest.raises(DataError, match=r"no regular grid.*pass it with freq= ") as api:
        infer_freq(dates)
    assert "--freq" not in str(api.value)
    with command_line(), pytest.raises(DataError, match=r"no regular grid.*pass it with --freq "):
        infer_freq(dates)


_GRIDS = ["h", "D", "W-WED", "MS", "ME", "QS-JAN", "YS-JAN"]


@settings(max_examples=60, deadline=None)
@given(
    freq=st.sampled_from(_GRIDS),
    picks=st.lists(st.integers(0, 39), min_size=0, max_size=15),
    pair=st.integers(0, 38),
)
def test_any_subset_with_two_neighbours_gives_its_grid(freq, picks, pair):
    # A coarser calendar grid cannot hold two neighbouring points of a finer one, so the answer is exact.
    grid = pd.date_range("2021-01-06" if freq == "W-WED" else "2021-01-01", periods=40, freq=freq)
    chosen = grid[sorted({*picks, pair, pair + 1})]
    assert infer_freq(pd.Series(chosen)) == freq


def test_frame_freq_keeps_a_given_frequency_and_infers_auto():
    df = pd.DataFrame({"unique_id": "a", "ds": ["2024-01-31", "2024-02-29"], "y": [1.0, 2.0]})
    assert frame_freq(df, "D") == "D"
    assert frame_freq(df, None) == frame_freq(df, "auto") == "ME"
    assert validate_series(df, freq="auto").freq == "ME"


def test_explicit_fine_frequency_on_coarse_data_warns():
    weeks = pd.date_range("2024-01-07", periods=20, freq="W-SUN")
    df = pd.DataFrame({"unique_id": "a", "ds": weeks, "y": np.arange(20.0)})
    with pytest.warns(DataWarning, match=r"coarser grid 'W-SUN'.*pass freq='W-SUN'") as api:
        valid = validate_series(df, freq="D")
    assert len(valid.df) == 134  # 19 weeks of days + 1, zeros in between: what the warning is about
    assert "--freq" not in str(api[0].message)  # a Python caller has no flags
    with command_line(), pytest.warns(DataWarning, match=r"coarser grid 'W-SUN'.*pass --freq W-SUN"):
        validate_series(df, freq="D")


def test_forecaster_warns_a_python_caller_with_freq_not_a_flag():
    weeks = pd.date_range("2024-01-07", periods=20, freq="W-SUN")
    df = pd.DataFrame({"unique_id": "a", "ds": weeks, "y": np.arange(20.0)})
    with pytest.warns(DataWarning, match=r"pass freq='W-SUN'") as caught:
        Forecaster(models=["naive"], n_windows=0, freq="D").fit(df)
    assert all("--" not in str(w.message) for w in caught)


@pytest.mark.parametrize(
    ("freq", "expected"),
    [("D", 7), ("2D", 7), ("B", 5), ("W-SUN", 52), ("MS", 12), ("ME", 12), ("QS-JAN", 4), ("QE-DEC", 4),
     ("h", 24), ("YS-JAN", 1), ("15min", 1)],
)  # fmt: skip
def test_default_season_lengths(freq, expected):
    assert default_season_length(freq) == expected


def test_run_infers_weekly_series_without_freq(tmp_path, long_frame):
    t = np.arange(120)
    df = long_frame({"w": 100 + 10 * np.sin(2 * np.pi * t / 52)}, freq="W-SUN", start="2021-01-03")
    path = tmp_path / "weekly.csv"
    df.to_csv(path, index=False)
    out = tmp_path / "out"
    # Weeks straddle months: the run forecasts them and says that it writes no monthly bill totals.
    with pytest.warns(DataWarning, match="no bill totals"):
        assert (
            main(["run", str(path), "-o", str(out), "--horizon", "8", "--models", "seasonal_naive", "-q"])
            == 0
        )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["season_length"] == 52
    final = pd.read_parquet(out / "forecasts.parquet")
    assert len(final) == 8
    assert (final["ds"].dt.day_name() == "Sunday").all()
    assert final["ds"].min() == df["ds"].max() + pd.Timedelta(weeks=1)
    # Seasonal naive with a 52-week season repeats the same weeks of the last year.
    np.testing.assert_allclose(final["p50"], df["y"].iloc[-52:-44])


@pytest.mark.parametrize(
    ("dates", "given", "expected"),
    [
        (("2024-01-01", "2024-02-01", "2024-03-01"), "M", "MS"),
        (("2024-01-31", "2024-02-29", "2024-03-31"), "M", "ME"),
        (("2024-01-01", "2024-04-01"), "Q", "QS"),
        (("2024-01-01", "2024-02-01"), "MS", "MS"),
    ],
)
def test_a_bare_month_or_quarter_is_labelled_as_the_dates_are(dates, given, expected) -> None:
    from forecasting.validation import frame_freq

    assert frame_freq(pd.DataFrame({"ds": list(dates)}), given) == expected
