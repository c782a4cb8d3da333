"""Quantiles that are right by construction: properties over random series for every registered model,
and known answers for the cases where a shifted naive band used to contradict its own forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasting.models import MODELS, make_model
from forecasting.quantiles import quantile_columns

# Level sets that run from below 0.5 to above it (the mean must lie in their outer band), with and
# without 0.5 itself, and a single 0.5 (the band is the median: the mean of a symmetric model is it).
LEVEL_SETS = (
    (0.1, 0.5, 0.9),
    (0.05, 0.25, 0.5, 0.75, 0.95),
    (0.2, 0.8),
    tuple(round(0.1 * i, 1) for i in range(1, 10)),
    (0.5,),
)
# Models whose centre is symmetric by construction: the mean is the P50 exactly.
SYMMETRIC = ("naive", "seasonal_naive", "theta", "arima")
# The heavy models get few examples so the file runs in seconds; the cheap ones many.
EXAMPLES = {"naive": 60, "seasonal_naive": 60, "theta": 25, "ets": 6, "arima": 4, "lgbm": 4, "ensemble": 3}
FAST = {
    "arima": {"candidates": 1},
    "lgbm": {"n_estimators": 20},
    "ensemble": {
        "members": ("seasonal_naive", "theta", "lgbm"),
        "member_params": {"lgbm": {"n_estimators": 20}},
    },
}


def frame(y: np.ndarray, freq: str = "D", start: str = "2024-01-01") -> pd.DataFrame:
    return pd.DataFrame({"unique_id": "s", "ds": pd.date_range(start, periods=len(y), freq=freq), "y": y})


@st.composite
def series(draw: st.DrawFn) -> np.ndarray:
    """Arbitrary finite values, or cost-like shapes (steps, launches, spikes, intermittent use, credits)."""
    if draw(st.booleans()):
        values = draw(
            st.lists(
                st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False),
                min_size=1,
                max_size=60,
            )
        )
        y = np.asarray(values, dtype=float)
        return np.abs(y) if draw(st.booleans()) else y
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    n = draw(st.integers(min_value=1, max_value=80))
    shape = draw(st.sampled_from(["step", "launch", "spiky", "intermittent", "trend", "credits"]))
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = float(10.0 ** rng.uniform(-2, 4))
    if shape == "step":
        y = np.where(t < rng.integers(0, n + 1), level, level * rng.uniform(0, 3))
    elif shape == "launch":
        y = np.where(t < rng.integers(0, n + 1), 0.0, level)
    elif shape == "spiky":
        y = level * (1 + (rng.random(n) < 0.1) * rng.uniform(2, 10, n))
    elif shape == "intermittent":
        y = np.where(rng.random(n) < 0.2, rng.gamma(2.0, level, n), 0.0)
    elif shape == "trend":
        y = level * (1 + 0.03 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 7)) * rng.lognormal(0, 0.2, n)
    else:
        y = level * (1 + 0.2 * np.sin(2 * np.pi * t / 7)) - 1.1 * level * (rng.random(n) < 0.3)
    return y


def check_properties(name: str, model, y: np.ndarray, fc: pd.DataFrame, levels: tuple[float, ...]) -> None:
    """Ascending quantiles, no NaN, the mean inside the outer band, non-negative forecasts of costs."""
    cols = quantile_columns(levels)
    values = fc[cols].to_numpy()
    mean = fc["mean"].to_numpy()
    assert np.isfinite(values).all()
    assert np.isfinite(mean).all()
    assert (np.diff(values, axis=1) >= 0).all(), values
    tol = 1e-9 * np.maximum(1.0, np.abs(values).max(axis=1))
    lowest, highest = values[:, 0], values[:, -1]
    # The documented exception: a multiplicative-error ETS form on a volatile series is right-skewed,
    # its mean may be above its P90 (never below its lowest quantile).
    skewed = name == "ets" and model.forms_[0].startswith("M")
    assert (mean >= lowest - tol).all(), np.c_[values, mean]
    if not skewed:
        assert (mean <= highest + tol).all(), np.c_[values, mean]
    if name in SYMMETRIC and 0.5 in levels:
        np.testing.assert_allclose(fc["p50"], mean, rtol=1e-12, atol=1e-12)
    if (y >= 0).all():
        assert (values >= 0).all()
        assert (mean >= 0).all()


@pytest.mark.parametrize("name", list(MODELS))
def test_quantiles_are_sound_on_random_series(name):
    """Property: for any series, level set, horizon and season, every model's forecast is ordered,
    finite, has its mean inside the band (or the documented exception) and is never negative for
    a history that never was."""

    @settings(
        max_examples=EXAMPLES[name],
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        y=series(),
        levels=st.sampled_from(LEVEL_SETS),
        h=st.integers(min_value=1, max_value=14),
        season_length=st.sampled_from([1, 4, 7, 12]),
    )
    def check(y, levels, h, season_length):
        model = make_model(name, **FAST.get(name, {}))
        fc = model.fit(frame(y), season_length=season_length).predict(h, levels)
        check_properties(name, model, y, fc, levels)

    check()


def test_registry_is_covered():
    """A model added to the registry must get an example budget here (and so the properties)."""
    assert set(EXAMPLES) == set(MODELS)


# --- known answers -------------------------------------------------------------------------------------

STEP = np.array([0.0] * 6 + [0.8] + [1.0] * 6)  # 13 days: zeros, a ramp day, then a new level
QUANTILES = (0.1, 0.5, 0.9)


def test_seasonal_naive_band_is_centred_after_a_step():
    """Every seasonal difference of the step series is +1, which used to move the band to P10 = P50 =
    P90 = 2.0 over a forecast of 1.0. Now P50 is the copied value and the band spreads one step each
    way, cut at zero because the history never went below it."""
    fc = make_model("seasonal_naive").fit(frame(STEP), season_length=7).predict(4, QUANTILES)
    np.testing.assert_allclose(fc["mean"], [0.8, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(fc["p50"], fc["mean"])
    np.testing.assert_allclose(fc["p10"], [0.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(fc["p90"], [1.8, 2.0, 2.0, 2.0])


def test_forecast_run_on_the_step_series(tmp_path, capsys):
    """`forecast run step.csv --horizon 4 --models naive,seasonal_naive,theta`: whichever model is
    chosen, P50 is its mean, P10 <= mean <= P90 and the forecast is the new level, not two steps up."""
    from forecasting.cli import main

    source = tmp_path / "step.csv"
    frame(STEP).to_csv(source, index=False)
    out = tmp_path / "f"
    code = main(
        [
            "run",
            str(source),
            "-o",
            str(out),
            "--horizon",
            "4",
            "--models",
            "naive,seasonal_naive,theta",
            "--plots",
            "0",
            "-q",
        ]
    )
    assert code == 0, capsys.readouterr().err
    fc = pd.read_parquet(out / "forecasts.parquet")
    assert len(fc) == 4
    np.testing.assert_allclose(fc["p50"], fc["mean"], rtol=1e-9)
    assert (fc["p10"] <= fc["mean"]).all()
    assert (fc["mean"] <= fc["p90"]).all()
    assert (fc["p10"] >= 0).all()
    assert np.abs(fc["p50"] - 1.0).max() < 0.1, fc


@pytest.mark.parametrize("name", ["naive", "seasonal_naive"])
def test_flat_series_keeps_its_level(name):
    """A key that costs $0.0333 a day since it was created 20 days into the history: the median
    forecast is $0.0333 every day (the median lag difference, +0.0333 at long lags, moved it to
    $0.067), and the band holds it."""
    y = np.r_[np.zeros(20), np.full(40, 0.0333)]
    fc = make_model(name).fit(frame(y), season_length=7).predict(30, QUANTILES)
    np.testing.assert_allclose(fc["p50"], 0.0333)
    np.testing.assert_allclose(fc["mean"], 0.0333)
    assert fc["p10"].between(0.0, 0.0333).all()
    assert (fc["p90"] >= 0.0333).all()


def test_seasonal_naive_when_the_last_season_is_all_equal_to_a_drop():
    """Monthly EC2 of the sample bills: $10-11k a month, then a savings plan cut it to $1.6k growing
    to $5.1k. Every year-on-year difference is about -$6.5k, which used to give P10 = P50 = P90 = $0
    below a mean of $1,632. Now P50 is the value twelve months back and the band is wide both ways."""
    y = np.array(
        [10495.66, 10042.01, 10888.69, 11082.33, 11472.21, 11327.58, 1631.98, 2006.48, 2068.36]
        + [2557.63, 2761.64, 3161.58, 3657.32, 2968.33, 4123.92, 4089.28, 4619.68, 5132.76]
    )
    fc = (
        make_model("seasonal_naive")
        .fit(frame(y, freq="MS"), freq="MS", season_length=12)
        .predict(3, QUANTILES)
    )
    np.testing.assert_allclose(fc["mean"], y[6:9])
    np.testing.assert_allclose(fc["p50"], y[6:9])
    differences = np.abs(y[12:] - y[:-12])  # 6.2k to 6.8k
    assert (fc["p90"] - fc["p50"] > differences.min()).all()
    assert (fc["p10"] == 0.0).all()  # the drop's size, cut at zero: a cost cannot go below it


def test_a_season_of_equal_differences_gives_a_symmetric_band():
    """Two weeks, the second one 2 lower each day: P50 is last week's value, P10 and P90 two away."""
    y = np.r_[np.full(7, 5.0), np.full(7, 3.0)]
    fc = make_model("seasonal_naive").fit(frame(y), season_length=7).predict(7, QUANTILES)
    np.testing.assert_allclose(
        fc[["p10", "p50", "p90", "mean"]].to_numpy(), np.tile([1.0, 3.0, 5.0, 3.0], (7, 1))
    )


def test_lgbm_median_is_sorted_with_the_other_levels():
    """Crossing quantile boosters: the point forecast is the middle of the sorted levels, inside the
    band, and it is p50 when 0.5 is requested."""
    from forecasting.models.lgbm import _rearrange_with_median

    band = np.array([[3.0, 1.0], [0.0, 4.0]])  # levels 0.2, 0.8; the first row crosses
    median = np.array([5.0, 2.0])
    point, ordered = _rearrange_with_median(median, band, (0.2, 0.8))
    np.testing.assert_allclose(point, [3.0, 2.0])
    np.testing.assert_allclose(ordered, [[1.0, 5.0], [0.0, 4.0]])
    point, ordered = _rearrange_with_median(
        band[:, 0], np.c_[band, band[:, :1]][:, [0, 2, 1]], (0.2, 0.5, 0.8)
    )
    np.testing.assert_allclose(point, ordered[:, 1])
