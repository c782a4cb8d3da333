"""Bill totals from joint sample paths: known answers for perfectly correlated, independent and
half-observed periods, the copula's estimation, and the calibration of the totals."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtri

from forecasting.copula import Dependence, estimate_dependence, normal_scores, quantile_function
from forecasting.errors import DataError, DataWarning
from forecasting.totals import BillTotals, check_nesting, closing_steps, period_starts
from forecasting.totals_backtest import backtest_totals, calibration_summary

QS = (0.1, 0.5, 0.9)
# A symmetric split normal: P10 8, P50 10, P90 12, i.e. N(10, (2 / 1.2816)^2).
BAND = {"p10": 8.0, "p50": 10.0, "p90": 12.0}


def _forecasts(ids: list[str], start: str, days: int, band: dict[str, float] = BAND) -> pd.DataFrame:
    ds = pd.date_range(start, periods=days)
    return pd.DataFrame([{"unique_id": uid, "ds": d, **band} for uid in ids for d in ds])


def _history(ids: list[str], start: str, end: str, y: float = 10.0) -> pd.DataFrame:
    ds = pd.date_range(start, end)
    return pd.DataFrame([{"unique_id": uid, "ds": d, "y": y} for uid in ids for d in ds])


def _dims(ids: list[str], team: list[str] | None = None) -> pd.DataFrame:
    dims = pd.DataFrame({"unique_id": ids})
    return dims if team is None else dims.assign(team=team)


def _fitted(ids: list[str], dependence: Dependence, n_paths: int = 4000, **kw: object) -> BillTotals:
    totals = BillTotals(QS, n_paths=n_paths, **kw).fit(None, _dims(ids))  # type: ignore[arg-type]
    totals.dependence_ = dependence
    return totals


def test_quantile_function_and_normal_scores_invert_each_other():
    """The marginal passes through every forecast quantile; the scores undo it, tails included."""
    rng = np.random.default_rng(0)
    values = np.sort(rng.gamma(2.0, 5.0, size=(50, 3)), axis=1)
    z = rng.normal(0, 1.2, size=50).clip(-3, 3)
    y = quantile_function(z, values, QS)
    np.testing.assert_allclose(normal_scores(y, values, QS), z, atol=1e-9)
    for j, q in enumerate(QS):
        np.testing.assert_allclose(
            quantile_function(np.full(50, ndtri(q)), values, QS), values[:, j], rtol=1e-12
        )


def test_quantile_function_matches_linear_interpolation_with_outer_slopes_for_many_levels():
    """Nine levels, paths broadcast over forecasts: np.interp between knots, outer slopes beyond them."""
    rng = np.random.default_rng(1)
    levels = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95]
    knots = ndtri(levels)
    values = np.sort(rng.gamma(2.0, 5.0, size=(4, 6, len(levels))), axis=-1)
    values[0, 0] = 7.0  # a flat band
    z = rng.normal(0, 1.5, size=(3, 4, 6))
    got = quantile_function(z, values, levels)
    assert got.shape == (3, 4, 6)
    for p, d, s in np.ndindex(*z.shape):
        v, x = values[d, s], z[p, d, s]
        if x < knots[0]:
            want = v[0] + (x - knots[0]) * (v[1] - v[0]) / (knots[1] - knots[0])
        elif x > knots[-1]:
            want = v[-1] + (x - knots[-1]) * (v[-1] - v[-2]) / (knots[-1] - knots[-2])
        else:
            want = np.interp(x, knots, v)
        assert got[p, d, s] == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_perfectly_correlated_series_total_quantiles_are_the_sum_of_quantiles():
    """Comonotonic series and days: the total's P10/P50/P90 equal the series' quantiles added up."""
    ids = ["a", "b", "c"]
    bands = [{"p10": 1.0, "p50": 2.0, "p90": 5.0}, BAND, {"p10": 0.0, "p50": 3.0, "p90": 4.0}]
    fc = pd.concat([_forecasts([u], "2025-03-01", 31, b) for u, b in zip(ids, bands, strict=True)])
    result = _fitted(ids, Dependence.comonotonic(3)).predict(fc, _history(ids, "2025-01-01", "2025-02-28"))
    total = result.table.query("level == 'total'").iloc[0]
    summed = fc[["p10", "p50", "p90"]].sum()
    width = summed["p90"] - summed["p10"]
    for col in ("p10", "p50", "p90"):
        assert total[col] == pytest.approx(summed[col], abs=0.03 * width)


def test_independent_series_total_band_is_narrower_and_matches_the_normal_sum():
    """Independent series and days: N iid N(10, s^2) add to a band of sqrt(N) x one band, not N x."""
    ids = [f"s{i}" for i in range(10)]
    fc = _forecasts(ids, "2025-04-01", 30)
    result = _fitted(ids, Dependence.independent_series(10)).predict(
        fc, _history(ids, "2025-01-01", "2025-03-31")
    )
    total = result.table.query("level == 'total'").iloc[0]
    n = 10 * 30
    assert total["p50"] == pytest.approx(10.0 * n, rel=0.002)
    assert total["p90"] - total["p10"] == pytest.approx(4.0 * np.sqrt(n), rel=0.06)
    assert total["p90"] - total["p10"] < (12.0 - 8.0) * n / 5
    assert total["actual_to_date"] == 0.0
    assert total["missing_steps"] == 0


def test_a_half_observed_month_adds_the_actual_to_date_to_the_remaining_days():
    """History to the 15th: actual_to_date is its sum, the band is that of the 15 remaining days."""
    ids = ["a", "b"]
    history = _history(ids, "2025-05-01", "2025-06-15", y=7.0)
    fc = _forecasts(ids, "2025-06-16", 15)
    result = _fitted(ids, Dependence.independent_series(2, day_share=1.0)).predict(fc, history)
    total = result.table.query("level == 'total'").iloc[0]
    assert total["period"] == pd.Timestamp("2025-06-01")
    assert total["actual_to_date"] == pytest.approx(2 * 15 * 7.0)
    assert (total["observed_steps"], total["forecast_steps"], total["missing_steps"]) == (15, 15, 0)
    # Each series' 15 days move together (day_share 1): 15 x N(10, s) per series, two independent series.
    assert total["p50"] == pytest.approx(210.0 + 300.0, rel=0.003)
    assert total["p90"] - total["p10"] == pytest.approx(15 * 4.0 * np.sqrt(2), rel=0.06)
    daily = result.daily.query("level == 'total'")
    first = daily[daily["ds"] == pd.Timestamp("2025-06-01")].iloc[0]
    assert first["p50"] == first["p90"] == pytest.approx(14.0)  # an observed day: no band
    assert daily["p50"].is_monotonic_increasing


def test_levels_keys_and_coherence_of_the_samples():
    """Each dimension value gets a row, and in every path the keys of a level add up to the total."""
    ids = ["a", "b", "c"]
    totals = BillTotals(QS, n_paths=500).fit(None, _dims(ids, ["x", "x", "y"]))
    result = totals.predict(_forecasts(ids, "2025-01-20", 20), _history(ids, "2024-12-01", "2025-01-19"))
    table = result.table
    assert set(zip(table["level"], table["key"], strict=True)) == {
        ("total", "total"),
        ("team", "x"),
        ("team", "y"),
    }
    assert list(table["period"].unique()) == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")]
    wide = result.samples.pivot_table(index=["period", "sample"], columns="key", values="total")
    np.testing.assert_allclose(wide["x"] + wide["y"], wide["total"], rtol=1e-12)
    jan = table[(table["key"] == "total") & (table["period"] == pd.Timestamp("2025-01-01"))].iloc[0]
    assert jan["actual_to_date"] == pytest.approx(3 * 19 * 10.0)
    assert (table["p10"] <= table["p50"]).all()
    assert (table["p50"] <= table["p90"]).all()


def test_estimated_dependence_finds_common_and_persistent_errors():
    """Errors shared by all series and constant over a window give correlations near 1; noise near 0."""
    rng = np.random.default_rng(1)
    ids = [f"s{i}" for i in range(6)]
    rows = []
    for cutoff in pd.date_range("2025-01-01", periods=8, freq="30D"):
        level = rng.normal()
        for uid in ids:
            for k in range(1, 21):
                z_common, z_noise = level, rng.normal()
                rows.append({"unique_id": uid, "cutoff": cutoff, "ds": cutoff + pd.Timedelta(days=k),
                             "common": z_common, "noise": z_noise})  # fmt: skip
    frame = pd.DataFrame(rows)

    def dep(column: str) -> Dependence:
        # Forecast N(0, 1) quantiles, actual = the score: the normal score is the score itself.
        bt = frame.assign(y=frame[column], p10=ndtri(0.1), p50=0.0, p90=ndtri(0.9))
        return estimate_dependence(bt, ids, QS)

    common, noise = dep("common"), dep("noise")
    corr = lambda d: (1 - d.independent[0]) * (d.factor.T @ d.factor)[0, 1]  # noqa: E731
    assert np.all(common.day_share > 0.95)
    assert corr(common) > 0.9
    assert np.all(noise.day_share < 0.1)
    assert abs(corr(noise)) < 0.1


def test_calibration_counts_totals_inside_the_band_and_scores_wql():
    """Coverage and WQL of a hand-made scored table."""
    scored = pd.DataFrame({
        "cutoff": pd.Timestamp("2025-01-31"), "level": ["total", "team", "team", "team"],
        "key": ["total", "x", "y", "z"], "period": pd.Timestamp("2025-02-01"),
        "actual": [100.0, 50.0, 30.0, 25.0], "p10": [90.0, 40.0, 31.0, 20.0],
        "p50": [100.0, 45.0, 33.0, 25.0], "p90": [110.0, 55.0, 35.0, 30.0],
        "mean": 0.0, "sum_lower": 0.0, "sum_upper": 1000.0, "forecast_share": [1.0, 1.0, 0.6, 1.0],
        "in_sample": True,
    })  # fmt: skip
    summary = calibration_summary(scored, QS)
    assert summary["coverage"] == 0.75
    assert (summary["min_forecast_share"], summary["in_sample"]) == (0.6, True)
    assert summary["sum_of_quantiles_coverage"] == 1.0
    # Pinball losses by hand: P10 1 + 1 + 0.9 + 0.5, P50 0 + 2.5 + 1.5 + 0, P90 1 + 0.5 + 0.5 + 0.5.
    assert summary["wql"] == pytest.approx(2 * (3.4 + 4.0 + 2.5) / 3 / 205.0)
    assert summary["by_level"]["total"]["coverage"] == 1.0


def test_backtest_of_well_specified_forecasts_covers_about_eighty_percent():
    """Forecasts with the true marginals and independent truth: P10-P90 of the totals covers ~80%."""
    rng = np.random.default_rng(3)
    ids = [f"s{i}" for i in range(4)]
    sd = 2.0 / ndtri(0.9)
    frames = []
    cutoffs = pd.date_range("2024-01-31", periods=24, freq="ME")
    for cutoff in cutoffs:
        end = cutoff + pd.offsets.MonthEnd(1)
        ds = pd.date_range(cutoff + pd.Timedelta(days=1), end)
        for uid in ids:
            frames.append(pd.DataFrame({"unique_id": uid, "cutoff": cutoff, "ds": ds,
                                        "y": 10 + sd * rng.normal(size=len(ds)), **BAND}))  # fmt: skip
    backtest = pd.concat(frames, ignore_index=True)
    history = backtest[["unique_id", "ds", "y"]]
    scored = backtest_totals(backtest, history, _dims(ids), QS, n_paths=400)
    assert scored["cutoff"].nunique() == 24
    assert (scored["level"] == "total").all()
    summary = calibration_summary(scored, QS)
    assert 0.6 <= summary["coverage"] <= 0.95
    assert summary["sum_of_quantiles_coverage"] == 1.0  # the summed band is far too wide


def test_bad_settings_are_data_errors():
    with pytest.raises(DataError, match="total-freq"):
        period_starts(pd.DatetimeIndex(["2025-01-01"]), "Y")
    with pytest.raises(DataError, match="n_paths"):
        BillTotals(n_paths=10).fit(None, _dims(["a"]))
    with pytest.raises(DataError, match="not fitted"):
        BillTotals().predict(_forecasts(["a"], "2025-01-01", 3), _history(["a"], "2024-12-01", "2024-12-31"))


def test_weeks_and_quarters():
    """W groups Monday-Sunday weeks, Q calendar quarters."""
    days = pd.DatetimeIndex(["2025-06-29", "2025-06-30", "2025-07-01"])
    assert period_starts(days, "W").strftime("%Y-%m-%d").tolist() == [
        "2025-06-23",
        "2025-06-30",
        "2025-06-30",
    ]
    assert period_starts(days, "Q").strftime("%Y-%m-%d").tolist() == [
        "2025-04-01",
        "2025-04-01",
        "2025-07-01",
    ]


def test_a_shift_common_to_the_bill_is_found_under_daily_noise():
    """Each window shifts every series alike, hidden under larger independent daily noise: the daily
    correlation is low, but the window sums move together, and the common share picks that up."""
    rng = np.random.default_rng(5)
    ids = [f"s{i}" for i in range(8)]
    rows = []
    for cutoff in pd.date_range("2025-01-01", periods=6, freq="30D"):
        shift = rng.normal()
        for uid in ids:
            for k in range(1, 31):
                rows.append({"unique_id": uid, "cutoff": cutoff, "ds": cutoff + pd.Timedelta(days=k),
                             "y": 0.5 * shift + rng.normal(), "independent": rng.normal()})  # fmt: skip
    frame = pd.DataFrame(rows).assign(p10=ndtri(0.1), p50=0.0, p90=ndtri(0.9))
    shifted = estimate_dependence(frame, ids, QS)
    noise = estimate_dependence(frame.assign(y=frame["independent"]), ids, QS)
    assert shifted.level_common > 0.4
    assert noise.level_common < 0.2
    # The sampled window sums of the series then correlate as strongly as the common share says.
    z = Dependence(np.zeros((1, 8)), np.ones(8), 1.0, shifted.level_common).sample(
        np.random.default_rng(0), 4000, 3
    )
    assert np.corrcoef(z[:, 0, 0], z[:, 0, 1])[0, 1] == pytest.approx(shifted.level_common, abs=0.06)


def test_weekly_totals_count_observed_forecast_and_missing_days():
    """--total-freq W: a forecast from Wednesday 2025-07-02 for 10 days spans two Monday-Sunday weeks."""
    ids = ["a"]
    history = _history(ids, "2025-06-01", "2025-07-01", y=2.0)
    totals = BillTotals(QS, total_freq="W", n_paths=200).fit(None, _dims(ids))
    table = totals.predict(_forecasts(ids, "2025-07-02", 10), history).table
    assert table["period"].tolist() == [pd.Timestamp("2025-06-30"), pd.Timestamp("2025-07-07")]
    assert table["observed_steps"].tolist() == [2, 0]
    assert table["forecast_steps"].tolist() == [5, 5]
    assert table["missing_steps"].tolist() == [0, 2]
    assert table["actual_to_date"].tolist() == [4.0, 0.0]


def test_one_window_scored_with_its_fitted_dependence_gives_the_same_table():
    """Passing the dependence already fitted on the only window changes nothing but the time."""
    rng = np.random.default_rng(9)
    ids = ["a", "b", "c"]
    ds = pd.date_range("2025-03-01", "2025-03-31")
    backtest = pd.DataFrame([{"unique_id": u, "cutoff": pd.Timestamp("2025-02-28"), "ds": d,
                              "y": 10 + rng.normal(), **BAND} for u in ids for d in ds])  # fmt: skip
    history = pd.concat([_history(ids, "2025-01-01", "2025-02-28"), backtest[["unique_id", "ds", "y"]]])
    fitted = BillTotals(QS, n_paths=200).fit(backtest, _dims(ids)).dependence_
    again = backtest_totals(backtest, history, _dims(ids), QS, n_paths=200)
    reused = backtest_totals(backtest, history, _dims(ids), QS, n_paths=200, dependence=fitted)
    assert len(again) == 1
    pd.testing.assert_frame_equal(again, reused)


@pytest.mark.parametrize(
    ("last", "freq", "h", "total_freq", "want"),
    [
        ("2025-06-30", "D", 30, "M", 31),  # 1-30 July: 31 July closes the month
        ("2025-06-30", "D", 31, "M", 31),  # already whole
        ("2025-06-30", "D", 32, "M", 62),  # 1 August touched: August to its end
        ("2025-06-15", "D", 10, "M", 15),  # 16-25 June: 26-30 June
        ("2025-07-02", "D", 3, "W", 4),  # Thu 3 - Sat 5 July: Sunday closes the ISO week
        ("2025-06-30", "D", 30, "Q", 30),  # the quarter would need 62 more days than the 30 of h: not closed
        ("2025-06-30", "D", 46, "Q", 92),  # 46 more: closed
        ("2025-06-01", "MS", 6, "M", 6),  # monthly steps: every month is one step
        ("2025-06-01", "MS", 4, "Q", 6),  # July-October: November and December close the quarter
    ],
)
def test_closing_steps_reach_the_end_of_the_last_period(last, freq, h, total_freq, want):
    assert closing_steps(pd.Timestamp(last), freq, h, total_freq, most=400) == want


def test_closing_steps_keep_h_when_the_horizon_rule_forbids_more():
    # 91 days of history allow h <= 30: 31 July would break the rule, so the total lacks it (and says so).
    assert closing_steps(pd.Timestamp("2025-06-30"), "D", 30, "M", most=30) == 30
    assert closing_steps(pd.Timestamp("2025-06-30"), "D", 30, "M", most=31) == 31


def test_monthly_series_count_calendar_steps_not_a_fixed_day_gap():
    """MS steps from February: every month holds one step (a 28-day first gap used to count March as 2)."""
    ds = pd.date_range("2026-02-01", periods=6, freq="MS")
    fc = pd.DataFrame({"unique_id": "a", "ds": ds, **BAND})
    hist = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2024-02-01", "2026-01-01", freq="MS"), "y": 10.0}
    )
    for freq in ("MS", None):  # given, or inferred from the forecast dates
        totals = BillTotals(QS, n_paths=200, freq=freq).fit(None, _dims(["a"])).predict(fc, hist)
        assert totals.table["missing_steps"].tolist() == [0] * 6
        quarters = BillTotals(QS, "Q", n_paths=200, freq=freq).fit(None, _dims(["a"])).predict(fc, hist)
        # Q1 2026: January observed, February and March forecast; Q3: July forecast, August and September not.
        table = quarters.table.set_index("period")
        assert table.loc["2026-01-01", ["observed_steps", "forecast_steps", "missing_steps"]].tolist() == [
            1,
            2,
            0,
        ]
        assert table.loc["2026-07-01", ["observed_steps", "forecast_steps", "missing_steps"]].tolist() == [
            0,
            1,
            2,
        ]


def test_periods_that_cut_through_the_steps_are_refused():
    with pytest.raises(DataError, match=r"--total-freq M: a step of the series \(W-SUN\) does not fit"):
        check_nesting("W-SUN", "M")
    with pytest.raises(DataError, match=r"Fix: use --total-freq M or Q"):
        check_nesting("MS", "W")
    for freq, total in [("D", "W"), ("h", "M"), ("MS", "Q"), ("ME", "M"), ("W-MON", "W")]:
        check_nesting(freq, total)


def _weekly_file(tmp_path) -> str:
    ds = pd.date_range("2024-01-07", periods=80, freq="W-SUN")
    frame = pd.DataFrame({"unique_id": "a", "ds": ds, "y": 100.0 + np.arange(80) % 5})
    path = tmp_path / "weekly.csv"
    frame.to_csv(path, index=False)
    return str(path)


def test_forecast_run_refuses_an_impossible_total_freq_before_fitting(tmp_path, capsys):
    from forecasting.cli import main

    out = tmp_path / "out"
    args = ["run", _weekly_file(tmp_path), "-o", str(out), "--horizon", "4", "--models", "naive", "-q"]
    assert main([*args, "--total-freq", "M"]) == 2
    assert "--total-freq M: a step of the series (W-SUN) does not fit" in capsys.readouterr().err
    assert not out.exists()
    # Without --total-freq the run goes on, without totals, and says why.
    with pytest.warns(DataWarning, match="no bill totals"):
        assert main(args) == 0
    assert (out / "forecasts.parquet").exists()
    assert not (out / "totals.parquet").exists()
    note = json.loads((out / "summary.json").read_text())["totals"]["note"]
    assert note.startswith(
        "no calendar period (month, quarter, Monday-Sunday week) holds whole steps of W-SUN"
    )
    capsys.readouterr()
    assert main(["budget", str(out), "--amount", "5"]) == 2
    assert f"holds no bill totals: {note}" in capsys.readouterr().err


def test_series_forecast_from_their_own_ends_get_no_totals(long_frame):
    from forecasting.forecaster import Forecaster
    from forecasting.totals_backtest import forecast_with_totals

    df = long_frame({"a": np.full(90, 1.0), "b": np.full(120, 100.0)})
    fc = Forecaster(models=["naive"], n_windows=1, ends="own").fit(df, h=10)
    with pytest.warns(DataWarning, match="end on 2 different dates"):
        forecasts, totals = forecast_with_totals(fc, 10)
    assert totals is None
    assert forecasts.groupby("unique_id").size().tolist() == [10, 10]


def test_overlapping_windows_do_not_fit_the_dependence_that_scores_them():
    """Windows sharing days hold each other's actuals: only windows apart fit a scored window's copula."""
    ids = ["a", "b"]
    rows = []
    for cutoff in pd.to_datetime(["2025-01-31", "2025-02-14", "2025-03-31"]):
        days = pd.date_range(cutoff + pd.Timedelta(days=1), periods=31)
        rows += [{"unique_id": u, "cutoff": cutoff, "ds": d, "y": 10.0, **BAND} for u in ids for d in days]
    backtest = pd.DataFrame(rows)
    history = _history(ids, "2024-10-01", "2025-05-31")
    # Windows 1 (1 Feb - 3 Mar) and 2 (15 Feb - 17 Mar) share days: neither may fit the other's copula.
    pair = backtest[backtest["cutoff"] < pd.Timestamp("2025-03-01")]
    alone = backtest_totals(pair, history, _dims(ids), QS, n_paths=200)
    assert alone["cutoff"].nunique() == 2
    assert alone["in_sample"].all()
    # With window 3 (April) apart from both, each is fitted on it.
    scored = backtest_totals(backtest, history, _dims(ids), QS, n_paths=200)
    assert scored["cutoff"].nunique() == 3
    assert not scored["in_sample"].any()
    assert calibration_summary(alone, QS)["dependence"].startswith("fitted on the same window (in-sample")


def test_the_report_names_the_run_s_own_levels_and_the_mean_without_a_median():
    from forecasting.totals_backtest import RunTotals, totals_report

    levels = (0.05, 0.95)
    fc = _forecasts(["a"], "2025-07-01", 31, {"p5": 8.0, "p95": 12.0})
    result = (
        BillTotals(levels, n_paths=400)
        .fit(None, _dims(["a"]))
        .predict(fc, _history(["a"], "2025-06-01", "2025-06-30"))
    )
    line = totals_report(RunTotals(result, {"rows": 0}, 0.1, "M", None, levels)).splitlines()[0]
    assert re.fullmatch(
        r"bill total 2025-07: mean 3[01]\d\.\d\d USD \(P5 \d+\.\d\d - P95 \d+\.\d\d; .*", line
    )


@pytest.mark.parametrize(("freq", "want"), [("D", "M"), ("MS", "M"), ("QS", "Q"), ("W-MON", "W")])
def test_the_default_totals_are_the_first_periods_that_hold_whole_steps(long_frame, freq, want):
    from forecasting.forecaster import Forecaster
    from forecasting.totals_backtest import forecast_with_totals

    df = long_frame({"a": 10.0 + np.arange(60) % 3}, freq=freq)
    fc = Forecaster(models=["naive"], n_windows=0).fit(df, h=2)
    _, totals = forecast_with_totals(fc, 2)
    assert totals is not None
    assert totals.total_freq == want


def test_the_forecasts_are_predict_h_and_the_closing_days_come_from_the_same_single_forecast(long_frame):
    """LightGBM trains per horizon: one final forecast through 30 June serves predict(10) and the totals."""
    from forecasting.forecaster import Forecaster
    from forecasting.totals_backtest import forecast_with_totals

    rng = np.random.default_rng(4)
    df = long_frame({f"s{i}": 50 + 10 * i + rng.normal(0, 3, 166) for i in range(3)}, start="2025-01-01")
    fc = Forecaster(models=["naive", "lgbm"], candidates=["lgbm"], n_windows=1).fit(df, h=10)  # ends 15 June
    forecasts, totals = forecast_with_totals(fc, 10)
    assert list(fc._forecasts) == [15]  # one final forecast, 16-30 June
    pd.testing.assert_frame_equal(forecasts, fc.predict(10))
    assert forecasts.groupby("unique_id").size().tolist() == [10, 10, 10]
    assert totals is not None
    assert totals.beyond_horizon == 5
    assert totals.result.table.loc[0, ["observed_steps", "forecast_steps", "missing_steps"]].tolist() == [
        15,
        15,
        0,
    ]
