"""load_series: one path from a table, an export or a frame to validated series, used by CLI and notebooks."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from forecasting import DataError, DataWarning, LoadedSeries, load_series
from forecasting.cli import main
from forecasting.forecaster import Forecaster


def _cycle(n: int, season: int) -> np.ndarray:
    t = np.arange(n)
    return 100.0 + 10.0 * np.sin(2 * np.pi * t / season)


@pytest.mark.parametrize(
    ("freq", "start", "season"),
    [("D", "2024-01-01", 7), ("W-SUN", "2024-01-07", 52), ("MS", "2020-01-01", 12),
     ("QS-JAN", "2015-01-01", 4), ("h", "2024-01-01", 24), ("YS-JAN", "1990-01-01", 1)],
)  # fmt: skip
def test_frequency_is_inferred_and_the_season_derived_from_it(long_frame, tmp_path, freq, start, season):
    df = long_frame(
        {"a": _cycle(40, max(season, 2)), "b": _cycle(40, max(season, 2)) * 2}, freq=freq, start=start
    )
    path = tmp_path / "s.csv"
    df.to_csv(path, index=False)
    for source in (df, path, str(path)):
        loaded = load_series(source)
        assert (loaded.freq, loaded.season_length) == (freq, season)
        assert loaded.info["freq_inferred"] == freq
        assert len(loaded.df) == 80
    assert load_series(df, season_length=3).season_length == 3  # an explicit value wins
    assert "freq_inferred" not in load_series(df, freq=freq).info


def test_a_table_and_the_same_frame_load_identically(bill_series, tmp_path):
    path = tmp_path / "bills.parquet"
    bill_series.to_parquet(path)
    from_file, from_frame = load_series(path), load_series(bill_series)
    pd.testing.assert_frame_equal(from_file.df, from_frame.df)
    assert list(from_file.df.columns) == ["unique_id", "service", "account", "ds", "y"]
    assert from_file.dims["account"].str.startswith("0").any()  # ids stay text
    assert from_file.info["input"] == str(path)


def test_a_billing_export_is_prepared_with_the_given_options(sample_bills_dir):
    loaded = load_series(sample_bills_dir / "cur2", dims="service")
    assert loaded.report is not None
    assert (loaded.freq, loaded.season_length) == ("D", 7)
    assert "reconciliation" in loaded.info["prepare"]
    assert loaded.currency == "USD"
    assert loaded.df["unique_id"].nunique() == loaded.dims["service"].nunique()
    assert abs(loaded.df["y"].sum() - loaded.report.series_total) < 0.005
    assert "reconciliation" in loaded.summary()
    assert "season 7" in loaded.summary()


@pytest.mark.parametrize("season", [0, -1, 2.5, True])
def test_a_season_length_that_is_not_a_positive_integer_is_an_error(long_frame, season):
    df = long_frame({"a": np.arange(30.0)})
    with pytest.raises(DataError, match=r"season_length= must be a positive whole number.*got"):
        load_series(df, season_length=season)


def test_the_cli_rejects_season_length_0_naming_the_flag(tmp_path, long_frame, capsys):
    path = tmp_path / "s.parquet"
    long_frame({"a": np.arange(60.0)}).to_parquet(path)
    assert main(["run", str(path), "-o", str(tmp_path / "o"), "--horizon", "7", "--season-length", "0"]) == 2
    assert "--season-length must be a positive whole number" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_forecaster_defaults_infer_a_monthly_frame_and_its_season(long_frame):
    """Forecaster() on monthly data: monthly periods and season 12, not 1,066 mostly-zero days."""
    df = long_frame({"m": _cycle(36, 12)}, freq="MS", start="2021-01-01")
    fc = Forecaster(models=["naive", "seasonal_naive"]).fit(df, h=12)
    assert (fc.freq_, fc.season_length_, len(fc.history_)) == ("MS", 12, 36)
    out = fc.predict(12)
    assert out["ds"].dt.is_month_start.all()
    np.testing.assert_allclose(out["p50"], df["y"].iloc[-12:])  # seasonal naive repeats the last year
    assert Forecaster(models=["naive"], season_length=4).fit(df).season_length_ == 4


# --- ended series ----------------------------------------------------------------------------------------


def _with_ended(long_frame, stop: int = 20) -> pd.DataFrame:
    df = long_frame({"live": 10 + np.arange(90.0) % 7, "gone": 5 + np.arange(90.0) % 7, "also": np.ones(90)})
    return df.drop(
        df.index[(df["unique_id"] == "gone") & (df["ds"] > df["ds"].max() - pd.Timedelta(days=stop))]
    )


def test_an_ended_series_is_filled_with_zeros_to_the_common_end_with_one_warning(long_frame):
    df = _with_ended(long_frame)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_series(df)
        fc = Forecaster(models=["naive", "seasonal_naive"]).fit(loaded, h=7)
        out = fc.predict(7)
    ended = [w for w in caught if issubclass(w.category, DataWarning)]
    assert len(ended) == 1
    message = str(ended[0].message)
    assert "1 of 3 series end before the dataset's last period 2023-04-01" in message
    assert "'gone' ends 2023-03-12" in message
    assert "20 missing periods" in message
    assert "ends='own'" in message
    assert "--ends" not in message
    gone = loaded.df[loaded.df["unique_id"] == "gone"]
    assert gone["ds"].max() == df["ds"].max()
    assert (gone["y"].tail(20) == 0).all()
    assert loaded.ended.to_dict("records") == [
        {"unique_id": "gone", "last_ds": pd.Timestamp("2023-03-12"), "filled": 20}
    ]
    assert fc.ended_.equals(loaded.ended)
    assert out["ds"].min() > df["ds"].max()  # nothing forecast into the past
    assert (out.loc[out["unique_id"] == "gone", ["p10", "p50", "p90", "mean"]] == 0).all().all()


@pytest.mark.parametrize("stop", [1, 5, 40])
def test_no_forecast_is_dated_at_or_before_the_last_period(long_frame, stop):
    df = _with_ended(long_frame, stop)
    with pytest.warns(DataWarning, match="end before"):
        out = Forecaster(models=["naive", "theta"]).fit(df, h=10).predict(10)
    assert out["ds"].min() == df["ds"].max() + pd.Timedelta(days=1)
    assert out.groupby("unique_id")["ds"].min().nunique() == 1


def test_ends_own_forecasts_each_series_from_its_own_end(long_frame):
    df = _with_ended(long_frame)
    out = Forecaster(models=["naive"], ends="own").fit(df, h=7).predict(7)
    first = out.groupby("unique_id")["ds"].min()
    assert first["gone"] == pd.Timestamp("2023-03-13")
    assert first["live"] == pd.Timestamp("2023-04-02")
    loaded = load_series(df, ends="own")
    assert loaded.ended.empty
    # Asked for on the estimator, the common end applies to series loaded with their own ends.
    with pytest.warns(DataWarning, match="1 of 3 series end before"):
        fc = Forecaster(models=["naive"]).fit(loaded, h=7)
    assert fc.predict(7)["ds"].min() == pd.Timestamp("2023-04-02")


def test_cli_lists_ended_and_short_series_in_the_summary(tmp_path, long_frame, capsys):
    df = _with_ended(long_frame)
    new = df[df["unique_id"] == "live"].tail(12).assign(unique_id="new")
    path = tmp_path / "s.csv"
    pd.concat([df, new]).to_csv(path, index=False)
    out = tmp_path / "out"
    with pytest.warns(DataWarning, match=r"pass --ends own"):
        code = main(["run", str(path), "-o", str(out), "--horizon", "7", "--models", "naive,seasonal_naive"])
    assert code == 0
    report = capsys.readouterr().out
    assert "1 series ended before the last period: their 20 missing periods count as 0" in report
    assert "1 series have fewer than 3 x 7 periods" in report
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["ends"] == "common"
    ended = summary["ended_series"]
    assert (ended["count"], ended["filled_periods"], ended["common_end"]) == (1, 20, "2023-04-01T00:00:00")
    assert ended["by_series"] == {"gone": "2023-03-12T00:00:00"}
    short = summary["short_series"]
    assert (short["count"], short["min_periods"]) == (1, 21)
    assert short["by_series"] == {"new": {"periods": 12, "model": summary["choices"]["by_series"]["new"]}}
    assert summary["choices"]["basis"]["short"] == 1
    forecasts = pd.read_parquet(out / "forecasts.parquet")
    history = pd.read_parquet(out / "history.parquet")
    assert forecasts["ds"].min() > history["ds"].max()


# --- the notebook's calls and `forecast run` give the same forecasts -------------------------------------


def _notebook_forecasts(source, out, models, h, **load_options) -> pd.DataFrame:
    """What notebooks/02_forecast_costs.ipynb does, call for call."""
    from forecasting.export import write_run
    from forecasting.totals_backtest import forecast_with_totals

    series = load_series(source, **load_options)
    forecaster = Forecaster(models=models, quantiles=[0.1, 0.5, 0.9], n_windows=1, select="auto").fit(
        series, h=h
    )
    forecasts, totals = forecast_with_totals(forecaster, h)
    write_run(
        out, forecaster, forecasts, currency=series.currency, extra=series.info, n_plots=0, totals=totals
    )
    return pd.read_parquet(out / "forecasts.parquet")


def test_the_notebook_and_forecast_run_give_the_same_forecasts_for_a_monthly_file(tmp_path, long_frame):
    rng = np.random.default_rng(3)
    df = long_frame({f"s{i}": _cycle(48, 12) * (i + 1) + rng.normal(0, 2, 48) for i in range(3)}, freq="MS")
    path = tmp_path / "monthly.csv"
    df.to_csv(path, index=False)
    models = ["naive", "seasonal_naive", "theta"]
    args = ["run", str(path), "-o", str(tmp_path / "cli"), "--horizon", "6", "--models", ",".join(models)]
    assert main([*args, "--plots", "0", "-q"]) == 0
    api = _notebook_forecasts(str(path), tmp_path / "api", models, 6)
    cli = pd.read_parquet(tmp_path / "cli" / "forecasts.parquet")
    pd.testing.assert_frame_equal(cli, api)
    assert cli["ds"].dt.is_month_start.all()
    summaries = [json.loads((tmp_path / d / "summary.json").read_text()) for d in ("cli", "api")]
    assert [s["settings"]["season_length"] for s in summaries] == [12, 12]
    assert [s["settings"]["freq"] for s in summaries] == ["MS", "MS"]


def test_the_notebook_and_forecast_run_give_the_same_forecasts_for_the_sample_export(
    sample_bills_dir, tmp_path
):
    models = ["naive", "seasonal_naive", "theta"]
    source = sample_bills_dir / "cur2"
    args = ["run", str(source), "-o", str(tmp_path / "cli"), "--horizon", "7", "--models", ",".join(models)]
    assert main([*args, "--measure", "unblended", "--plots", "0", "-q"]) == 0
    api = _notebook_forecasts(source, tmp_path / "api", models, 7, measure="unblended")
    cli = pd.read_parquet(tmp_path / "cli" / "forecasts.parquet")
    pd.testing.assert_frame_equal(cli, api)
    assert cli["unique_id"].nunique() > 10


def test_loaded_series_is_used_as_validated(long_frame, monkeypatch):
    """Fitting on load_series output does not validate the data a second time (it costs seconds at scale)."""
    import forecasting.forecaster as forecaster_module

    loaded = load_series(long_frame({"a": np.arange(30.0)}))
    assert isinstance(loaded, LoadedSeries)

    def no_second_check(*args, **kwargs):
        raise AssertionError("validated twice")

    monkeypatch.setattr(forecaster_module, "validate_series", no_second_check)
    assert len(Forecaster(models=["naive"], n_windows=0).fit(loaded).history_) == 30


def test_the_notebooks_load_their_data_through_load_series():
    """The parity test above replays notebook 02's calls; this keeps the notebooks on those calls."""
    import nbformat

    notebooks = Path(__file__).resolve().parents[2] / "notebooks"
    for name in ("01_explore_costs.ipynb", "02_forecast_costs.ipynb"):
        nb = nbformat.read(notebooks / name, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "load_series(BILLS" in code
        assert "prepare_series" not in code
    assert ".fit(series, h=HORIZON)" in code
    assert "forecast_with_totals(forecaster, HORIZON)" in code
    assert "extra=series.info" in code
    assert "detect_anomalies(series.df, freq=series.freq" in code


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spans=st.lists(st.tuples(st.integers(1, 60), st.integers(0, 30)), min_size=1, max_size=5),
    h=st.integers(1, 10),
)
def test_forecasts_start_after_the_last_period_and_every_series_is_accounted_for(spans, h):
    """Random starts and stops: every forecast is after the data's end, ended and short series are listed."""
    end = pd.Timestamp("2024-06-30")
    # After the fill every series runs from its start to the latest stop: the horizon rule must hold there.
    first_stop = min(stop for _, stop in spans)
    assume(3 * h <= max(length + stop - first_stop for length, stop in spans))
    parts = [
        pd.DataFrame({"unique_id": f"s{i}", "y": 1.0 + np.arange(length) % 3,
                      "ds": pd.date_range(end=end - pd.Timedelta(days=stop), periods=length)})
        for i, (length, stop) in enumerate(spans)
    ]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        fc = Forecaster(models=["naive"]).fit(pd.concat(parts, ignore_index=True), h=h)
        out = fc.predict(h)
    last = max(end - pd.Timedelta(days=stop) for _, stop in spans)
    assert out["ds"].min() == last + pd.Timedelta(days=1)
    assert out.groupby("unique_id").size().eq(h).all()
    assert len(out) == h * len(spans)
    stopped = {f"s{i}" for i, (_, stop) in enumerate(spans) if end - pd.Timedelta(days=stop) < last}
    assert set(fc.ended_["unique_id"]) == stopped
    periods = fc.history_.groupby("unique_id").size()
    assert set(fc.short_["unique_id"]) == set(periods[periods < 3 * h].index)
    assert set(fc.choices_.loc[fc.choices_["basis"] == "short", "unique_id"]) == set(fc.short_["unique_id"])
