"""Contract suite every registered forecasting model joins (shape, dates, ordering, edge series)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasting import DataError
from forecasting.models import MODELS, make_model
from forecasting.quantiles import quantile_columns

QUANTILES = (0.1, 0.5, 0.9)
# The expensive models get fewer hypothesis examples so the suite stays within its time budget.
EXAMPLES = {"arima": 4, "ets": 6, "lgbm": 4, "ensemble": 3}
# Fewer boosting rounds keep the contract checks fast; they do not change what is checked.
FAST = {
    "arima": {"candidates": 1},
    "lgbm": {"n_estimators": 20},
    # The members are checked on their own; here the combination is what is under test.
    "ensemble": {
        "members": ("seasonal_naive", "theta", "lgbm"),
        "member_params": {"lgbm": {"n_estimators": 20}},
    },
}


def build(name: str):
    """A registered model with test-speed hyper-parameters."""
    return make_model(name, **FAST.get(name, {}))


def make_frame(series: dict[str, np.ndarray], freq: str = "D", start: str = "2023-01-01") -> pd.DataFrame:
    """A long frame with one block per series, all starting at ``start``."""
    parts = [
        pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=len(y), freq=freq), "y": y})
        for uid, y in series.items()
    ]
    return pd.concat(parts, ignore_index=True)


def weekly_series(n: int, seed: int, level: float = 100.0) -> np.ndarray:
    """Trend + weekly pattern + noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return level + 0.2 * t + 10 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 2, n)


def edge_series() -> dict[str, np.ndarray]:
    """The awkward cases a billing export produces."""
    rng = np.random.default_rng(3)
    intermittent = np.where(rng.random(60) < 0.15, rng.gamma(2.0, 30.0, 60), 0.0)
    credits = weekly_series(60, 4, level=5.0) - 8.0
    return {
        "regular": weekly_series(60, 1),
        "one_point": np.array([12.5]),
        "two_points": np.array([3.0, 4.0]),
        "short": weekly_series(9, 2),
        "all_zero": np.zeros(40),
        "intermittent": intermittent,
        "credits": credits,
        "constant": np.full(30, 7.25),
    }


def check_forecast(fc: pd.DataFrame, df: pd.DataFrame, h: int, freq: str, quantiles=QUANTILES) -> None:
    """The output contract of ``predict``."""
    cols = quantile_columns(quantiles)
    assert list(fc.columns) == ["unique_id", "ds", "mean", *cols]
    assert len(fc) == h * df["unique_id"].nunique()
    assert not fc[["mean", *cols]].isna().any().any()
    assert np.isfinite(fc[["mean", *cols]].to_numpy()).all()
    values = fc[cols].to_numpy()
    assert (np.diff(values, axis=1) >= 0).all()
    for uid, group in fc.groupby("unique_id", sort=False):
        last = df.loc[df["unique_id"] == uid, "ds"].max()
        expected = pd.date_range(last, periods=h + 1, freq=freq)[1:]
        assert list(group["ds"]) == list(expected), uid


@pytest.fixture(scope="module")
def regular_frame() -> pd.DataFrame:
    return make_frame({"a": weekly_series(84, 0), "b": weekly_series(70, 1, level=20.0)})


@pytest.mark.parametrize("name", list(MODELS))
def test_fit_returns_self_and_predict_follows_contract(name, regular_frame):
    """fit returns the model itself; predict gives h rows per series, future dates, ordered quantiles."""
    model = build(name)
    assert model.fit(regular_frame, freq="D", season_length=7) is model
    assert model.alias == name
    fc = model.predict(14, QUANTILES)
    check_forecast(fc, regular_frame, 14, "D")
    # The order of the series is kept, and the unique_id dtype too.
    assert list(fc["unique_id"].unique()) == ["a", "b"]
    assert fc["unique_id"].dtype == regular_frame["unique_id"].dtype


@pytest.mark.parametrize("name", list(MODELS))
def test_any_quantile_list(name, regular_frame):
    """Arbitrary levels in (0, 1), including odd ones, give one ordered column each."""
    quantiles = (0.025, 0.3, 0.5, 0.77, 0.975)
    fc = build(name).fit(regular_frame).predict(5, quantiles)
    check_forecast(fc, regular_frame, 5, "D", quantiles)
    assert {"p2.5", "p30", "p77", "p97.5"} <= set(fc.columns)
    # A wider central interval really is wider somewhere: the band is not collapsed to the mean.
    assert (fc["p97.5"] - fc["p2.5"]).max() > 0


@pytest.mark.parametrize("name", list(MODELS))
def test_deterministic(name, regular_frame):
    """Two fits on the same data give identical forecasts."""
    first = build(name).fit(regular_frame).predict(7, QUANTILES)
    second = build(name).fit(regular_frame).predict(7, QUANTILES)
    pd.testing.assert_frame_equal(first, second)


@pytest.mark.parametrize("name", list(MODELS))
def test_edge_series_never_break_the_batch(name):
    """Short, one-point, all-zero, intermittent, negative and constant series all get forecasts."""
    series = edge_series()
    df = make_frame(series)
    fc = build(name).fit(df, season_length=7).predict(10, QUANTILES)
    check_forecast(fc, df, 10, "D")
    by_id = {uid: g for uid, g in fc.groupby("unique_id", sort=False)}
    # All-zero history: the forecast is zero (nothing suggests any spend).
    assert np.allclose(by_id["all_zero"][["mean", "p10", "p50", "p90"]].to_numpy(), 0.0)
    # A constant series is forecast as that constant by the median.
    assert np.allclose(by_id["constant"]["p50"], 7.25, atol=1e-6)
    # Non-negative histories never get negative forecasts; credits (negative values) may.
    for uid in ("intermittent", "all_zero", "regular", "one_point", "two_points"):
        assert (by_id[uid][["mean", "p10"]].to_numpy() >= 0).all(), uid
    assert by_id["credits"]["p10"].min() < 0


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize(
    ("freq", "season_length", "n"),
    [("W", 52, 120), ("W-MON", 4, 40), ("MS", 12, 48), ("QS", 4, 24), ("h", 24, 24 * 4), ("H", 24, 30)],
)
def test_frequencies(name, freq, season_length, n):
    """Weekly (any anchor), month start, quarter start and hourly series get correct future dates."""
    start = "2022-01-03" if freq == "W-MON" else "2022-01-02"
    pandas_freq = "h" if freq == "H" else freq
    df = make_frame({"x": weekly_series(n, 5), "y": weekly_series(n // 2, 6)}, freq=pandas_freq, start=start)
    fc = build(name).fit(df, freq=freq, season_length=season_length).predict(6, QUANTILES)
    check_forecast(fc, df, 6, pandas_freq)


@pytest.mark.parametrize("name", list(MODELS))
def test_unsorted_input_is_sorted(name, regular_frame):
    """Rows in any order give the same forecasts as the sorted frame."""
    shuffled = regular_frame.sample(frac=1.0, random_state=0)
    expected = build(name).fit(regular_frame).predict(3, QUANTILES)
    got = build(name).fit(shuffled).predict(3, QUANTILES)
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("name", list(MODELS))
def test_errors(name, regular_frame):
    """Missing values, predicting before fit and a bad horizon raise DataError with a clear message."""
    model = build(name)
    with pytest.raises(DataError, match="not fitted"):
        model.predict(3, QUANTILES)
    bad = regular_frame.copy()
    bad.loc[5, "y"] = np.nan
    with pytest.raises(DataError, match="missing or infinite"):
        build(name).fit(bad)
    with pytest.raises(DataError, match="horizon"):
        build(name).fit(regular_frame).predict(0, QUANTILES)


def test_unknown_model_lists_choices():
    with pytest.raises(DataError, match="seasonal_naive"):
        make_model("prophet")


def test_registry_starts_with_baselines():
    """AutoML breaks ties toward earlier entries, so the simplest models come first."""
    assert list(MODELS)[:2] == ["naive", "seasonal_naive"]


@pytest.mark.parametrize("name", list(MODELS))
def test_quantiles_never_cross_on_random_series(name):
    """Property: for any finite series, the quantile columns are non-decreasing and finite."""

    @settings(
        max_examples=EXAMPLES.get(name, 15),
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        values=st.lists(
            st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False),
            min_size=1,
            max_size=50,
        ),
        h=st.integers(min_value=1, max_value=12),
    )
    def check(values, h):
        df = make_frame({"s": np.asarray(values)})
        fc = build(name).fit(df, season_length=7).predict(h, QUANTILES)
        check_forecast(fc, df, h, "D")

    check()
