"""One point forecast everywhere: the leaderboard's WAPE, RMSE and MASE score P50, and lookup totals say
which column they add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.automl import select_models
from forecasting.lookup import lookup_totals
from forecasting.quantiles import point_column


def backtest(p50: list[float], mean: list[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One series, one window of two days with actuals 10 and 10, a band of +-2 around ``p50``."""
    median = np.asarray(p50)
    cv = pd.DataFrame(
        {
            "unique_id": "s",
            "ds": pd.date_range("2024-01-11", periods=2),
            "cutoff": pd.Timestamp("2024-01-10"),
            "model": "theta",
            "y": [10.0, 10.0],
            "p10": median - 2.0,
            "p50": median,
            "p90": median + 2.0,
            "mean": mean,
        }
    )
    history = pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("2024-01-01", periods=10), "y": [8.0, 12.0] * 5}
    )
    return cv, history


def test_point_metrics_score_the_median_column():
    """A perfect P50 with a wrong mean: WQL is low, and so are WAPE, RMSE and MASE (they used to
    score the mean, 100% WAPE next to the best WQL)."""
    cv, history = backtest(p50=[10.0, 10.0], mean=[0.0, 0.0])
    selection = select_models(cv, history=history, quantiles=(0.1, 0.5, 0.9), season_length=1)
    row = selection.overall.iloc[0]
    assert row["wape"] == 0.0
    assert row["rmse"] == 0.0
    assert row["mase"] == 0.0
    series = selection.scores.iloc[0]
    assert series["wape"] == 0.0
    automl = selection.leaderboard.set_index("model").loc["automl"]
    assert automl["wape"] == 0.0


def test_without_a_median_level_the_mean_is_the_point():
    """Levels 0.1 and 0.9 only: there is no P50 to score, the mean column is used."""
    cv, history = backtest(p50=[10.0, 10.0], mean=[5.0, 15.0])
    cv = cv.drop(columns="p50")
    selection = select_models(cv, history=history, quantiles=(0.1, 0.9), season_length=1)
    assert selection.overall.iloc[0]["wape"] == pytest.approx(0.5)
    assert selection.overall.iloc[0]["rmse"] == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("levels", "column"),
    [((0.1, 0.5, 0.9), "p50"), ((0.5,), "p50"), ((0.2, 0.8), "mean"), ((0.05, 0.25, 0.75), "mean")],
)
def test_point_column(levels, column):
    assert point_column(levels) == column


def test_lookup_totals_name_the_column_they_add_up():
    rows = pd.DataFrame({"p10": [0.0, 1.0], "p50": [1.5, 2.5], "p90": [4.0, 5.0], "mean": [2.0, 3.0]})
    assert lookup_totals(rows) == {"mean": 5.0, "p50": 4.0}
    assert lookup_totals(rows.drop(columns="p50")) == {"mean": 5.0}
