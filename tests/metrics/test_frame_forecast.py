"""forecast_scores agrees with the array-level metrics at every level, per window and per model."""

import math

import numpy as np
import pandas as pd
import pytest

from metrics.forecast import (
    coverage_score,
    interval_width_loss,
    mape_error,
    mase_error,
    rmse_error,
    smape_error,
    wape_error,
    wql_by_quantile,
)
from metrics.frame import forecast_scores

QCOLS = {"p10": 0.1, "p50": 0.5, "p90": 0.9}
METRIC_COLS = [
    "wql_p10",
    "wql_p50",
    "wql_p90",
    "mean_wql",
    "wape",
    "rmse",
    "mase",
    "mape",
    "smape",
    "coverage",
    "interval_width",
]


def oracle(rows: pd.DataFrame, train: pd.Series | None) -> list[float]:
    """The array-level metrics of one group of rows, in the output column order."""
    y, p = rows["y"], rows["mean"]
    wql = wql_by_quantile(y, rows[list(QCOLS)], quantiles=list(QCOLS.values()))
    mase = mase_error(y, p, y_train=train, season_length=7) if train is not None else math.nan
    return [
        *wql,
        float(np.mean(wql)),
        wape_error(y, p),
        rmse_error(y, p),
        mase,
        mape_error(y, p),
        smape_error(y, p),
        coverage_score(y, rows["p10"], rows["p90"]),
        interval_width_loss(rows["p10"], rows["p90"]),
    ]


def test_series_level_matches_array_metrics_per_series_window_and_model(forecast_frames) -> None:
    df, train = forecast_frames(seed=1)
    scores = forecast_scores(df, quantile_cols=QCOLS, train_df=train, season_length=7)
    assert list(scores.columns) == ["unique_id", "cutoff", "model", *METRIC_COLS]
    assert len(scores) == df.groupby(["unique_id", "cutoff", "model"]).ngroups
    for (uid, cutoff, model), rows in df.groupby(["unique_id", "cutoff", "model"]):
        history = train[(train["unique_id"] == uid) & (train["ds"] <= cutoff)].sort_values("ds")["y"]
        got = scores[(scores["unique_id"] == uid) & (scores["cutoff"] == cutoff) & (scores["model"] == model)]
        np.testing.assert_allclose(got[METRIC_COLS].to_numpy()[0], oracle(rows, history), rtol=1e-10)


def test_dataset_level_pools_every_series_and_window(forecast_frames) -> None:
    """Amazon's wQL/WAPE: one ratio of sums over all points of a model; MASE: mean of per-series values."""
    df, train = forecast_frames(seed=2)
    series = forecast_scores(df, quantile_cols=QCOLS, train_df=train, season_length=7)
    scores = forecast_scores(df, quantile_cols=QCOLS, train_df=train, season_length=7, level="dataset")
    assert list(scores.columns) == ["model", *METRIC_COLS]
    for model, rows in df.groupby("model"):
        expected = oracle(rows, None)
        expected[METRIC_COLS.index("mase")] = series.loc[series["model"] == model, "mase"].mean()
        got = scores.loc[scores["model"] == model, METRIC_COLS].to_numpy()[0]
        np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_series_mean_level_is_the_mean_of_series_values(forecast_frames) -> None:
    df, train = forecast_frames(seed=3)
    series = forecast_scores(df, quantile_cols=QCOLS, train_df=train)
    means = forecast_scores(df, quantile_cols=QCOLS, train_df=train, level="series_mean")
    expected = series.groupby("model")[METRIC_COLS].mean().reset_index()
    pd.testing.assert_frame_equal(means, expected, check_exact=False, rtol=1e-12)


def test_dataset_and_series_mean_differ_when_series_sizes_differ() -> None:
    """A big series dominates the pooled WAPE but counts once in the mean of series WAPEs."""
    df = pd.DataFrame(
        {
            "unique_id": ["big", "small"],
            "ds": [1, 1],
            "y": [1000.0, 1.0],
            "p50": [900.0, 2.0],
            "mean": [900.0, 2.0],
        }
    )
    pooled = forecast_scores(df, quantile_cols={"p50": 0.5}, level="dataset")["wape"].item()
    mean = forecast_scores(df, quantile_cols={"p50": 0.5}, level="series_mean")["wape"].item()
    assert pooled == pytest.approx(101 / 1001)
    assert mean == pytest.approx((0.1 + 1.0) / 2)


def test_without_cutoff_mase_uses_history_before_the_forecast(forecast_frames) -> None:
    """Passing the full history gives the same MASE as passing only the part before the forecast."""
    df, train = forecast_frames(seed=4, n_cutoffs=1)
    df = df.drop(columns="cutoff")
    start = df["ds"].min()
    full = forecast_scores(df, quantile_cols=QCOLS, train_df=train, season_length=7)
    cut = forecast_scores(df, quantile_cols=QCOLS, train_df=train[train["ds"] < start], season_length=7)
    assert list(full.columns[:2]) == ["unique_id", "model"]
    np.testing.assert_allclose(full["mase"], cut["mase"])
    assert full["mase"].notna().all()


def test_row_order_and_time_units_do_not_change_scores(forecast_frames) -> None:
    df, train = forecast_frames(seed=5)
    expected = forecast_scores(df, quantile_cols=QCOLS, train_df=train, season_length=7)
    shuffled = df.sample(frac=1.0, random_state=0)
    train_s = train.sample(frac=1.0, random_state=1).assign(ds=lambda t: t["ds"].astype("datetime64[s]"))
    got = forecast_scores(shuffled, quantile_cols=QCOLS, train_df=train_s, season_length=7)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_mase_is_nan_without_history_and_by_names_absent_are_ignored(forecast_frames) -> None:
    df, _ = forecast_frames(seed=6, models=("only",))
    df = df.drop(columns="model")
    scores = forecast_scores(df, quantile_cols=QCOLS, by=("model", "region"))
    assert list(scores.columns[:2]) == ["unique_id", "cutoff"]
    assert scores["mase"].isna().all()
    one = forecast_scores(df, quantile_cols={"p50": 0.5}, by="model", level="dataset")
    assert list(one.columns) == ["wql_p50", "mean_wql", "wape", "rmse", "mase", "mape", "smape"]
    assert len(one) == 1


def test_series_without_enough_history_get_nan_mase(forecast_frames) -> None:
    df, train = forecast_frames(seed=7, n_series=2, n_cutoffs=1)
    short = train[(train["unique_id"] != "s0") | (train["ds"] == train["ds"].min())]
    scores = forecast_scores(df, quantile_cols=QCOLS, train_df=short)
    assert scores.loc[scores["unique_id"] == "s0", "mase"].isna().all()
    assert scores.loc[scores["unique_id"] == "s1", "mase"].notna().all()


def test_undefined_series_values_are_left_out_of_the_series_mean() -> None:
    """An all-zero window has no wQL for a wrong forecast; the mean covers the other series."""
    df = pd.DataFrame(
        {"unique_id": ["a", "a", "b", "b"], "ds": [1, 2, 1, 2], "y": [0.0, 0.0, 10.0, 10.0],
         "p50": [1.0, 0.0, 9.0, 11.0], "mean": [1.0, 0.0, 9.0, 11.0]}
    )  # fmt: skip
    series = forecast_scores(df, quantile_cols={"p50": 0.5})
    assert math.isnan(series["wql_p50"].iloc[0])
    assert series["wql_p50"].iloc[1] == pytest.approx(0.1)
    series_mean = forecast_scores(df, quantile_cols={"p50": 0.5}, level="series_mean")
    assert series_mean["wql_p50"].item() == pytest.approx(0.1)
    dataset = forecast_scores(df, quantile_cols={"p50": 0.5}, level="dataset")
    assert dataset["wql_p50"].item() == pytest.approx(2 * 0.5 * 3 / 20)


@pytest.mark.parametrize(
    ("change", "kwargs", "match"),
    [
        (lambda d: d.drop(columns="p90"), {}, r"missing column\(s\) \['p90'\]"),
        (lambda d: d.iloc[:0], {}, r"forecast frame is empty"),
        (lambda d: d.assign(y=np.where(d.index == 3, np.nan, d["y"])), {}, r"column 'y' holds 1 NaN.*row 3"),
        (lambda d: d, {"quantile_cols": {"p90": 0.9, "p10": 0.1}}, r"increasing"),
        (lambda d: d, {"quantile_cols": {"p10": 0.0}}, r"strictly between 0 and 1"),
        (lambda d: d, {"quantile_cols": {}}, r"quantile_cols must map"),
        (lambda d: d, {"level": "global"}, r"level must be one of .*got 'global'"),
        (lambda d: d, {"season_length": 0}, r"season_length must be a positive integer; got 0"),
        (lambda d: d.assign(mean="x"), {}, r"column 'mean' must be numeric"),
        (lambda d: d.assign(cutoff=d["cutoff"].where(d.index != 2)), {}, r"'cutoff' has 1 missing .* row 2"),
    ],
)
def test_bad_frames_raise_with_what_was_received(forecast_frames, change, kwargs, match: str) -> None:
    df, _ = forecast_frames(seed=8)
    with pytest.raises(ValueError, match=match):
        forecast_scores(change(df), **{"quantile_cols": QCOLS, **kwargs})


def test_train_df_must_have_the_columns_and_comparable_times(forecast_frames) -> None:
    df, train = forecast_frames(seed=9)
    with pytest.raises(ValueError, match=r"train_df is missing column\(s\) \['y'\]"):
        forecast_scores(df, quantile_cols=QCOLS, train_df=train.drop(columns="y"))
    with pytest.raises(
        ValueError, match=r"train_df holds none of the forecast series \(e.g. unique_id='s0'\)"
    ):
        forecast_scores(df, quantile_cols=QCOLS, train_df=train.assign(unique_id=1))
    with pytest.raises(ValueError, match=r"cannot be compared"):
        forecast_scores(df, quantile_cols=QCOLS, train_df=train.assign(ds=train["ds"].astype(str)))
