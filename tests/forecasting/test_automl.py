"""AutoML: the lowest mean WQL wins per series, ties go to the simpler model, NaN never wins, dataset mode."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import DataError
from forecasting.automl import default_candidates, model_order, select_models
from forecasting.cli import build_parser
from forecasting.forecaster import Forecaster


def cv_frame(rows: list[tuple[str, str, int, list[float], list[float]]]) -> pd.DataFrame:
    """A backtest frame from (series, model, window, actuals, point forecasts); all quantiles = the point."""
    parts = []
    for uid, model, window, y, pred in rows:
        cutoff = pd.Timestamp("2024-01-10") + pd.Timedelta(days=10 * window)
        ds = pd.date_range(cutoff + pd.Timedelta(days=1), periods=len(y))
        p = np.asarray(pred, dtype=float)
        parts.append(
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "ds": ds,
                    "cutoff": cutoff,
                    "model": model,
                    "y": y,
                    "p10": p,
                    "p50": p,
                    "p90": p,
                    "mean": p,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def history_for(cv: pd.DataFrame) -> pd.DataFrame:
    ids = cv["unique_id"].unique()
    ds = pd.date_range("2024-01-01", "2024-02-28")
    return pd.DataFrame({"unique_id": np.repeat(ids, len(ds)), "ds": np.tile(ds, len(ids)), "y": 1.0})


def select(cv: pd.DataFrame, **kwargs: object):
    return select_models(cv, history=history_for(cv), quantiles=(0.1, 0.5, 0.9), season_length=1, **kwargs)


def test_lowest_mean_wql_across_windows_wins():
    """Model b is worse in window 0 but much better in window 1: its mean over windows is lower."""
    y = [10.0, 10.0]
    cv = cv_frame(
        [
            ("s", "naive", 0, y, [10.0, 10.0]),
            ("s", "naive", 1, y, [5.0, 5.0]),
            ("s", "seasonal_naive", 0, y, [9.0, 9.0]),
            ("s", "seasonal_naive", 1, y, [10.0, 10.0]),
        ]
    )
    sel = select(cv)
    assert sel.choices.loc[0, "model"] == "seasonal_naive"
    # WQL of a point forecast is sum|e| / sum|y|: naive 0 and 0.5 (0.25), seasonal naive 0.1 and 0 (0.05).
    np.testing.assert_allclose(sel.choices.loc[0, "mean_wql"], 0.05)
    assert set(sel.scores.columns) >= {
        "unique_id",
        "cutoff",
        "model",
        "wql_p10",
        "wql_p50",
        "wql_p90",
        "mean_wql",
        "wape",
        "rmse",
        "mase",
        "coverage",
    }
    assert len(sel.scores) == 4


def test_ties_go_to_the_simpler_model_whatever_the_input_order():
    y = [3.0, 4.0]
    rows = [("s", "seasonal_naive", 0, y, [3.5, 3.5]), ("s", "naive", 0, y, [3.5, 3.5])]
    assert select(cv_frame(rows)).choices.loc[0, "model"] == "naive"
    assert model_order(["seasonal_naive", "naive"]) == ["naive", "seasonal_naive"]


def test_nan_is_not_rankable_and_an_exact_zero_forecast_wins_an_all_zero_window():
    """On an all-zero window the WQL is 0 for an exact forecast and NaN otherwise; NaN never wins."""
    zeros = [0.0, 0.0, 0.0]
    cv = cv_frame(
        [("z", "naive", 0, zeros, [1.0, 1.0, 1.0]), ("z", "seasonal_naive", 0, zeros, [0.0, 0.0, 0.0])]
    )
    choice = select(cv).choices.iloc[0]
    assert choice["model"] == "seasonal_naive"
    assert choice["basis"] == "wql"
    assert choice["mean_wql"] == 0.0


def test_when_no_model_has_a_defined_wql_the_lowest_rmse_decides():
    zeros = [0.0, 0.0]
    cv = cv_frame([("z", "naive", 0, zeros, [2.0, 2.0]), ("z", "seasonal_naive", 0, zeros, [1.0, 1.0])])
    choice = select(cv).choices.iloc[0]
    assert choice["model"] == "seasonal_naive"
    assert choice["basis"] == "rmse"
    assert np.isnan(choice["mean_wql"])


def test_dataset_mode_pools_series_so_large_series_weigh_more():
    """Per series, b wins three small series; pooled over the dataset, a wins on the large one."""
    rows = [
        ("big", "naive", 0, [1000.0, 1000.0], [1000.0, 1000.0]),
        ("big", "seasonal_naive", 0, [1000.0, 1000.0], [900.0, 900.0]),
    ]
    for i in range(3):
        rows += [
            (f"small{i}", "naive", 0, [1.0, 1.0], [2.0, 2.0]),
            (f"small{i}", "seasonal_naive", 0, [1.0, 1.0], [1.0, 1.0]),
        ]
    cv = cv_frame(rows)
    per_series = select(cv).choices.set_index("unique_id")["model"]
    assert per_series.to_dict() == {
        "big": "naive",
        "small0": "seasonal_naive",
        "small1": "seasonal_naive",
        "small2": "seasonal_naive",
    }
    dataset = select(cv, select="dataset")
    assert set(dataset.choices["model"]) == {"naive"}
    assert set(dataset.choices["basis"]) == {"dataset"}


def test_leaderboard_has_relative_wql_and_an_automl_row():
    y = [10.0, 10.0]
    cv = cv_frame(
        [
            ("a", "naive", 0, y, [8.0, 8.0]),
            ("a", "seasonal_naive", 0, y, [10.0, 10.0]),
            ("b", "naive", 0, y, [10.0, 10.0]),
            ("b", "seasonal_naive", 0, y, [6.0, 6.0]),
        ]
    )
    board = select(cv).leaderboard.set_index("model")
    assert list(board.index) == ["naive", "seasonal_naive", "automl"]
    np.testing.assert_allclose(board["relative_wql"], [0.1 / 0.2, 1.0, 0.0])
    assert board["n_series"].to_dict() == {"naive": 1, "seasonal_naive": 1, "automl": 2}


def test_unknown_mode_and_empty_backtest_raise():
    cv = cv_frame([("s", "naive", 0, [1.0], [1.0])])
    with pytest.raises(DataError, match="select must be one of"):
        select(cv, select="global")
    with pytest.raises(DataError, match="no forecasts"):
        select(cv.iloc[:0])


def test_weekly_pattern_picks_seasonal_naive_and_a_level_shift_picks_naive(long_frame):
    """Constructed cases through the whole Forecaster."""
    rng = np.random.default_rng(0)
    weekly = np.tile([5.0, 9.0, 14.0, 11.0, 7.0, 2.0, 1.0], 10) + rng.normal(0, 0.1, 70)
    # A random walk: yesterday's value is the best guess, last week's is stale.
    walk = 200.0 + np.cumsum(rng.normal(0, 3.0, 70))
    fc = Forecaster(models=["naive", "seasonal_naive"], n_windows=3).fit(
        long_frame({"weekly": weekly, "walk": walk}), h=7
    )
    assert fc.choices_.set_index("unique_id")["model"].to_dict() == {
        "walk": "naive",
        "weekly": "seasonal_naive",
    }


def test_constant_series_is_a_tie_won_by_naive(long_frame):
    fc = Forecaster(models=["seasonal_naive", "naive"]).fit(long_frame({"flat": np.full(40, 12.5)}), h=7)
    choice = fc.choices_.iloc[0]
    assert choice["model"] == "naive"
    assert choice["mean_wql"] == 0.0


def test_all_zero_series_is_forecast_as_zero(long_frame):
    df = long_frame({"zero": np.zeros(30), "busy": np.arange(30.0) + 5})
    out = Forecaster(models=["naive", "seasonal_naive"]).fit(df, h=5).predict(5)
    zero = out[out["unique_id"] == "zero"]
    assert (zero[["p10", "p50", "p90", "mean"]].to_numpy() == 0.0).all()
    assert zero["model"].iloc[0] == "naive"


def _baseline_vs_ets(naive_error: float) -> pd.DataFrame:
    """One series, actuals 10: ETS is off by 1.0 (WQL 0.1), naive by ``naive_error``."""
    y = [10.0, 10.0]
    return cv_frame(
        [
            ("s", "naive", 0, y, [10.0 - naive_error] * 2),
            ("s", "ets", 0, y, [9.0, 9.0]),
        ]
    )


@pytest.mark.parametrize(
    ("naive_error", "expected"),
    [
        (0.9, "ets"),  # naive WQL 0.09 vs 0.10: a narrow win, luck on one window; the candidate stays
        (0.5, "naive"),  # 0.05 is half of 0.10: clearly right, the baseline is chosen
        (0.0, "naive"),  # exact
    ],
)
def test_baselines_are_chosen_by_default_only_when_clearly_better(naive_error, expected):
    sel = select(_baseline_vs_ets(naive_error))
    assert sel.choices.loc[0, "model"] == expected
    dataset = select(_baseline_vs_ets(naive_error), select="dataset")
    assert dataset.choices.loc[0, "model"] == expected
    # The leaderboard still scores the baseline either way.
    assert set(sel.leaderboard["model"]) >= {"naive", "ets", "automl"}


def test_explicit_candidates_are_the_only_choices():
    """Named candidates make the rule plain: the lowest WQL among them, nothing else."""
    assert select(_baseline_vs_ets(0.9), candidates=["naive", "ets"]).choices.loc[0, "model"] == "naive"
    assert select(_baseline_vs_ets(0.0), candidates=["ets"]).choices.loc[0, "model"] == "ets"
    with pytest.raises(DataError, match="none of the candidates"):
        select(_baseline_vs_ets(0.0), candidates=["lgbm"])


def test_default_candidates():
    assert default_candidates(["naive", "seasonal_naive", "ets", "ensemble"]) == ["ets", "ensemble"]
    assert default_candidates(["naive", "seasonal_naive"]) == ["naive", "seasonal_naive"]


def test_forecaster_rejects_candidates_that_are_not_models(weekly_frame):
    with pytest.raises(DataError, match="not among the models"):
        Forecaster(models=["naive", "ets"], candidates=["theta"]).fit(weekly_frame, h=7)


def test_auto_mode_switches_from_the_dataset_model_only_on_a_clear_margin():
    """ETS is best over the dataset; Theta is a bit better on s1 (0.8x) and much better on s2 (0.5x)."""
    y = [10.0, 10.0]
    cv = cv_frame(
        [
            ("s1", "ets", 0, y, [9.0, 9.0]),  # WQL 0.10
            ("s1", "theta", 0, y, [9.2, 9.2]),  # 0.08
            ("s2", "ets", 0, y, [9.0, 9.0]),  # 0.10
            ("s2", "theta", 0, y, [9.5, 9.5]),  # 0.05
            ("s3", "ets", 0, y, [10.0, 10.0]),  # 0
            ("s3", "theta", 0, y, [5.0, 5.0]),  # 0.5
        ]
    )
    auto = select(cv, select="auto")
    assert auto.anchor == "ets"
    picked = dict(zip(auto.choices["unique_id"], auto.choices["model"], strict=True))
    assert picked == {"s1": "ets", "s2": "theta", "s3": "ets"}
    basis = dict(zip(auto.choices["unique_id"], auto.choices["basis"], strict=True))
    assert basis == {"s1": "dataset", "s2": "wql", "s3": "dataset"}
    np.testing.assert_allclose(auto.choices["mean_wql"], [0.10, 0.05, 0.0], atol=1e-12)
    # The plain per-series rule takes every lowest score.
    series = select(cv, select="series")
    assert series.choices["model"].tolist() == ["theta", "theta", "ets"]
    assert series.anchor is None
    assert select(cv, select="dataset").choices["model"].tolist() == ["ets"] * 3


def test_the_forecaster_and_the_cli_default_to_auto():
    assert Forecaster().select == "auto"
    args = build_parser().parse_args(["run", "series.parquet", "-o", "out", "--horizon", "7"])
    assert args.select == "auto"
    assert args.candidates is None
