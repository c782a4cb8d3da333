"""Known answers for the forecasting models: exact baselines, calibrated bands, LightGBM vs baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import DataError
from forecasting.models import make_model
from forecasting.models._common import future_dates, offset_for
from forecasting.models._lgbm_features import calendar_features
from forecasting.models.arima import differencing_orders
from forecasting.models.ensemble import combine_forecasts
from forecasting.models.ets import candidate_forms
from metrics.forecast import wql_loss

QUANTILES = (0.1, 0.5, 0.9)


def frame(series: dict[str, np.ndarray], freq: str = "D", start: str = "2024-01-01") -> pd.DataFrame:
    parts = [
        pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=len(y), freq=freq), "y": y})
        for uid, y in series.items()
    ]
    return pd.concat(parts, ignore_index=True)


def test_seasonal_naive_is_exact_on_a_periodic_series():
    """A series that repeats every week is forecast exactly, with a zero-width band."""
    week = np.array([5.0, 9.0, 9.5, 10.0, 8.0, 2.0, 1.0])
    df = frame({"p": np.tile(week, 6)[:40]})  # ends mid-week: the forecast must keep the phase
    fc = make_model("seasonal_naive").fit(df, season_length=7).predict(10, QUANTILES)
    expected = np.tile(week, 8)[40:50]
    for col in ("mean", "p10", "p50", "p90"):
        np.testing.assert_allclose(fc[col], expected)


def test_naive_band_matches_random_walk_quantiles():
    """On a Gaussian random walk the k-step band is about +-1.28 * sqrt(k) around the last value."""
    rng = np.random.default_rng(1)
    y = np.cumsum(rng.normal(0.0, 1.0, 3000))
    fc = make_model("naive").fit(frame({"rw": y})).predict(16, QUANTILES)
    half_width = (fc["p90"] - fc["p10"]).to_numpy() / 2
    expected = 1.2816 * np.sqrt(np.arange(1, 17))
    np.testing.assert_allclose(half_width, expected, rtol=0.15)
    assert (fc["mean"] == y[-1]).all()


def test_ets_on_a_constant_series_forecasts_the_constant():
    fc = make_model("ets").fit(frame({"c": np.full(50, 42.0)})).predict(7, QUANTILES)
    for col in ("mean", "p10", "p50", "p90"):
        np.testing.assert_allclose(fc[col], 42.0)


@pytest.mark.parametrize("name", ["ets", "theta", "arima"])
def test_white_noise_band_is_calibrated(name):
    """On i.i.d. N(50, 2^2) data the median is near 50 and the 80% band near +-2.56 at short range."""
    rng = np.random.default_rng(7)
    df = frame({"w": rng.normal(50.0, 2.0, 300)})
    fc = make_model(name).fit(df, season_length=7).predict(3, QUANTILES)
    assert np.abs(fc["p50"] - 50.0).max() < 1.0
    width = (fc["p90"] - fc["p10"]).to_numpy()
    assert np.all((width > 2 * 1.2816 * 2.0 * 0.75) & (width < 2 * 1.2816 * 2.0 * 1.6)), width


def test_ets_follows_a_trend_and_a_weekly_season():
    """A clean trend with a weekly cycle is continued: errors stay well below the noise-free swing."""
    t = np.arange(140)
    signal = 100 + 0.5 * t + 8 * np.sin(2 * np.pi * t / 7)
    rng = np.random.default_rng(3)
    df = frame({"s": signal[:126] + rng.normal(0, 0.5, 126)})
    fc = make_model("ets").fit(df, season_length=7).predict(14, QUANTILES)
    assert np.abs(fc["mean"].to_numpy() - signal[126:]).max() < 3.0
    assert ((fc["p10"].to_numpy() < signal[126:]) & (signal[126:] < fc["p90"].to_numpy())).mean() >= 0.7


def test_ets_simulated_bands_do_not_depend_on_the_other_series():
    """A multiplicative form's simulated band is the same alone or after another series in the batch.

    Chunks of series go to different workers, so a shared random stream would make results depend on
    the chunking.
    """
    t = np.arange(120)
    rng = np.random.default_rng(5)
    a = (100 + t) * (1 + 0.4 * np.sin(2 * np.pi * t / 7)) * rng.lognormal(0, 0.05, 120)
    b = (50 + 0.2 * t) * (1 + 0.3 * np.cos(2 * np.pi * t / 7)) * rng.lognormal(0, 0.05, 120)
    alone = make_model("ets").fit(frame({"a": a}), season_length=7)
    assert alone.states_[0].model.short_name.startswith("M")  # simulated, not a closed-form band
    batch = make_model("ets").fit(frame({"0b": b, "a": a}), season_length=7).predict(7, QUANTILES)
    in_batch = batch[batch["unique_id"] == "a"].reset_index(drop=True)
    expected = alone.predict(7, QUANTILES)
    for col in ("mean", "p10", "p50", "p90"):
        np.testing.assert_array_equal(in_batch[col].to_numpy(), expected[col].to_numpy())


def test_ets_candidate_forms():
    """Multiplicative forms only for positive data; seasonal forms only when the test finds a season."""
    t = np.arange(70)
    seasonal = 10 + np.sin(2 * np.pi * t / 7) * 3 + np.random.default_rng(0).normal(0, 0.1, 70)
    names = [f.name for f in candidate_forms(seasonal, 7)]
    assert names == ["ANA", "AAdA", "MNM", "MAdM"]
    names = [f.name for f in candidate_forms(seasonal - 20, 7)]
    assert names == ["ANA", "AAdA"]
    assert [f.name for f in candidate_forms(seasonal, 7, search="full")] == [
        "ANN", "AAdN", "MNN", "MAdN", "ANA", "AAdA", "MNM", "MAdM"
    ]  # fmt: skip
    # The defaults of the model: all trends and a full search on short series, a lean set on long ones.
    short = [f.name for f in candidate_forms(seasonal - 20, 7, search="auto", trends=None)]
    assert short == ["ANN", "AAN", "AAdN", "ANA", "AAA", "AAdA"]
    long = np.tile(seasonal, 6)
    assert [f.name for f in candidate_forms(long, 7, search="auto", trends=None)] == [
        "ANA", "AAdA", "MNM", "MAdM"
    ]  # fmt: skip


def test_arima_differencing_and_ar1_mean_reversion():
    """An AR(1) around 20 needs no differencing and its long-range forecast returns to the mean."""
    rng = np.random.default_rng(11)
    y = np.empty(400)
    y[0] = 20.0
    for i in range(1, 400):
        y[i] = 20.0 + 0.6 * (y[i - 1] - 20.0) + rng.normal()
    assert differencing_orders(y, 1) == (0, 0)
    fc = make_model("arima").fit(frame({"ar": y}), season_length=1).predict(30, QUANTILES)
    assert abs(fc["mean"].iloc[-1] - y.mean()) < 0.5
    # Long-run sd of an AR(1) with unit noise: 1 / sqrt(1 - 0.6^2) = 1.25.
    assert (fc["p90"].iloc[-1] - fc["p10"].iloc[-1]) == pytest.approx(2 * 1.2816 * 1.25, rel=0.2)


def test_lgbm_beats_seasonal_naive_on_trend_and_weekly_pattern():
    """Across 30 growing series with a weekly cycle, LightGBM's WQL is at most 0.85x seasonal naive's.

    Seasonal naive copies last week, noise and all, and misses the growth over the 28 days; a model that
    learns level, growth and weekday shape from all series together should do clearly better (ETS
    reaches 0.87x here; the noise alone would allow about 0.6x).
    """
    rng = np.random.default_rng(5)
    t = np.arange(300)
    series = {}
    for i in range(30):
        level = rng.uniform(20, 500)
        shape = 1 + rng.uniform(0.1, 0.4) * np.sin(2 * np.pi * (t + rng.integers(7)) / 7)
        growth = 1 + rng.uniform(0.003, 0.008) * t
        series[f"s{i}"] = level * growth * shape * rng.lognormal(0, 0.03, len(t))
    df = frame(series)
    cut = df["ds"].max() - pd.Timedelta(days=28)
    train, test = df[df["ds"] <= cut], df[df["ds"] > cut]
    scores = {}
    # A smaller row budget than the default keeps the test fast; the margin holds with the default too.
    for name, params in (("seasonal_naive", {}), ("lgbm", {"max_rows": 20_000})):
        fc = make_model(name, **params).fit(train, season_length=7).predict(28, QUANTILES)
        merged = test.merge(fc, on=["unique_id", "ds"], validate="one_to_one")
        scores[name] = wql_loss(merged["y"], merged[["p10", "p50", "p90"]].to_numpy(), quantiles=QUANTILES)
    assert scores["lgbm"] <= 0.85 * scores["seasonal_naive"], scores


def test_lgbm_seed_changes_the_sampling_only():
    """The same seed gives identical forecasts; another seed (row bagging) gives different ones."""
    rng = np.random.default_rng(2)
    df = frame({f"s{i}": 50 + rng.normal(0, 5, 120).cumsum() for i in range(5)})
    first = make_model("lgbm", n_estimators=30, random_state=1).fit(df).predict(5, QUANTILES)
    again = make_model("lgbm", n_estimators=30, random_state=1).fit(df).predict(5, QUANTILES)
    other = make_model("lgbm", n_estimators=30, random_state=2).fit(df).predict(5, QUANTILES)
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["p50"], other["p50"])


def test_combine_forecasts_mean_median_and_partial_rows():
    ds = pd.to_datetime(["2024-01-01", "2024-01-02"])
    a = pd.DataFrame({"unique_id": "x", "ds": ds, "mean": [1.0, 1.0], "p10": [0.0, 0.0], "p90": [2.0, 2.0]})
    b = a.assign(mean=[3.0, 3.0], p10=[1.0, 1.0], p90=[5.0, 5.0])
    c = a.iloc[:1].assign(mean=[11.0], p10=[9.0], p90=[30.0])  # c only forecast the first day
    mean = combine_forecasts([a, b, c], [0.1, 0.9])
    np.testing.assert_allclose(mean[["mean", "p10", "p90"]], [[5.0, 10 / 3, 37 / 3], [2.0, 0.5, 3.5]])
    median = combine_forecasts([a, b, c], [0.1, 0.9], how="median")
    np.testing.assert_allclose(median[["mean", "p10", "p90"]], [[3.0, 1.0, 5.0], [2.0, 0.5, 3.5]])
    with pytest.raises(DataError, match="median"):
        combine_forecasts([a], [0.1, 0.9], how="max")


def test_ensemble_is_the_mean_of_its_members():
    rng = np.random.default_rng(4)
    df = frame({"a": 100 + rng.normal(0, 3, 60), "b": 10 + rng.normal(0, 1, 60).cumsum()})
    members = [make_model(m).fit(df).predict(5, QUANTILES) for m in ("naive", "seasonal_naive")]
    got = make_model("ensemble", members=("naive", "seasonal_naive")).fit(df).predict(5, QUANTILES)
    pd.testing.assert_frame_equal(got, combine_forecasts(members, QUANTILES))
    with pytest.raises(DataError, match="members"):
        make_model("ensemble", members=("naive", "ensemble")).fit(df)


def test_future_dates_roll_off_anchor_dates_forward():
    """A weekly series on Mondays forecast with W-SUN continues on the next Sundays, none skipped."""
    last = pd.DatetimeIndex([pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-07")])  # Monday, Sunday
    got = future_dates(last, 2, "W").reshape(2, 2)
    assert list(pd.DatetimeIndex(got[0]).strftime("%m-%d")) == ["01-07", "01-14"]
    assert list(pd.DatetimeIndex(got[1]).strftime("%m-%d")) == ["01-14", "01-21"]
    assert offset_for("H") == offset_for("h")
    with pytest.raises(DataError, match="freq"):
        offset_for("fortnightly")


@pytest.mark.parametrize(
    ("freq", "columns"),
    [
        ("D", ["dayofweek", "day", "month", "month_start", "month_end"]),
        ("h", ["hour", "dayofweek"]),
        ("W-MON", ["week", "month"]),
        ("MS", ["month"]),
        ("QS", ["quarter"]),
        ("YS", []),
    ],
)
def test_calendar_features_follow_the_frequency(freq, columns):
    dates = pd.date_range("2024-01-29", periods=5, freq=freq)
    features = calendar_features(dates, freq)
    assert list(features) == columns
    if freq == "D":  # 2024-01-29 is a Monday; the 31st ends the month, Feb 1st starts one
        assert features["dayofweek"].tolist() == [0, 1, 2, 3, 4]
        assert features["month_end"].tolist() == [0, 0, 1, 0, 0]
        assert features["month_start"].tolist() == [0, 0, 0, 1, 0]


def test_theta_matches_statsmodels_theta_model():
    """The SES fit and Theta forecast agree with statsmodels' ThetaModel (its Kalman-filter SES fit)."""
    import warnings

    from statsmodels.tsa.forecasting.theta import ThetaModel

    from forecasting.models.theta import fit_ses

    rng = np.random.default_rng(11)
    for n in (12, 60, 400):
        y = 50 + np.cumsum(rng.normal(0.2, 1.0, n)) + rng.normal(0.0, 2.0, n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = ThetaModel(y, deseasonalize=False).fit()
        alpha, _, _ = fit_ses(y)
        assert abs(alpha - float(reference.params["alpha"])) < 1e-3
        fc = make_model("theta").fit(frame({"s": y}), season_length=1).predict(8, QUANTILES)
        np.testing.assert_allclose(fc["mean"], np.asarray(reference.forecast(8)), rtol=1e-4)


@pytest.mark.parametrize("seed", range(5))
def test_residual_band_equals_per_lag_numpy_quantiles(seed):
    """The one-sort band equals np.quantile of each lag's differences and their negatives (or a
    shorter lag's, scaled); its median is exactly zero."""
    from forecasting.models.naive import MIN_RESIDUALS, residual_band

    rng = np.random.default_rng(seed)
    y = np.cumsum(rng.normal(0.3, 1.0, size=int(rng.integers(2, 120))))  # drift: differences not centred
    m = int(rng.choice([1, 7]))
    lags = m * np.ceil(np.arange(1, 41) / m).astype(int)
    qs = np.array([0.05, 0.3, 0.5, 0.9])

    def symmetric(d: np.ndarray) -> np.ndarray:
        return np.quantile(np.r_[d, -d], qs)

    # Lags with too few differences scale the longest lag that has enough (else the base lag).
    measured = [k for k in lags if len(y) - k >= MIN_RESIDUALS]
    reference = max(measured) if measured else m
    base = symmetric(y[reference:] - y[:-reference]) if len(y) > reference else np.zeros(len(qs))
    expected = [
        symmetric(y[k:] - y[:-k]) if len(y) - k >= MIN_RESIDUALS else base * np.sqrt(k / reference)
        for k in lags
    ]
    band = residual_band(y, lags, qs, base_lag=m)
    np.testing.assert_allclose(band, np.array(expected), atol=1e-12)
    assert (band[:, 2] == 0.0).all()
