"""The Forecaster estimator: output contract, quantile ordering, determinism, failures, frequencies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasting import DataError, DataWarning
from forecasting.forecaster import DEFAULT_MODELS, Forecaster
from forecasting.models import MODELS
from forecasting.quantiles import quantile_columns


def test_default_models_are_registered():
    assert DEFAULT_MODELS
    assert all(name in MODELS for name in DEFAULT_MODELS)


def test_predict_returns_h_rows_per_series_with_the_chosen_model(weekly_frame):
    fc = Forecaster(models=["naive", "seasonal_naive"], n_windows=2).fit(weekly_frame, h=14)
    out = fc.predict(14)
    assert list(out.columns) == ["unique_id", "ds", "model", "p10", "p50", "p90", "mean"]
    assert out.groupby("unique_id").size().eq(14).all()
    last = weekly_frame.groupby("unique_id")["ds"].max()
    first_future = out.groupby("unique_id")["ds"].min()
    assert (first_future == last + pd.Timedelta(days=1)).all()
    chosen = fc.choices_.set_index("unique_id")["model"]
    assert (out.set_index("unique_id")["model"].groupby(level=0).first() == chosen).all()
    # The cached forecast is returned as a copy: callers cannot corrupt it.
    out.loc[:, "p50"] = -1.0
    assert (fc.predict(14)["p50"] > 0).all()


def test_cross_validation_frame_has_every_model_and_window(weekly_frame):
    cv = Forecaster(models=["seasonal_naive", "naive"]).cross_validation(
        weekly_frame, h=7, n_windows=2, step_size=3
    )
    assert list(cv.columns) == ["unique_id", "ds", "cutoff", "model", "y", "p10", "p50", "p90", "mean"]
    assert set(cv["model"]) == {"naive", "seasonal_naive"}
    assert len(cv) == 2 * 2 * 4 * 7
    assert (cv.groupby(["model", "unique_id"])["cutoff"].nunique() == 2).all()


def test_quantiles_never_cross_even_when_a_model_returns_them_crossed(weekly_frame, last_value_model):
    qs = (0.05, 0.25, 0.5, 0.75, 0.95)
    out = Forecaster(models=[last_value_model()], quantiles=qs).fit(weekly_frame, h=5).predict(5)
    values = out[quantile_columns(qs)].to_numpy()
    assert (np.diff(values, axis=1) >= 0).all()
    assert list(out.columns[3:8]) == ["p5", "p25", "p50", "p75", "p95"]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    levels=st.lists(st.floats(0.01, 0.99), min_size=1, max_size=5, unique=True),
    seed=st.integers(0, 10_000),
)
def test_property_final_quantiles_are_ordered_for_any_levels(long_frame, levels, seed):
    """Whatever the levels and the data (spikes, zeros, credits), the final quantiles never cross."""
    qs = tuple(sorted(round(q, 3) for q in levels))
    if len(set(qs)) != len(qs):
        return
    rng = np.random.default_rng(seed)
    y = rng.gamma(0.6, 40.0, size=(3, 42)) * (rng.random((3, 42)) < 0.7) - rng.uniform(0, 5, (3, 1))
    df = long_frame({f"s{i}": y[i] for i in range(3)})
    out = Forecaster(models=["naive", "seasonal_naive"], quantiles=qs).fit(df, h=7).predict(7)
    values = out[quantile_columns(qs)].to_numpy()
    assert np.isfinite(values).all()
    assert (np.diff(values, axis=1) >= 0).all()


def test_same_data_same_output(weekly_frame):
    runs = [Forecaster(models=list(MODELS)[:2], n_windows=2).fit(weekly_frame, h=7) for _ in range(2)]
    pd.testing.assert_frame_equal(runs[0].predict(7), runs[1].predict(7))
    pd.testing.assert_frame_equal(runs[0].cv_, runs[1].cv_)


def test_predict_before_fit_says_what_to_do():
    with pytest.raises(DataError, match="call fit"):
        Forecaster().predict(3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"models": []}, "non-empty list"),
        ({"models": ["naive", "naive"]}, "appears twice"),
        ({"models": ["prophet"]}, "unknown model 'prophet'"),
        ({"quantiles": (0.9, 0.1)}, "increasing"),
        ({"select": "best"}, "select must be one of"),
        ({"season_length": 0}, "season_length"),
        ({"models": ["naive", "seasonal_naive"], "n_windows": 0}, "needs n_windows >= 1"),
    ],
)
def test_bad_settings_raise_at_fit(weekly_frame, kwargs, match):
    fc = Forecaster(**kwargs)  # nothing is checked before fit, as in scikit-learn
    with pytest.raises(DataError, match=match):
        fc.fit(weekly_frame)


def test_a_single_model_without_backtest(weekly_frame):
    fc = Forecaster(models=["naive"], n_windows=0).fit(weekly_frame, h=3)
    assert fc.cv_ is None
    assert set(fc.choices_["basis"]) == {"only"}
    assert len(fc.predict(3)) == 12


def test_a_model_failing_on_some_series_warns_and_the_batch_goes_on(weekly_frame, last_value_model):
    """The failing model is not chosen where it failed; every series still gets a forecast."""
    flaky = last_value_model(alias="flaky", fail_on="s2", shift=0.0)
    with pytest.warns(DataWarning, match="model 'flaky' failed on 4 series"):
        fc = Forecaster(models=["naive", flaky]).fit(weekly_frame, h=7)
    out = fc.predict(7)
    assert out.groupby("unique_id").size().eq(7).all()
    assert set(out["model"]) == {"naive"}


def test_series_too_short_to_backtest_use_the_dataset_winner(long_frame):
    pattern = np.array([1.0, 5.0, 2.0, 8.0, 3.0, 9.0, 4.0])
    long = long_frame({"long": np.tile(pattern, 10)})
    # A new series: its 5 days are the last 5 of the dataset.
    new = long.tail(5).assign(unique_id="new")
    df = pd.concat([long, new], ignore_index=True)
    fc = Forecaster(models=["naive", "seasonal_naive"], select="series").fit(df, h=14)
    choices = fc.choices_.set_index("unique_id")
    assert choices.loc["long", "model"] == "seasonal_naive"
    assert choices.loc["long", "basis"] == "wql"
    assert choices.loc["new", "model"] == "seasonal_naive"
    assert choices.loc["new", "basis"] == "short"
    assert fc.short_.to_dict("records") == [{"unique_id": "new", "periods": 5, "model": "seasonal_naive"}]
    assert fc.predict(14).groupby("unique_id").size().eq(14).all()
    # The default (auto) gives both the dataset's model; the backtested series says so in its basis.
    auto = Forecaster(models=["naive", "seasonal_naive"]).fit(df, h=14).choices_.set_index("unique_id")
    assert auto["model"].tolist() == ["seasonal_naive", "seasonal_naive"]
    assert auto["basis"].tolist() == ["dataset", "short"]


@pytest.mark.parametrize(
    ("freq", "season", "pandas_freq"),
    [("W", 52, "W-WED"), ("MS", 12, "MS"), ("QS", 4, "QS-JAN"), ("H", 24, "h")],
)
def test_other_frequencies_forecast_on_the_same_grid(long_frame, freq, season, pandas_freq):
    """Weekly data on Wednesdays stays on Wednesdays; a periodic pattern is continued exactly."""
    t = np.arange(3 * season)
    y = 100.0 + 10.0 * np.sin(2 * np.pi * t / season)
    df = long_frame({"a": y}, freq=pandas_freq, start="2020-01-01")
    fc = Forecaster(models=["naive", "seasonal_naive"], freq=freq, season_length=season).fit(df, h=season)
    out = fc.predict(season)
    assert fc.freq_ == pandas_freq
    assert out["ds"].tolist() == list(
        pd.date_range(df["ds"].iloc[-1], periods=season + 1, freq=pandas_freq)[1:]
    )
    np.testing.assert_allclose(out["p50"], y[-season:])
    assert set(out["model"]) == {"seasonal_naive"}


def test_an_ensemble_of_candidates_is_combined_from_their_forecasts(weekly_frame):
    """The shortcut gives exactly what the self-contained Ensemble refits, in backtest and forecast."""
    from forecasting.models.ensemble import Ensemble

    members = ("naive", "seasonal_naive")
    fc = Forecaster(models=[*members, Ensemble(members=members)], n_windows=2).fit(weekly_frame, h=7)
    cv = fc.cv_.set_index(["model", "cutoff", "unique_id", "ds"]).sort_index()
    solo = Forecaster(models=[Ensemble(members=members)]).cross_validation(weekly_frame, h=7, n_windows=2)
    solo = solo.set_index(["model", "cutoff", "unique_id", "ds"]).sort_index()
    pd.testing.assert_frame_equal(cv.loc["ensemble"], solo.loc["ensemble"])
    mean_of_members = (cv.loc["naive", "p90"] + cv.loc["seasonal_naive", "p90"]) / 2
    np.testing.assert_allclose(cv.loc["ensemble", "p90"], mean_of_members)
    # Final forecasts: make every series use the ensemble and compare with a direct fit.
    fc.choices_ = fc.choices_.assign(model="ensemble")
    out = fc.predict(5).drop(columns="model")
    direct = Ensemble(members=members).fit(fc.history_, freq="D", season_length=7).predict(5, (0.1, 0.5, 0.9))
    direct = direct[out.columns].sort_values(["unique_id", "ds"], ignore_index=True)
    pd.testing.assert_frame_equal(out, direct, check_dtype=False)
    assert set(fc.timings_["forecast"]) == {"naive", "seasonal_naive", "ensemble"}
