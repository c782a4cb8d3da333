"""Backtest folds: positions of the cutoffs, per-series cutoffs, no look-ahead, argument checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import DataError
from forecasting.backtest import splits
from forecasting.forecaster import Forecaster


def test_windows_hold_out_h_periods_ending_at_the_last_date(long_frame):
    """Two windows of 3 every 2 periods on 12 rows: the last holds out rows 9-11, the first rows 7-9."""
    df = long_frame({"a": np.arange(12.0)})
    folds = list(splits(df, h=3, n_windows=2, step_size=2))
    assert len(folds) == 2
    assert [f.cutoff["cutoff"].iloc[0] for f in folds] == [df["ds"].iloc[6], df["ds"].iloc[8]]
    assert folds[0].valid["y"].tolist() == [7.0, 8.0, 9.0]
    assert folds[1].valid["y"].tolist() == [9.0, 10.0, 11.0]
    assert folds[1].train["y"].tolist() == list(np.arange(9.0))
    assert (folds[0].valid["cutoff"] == folds[0].cutoff["cutoff"].iloc[0]).all()


def test_step_size_defaults_to_h_and_windows_do_not_overlap(long_frame):
    df = long_frame({"a": np.arange(20.0)})
    folds = list(splits(df, h=4, n_windows=3))
    held = [f.valid["y"].tolist() for f in folds]
    assert held == [[8.0, 9.0, 10.0, 11.0], [12.0, 13.0, 14.0, 15.0], [16.0, 17.0, 18.0, 19.0]]


def test_cutoffs_are_per_series_and_short_series_are_left_out(long_frame):
    """A series that ends earlier gets its own cutoff; one too short for a window is skipped there."""
    df = pd.concat(
        [
            long_frame({"long": np.arange(30.0)}),
            long_frame({"early": np.arange(20.0)}),
            long_frame({"tiny": np.arange(5.0)}),
        ],
        ignore_index=True,
    ).sort_values(["unique_id", "ds"], ignore_index=True)
    first, last = list(splits(df, h=3, n_windows=2))
    cut = last.cutoff.set_index("unique_id")["cutoff"]
    assert cut["long"] == df.loc[df.unique_id == "long", "ds"].iloc[26]
    assert cut["early"] == df.loc[df.unique_id == "early", "ds"].iloc[16]
    assert cut["tiny"] == df.loc[df.unique_id == "tiny", "ds"].iloc[1]
    # The first window needs 6 held-out periods: "tiny" (5 rows) has no training row left there.
    assert set(first.cutoff["unique_id"]) == {"long", "early"}
    assert set(first.train["unique_id"]) == {"long", "early"}
    for fold in (first, last):
        merged = fold.train.merge(fold.cutoff, on="unique_id")
        assert (merged["ds"] <= merged["cutoff"]).all()
        assert (fold.valid["ds"] > fold.valid["cutoff"]).all()
        assert fold.valid.groupby("unique_id").size().eq(3).all()


@pytest.mark.parametrize(
    ("h", "n_windows", "step_size"), [(0, 1, None), (2, 0, None), (2, 1, 0), (1.5, 1, None)]
)
def test_bad_arguments_raise(long_frame, h, n_windows, step_size):
    df = long_frame({"a": np.arange(10.0)})
    with pytest.raises(DataError, match="positive integer"):
        list(splits(df, h=h, n_windows=n_windows, step_size=step_size))


def test_unsorted_frame_is_refused(long_frame):
    df = long_frame({"a": np.arange(4.0), "b": np.arange(4.0)}).sample(frac=1.0, random_state=0)
    with pytest.raises(DataError, match="sorted"):
        list(splits(df, h=1))


@pytest.mark.parametrize("model", ["naive", "seasonal_naive", "last_plus"])
def test_values_after_a_cutoff_never_change_that_windows_forecast(weekly_frame, last_value_model, model):
    """No look-ahead: rewriting all values after the first cutoff leaves the first window's forecasts."""
    spec = last_value_model() if model == "last_plus" else model
    fc = Forecaster(models=[spec])
    before = fc.cross_validation(weekly_frame, h=7, n_windows=3)
    first_cutoff = before["cutoff"].min()
    changed = weekly_frame.copy()
    after = changed["ds"] > first_cutoff
    changed.loc[after, "y"] = changed.loc[after, "y"] * 10.0 + 1_000.0
    again = fc.cross_validation(changed, h=7, n_windows=3)
    cols = ["unique_id", "ds", "cutoff", "model", "p10", "p50", "p90", "mean"]
    first = before[before["cutoff"] == first_cutoff][cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(first, again[again["cutoff"] == first_cutoff][cols].reset_index(drop=True))
    # ... while later windows, which do see the new values, change.
    assert not np.allclose(
        before.loc[before["cutoff"] > first_cutoff, "p50"], again.loc[again["cutoff"] > first_cutoff, "p50"]
    )


def test_seasonal_naive_is_exact_on_a_periodic_series(long_frame):
    """Known answer: on a noise-free weekly pattern the seasonal naive backtest equals the actuals."""
    pattern = np.array([3.0, 5.0, 8.0, 13.0, 21.0, 9.0, 4.0])
    df = long_frame({"a": np.tile(pattern, 12), "b": np.tile(pattern[::-1] * 2.0, 12)})
    cv = Forecaster(models=["seasonal_naive"]).cross_validation(df, h=14, n_windows=3, step_size=7)
    assert len(cv) == 2 * 3 * 14
    for col in ("p10", "p50", "p90", "mean"):
        np.testing.assert_allclose(cv[col], cv["y"])
    assert cv["cutoff"].nunique() == 3
