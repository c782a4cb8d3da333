"""Exports: file layout and columns as Amazon Forecast names them, accuracy rows, summary, atomic swap."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import forecasting.export as export
from forecasting import DataError
from forecasting.export import accuracy_table, check_output_folder, to_json, write_run


def test_layout_and_columns(run_folder, fitted_run):
    fc, forecasts = fitted_run
    names = {p.relative_to(run_folder).as_posix() for p in run_folder.rglob("*") if p.is_file()}
    assert {
        "forecasts.parquet",
        "history.parquet",
        "summary.json",
        "forecasted-values/naive.parquet",
        "forecasted-values/seasonal_naive.parquet",
        "accuracy-metric-values/naive.parquet",
        "accuracy-metric-values/seasonal_naive.parquet",
    } <= names
    assert len([n for n in names if n.startswith("plots/") and n.endswith(".png")]) == 2
    final = pd.read_parquet(run_folder / "forecasts.parquet")
    assert list(final.columns) == [
        "unique_id",
        "service",
        "account",
        "ds",
        "model",
        "p10",
        "p50",
        "p90",
        "mean",
    ]
    assert final["account"].str.startswith("0").any()  # account ids stay text
    assert len(final) == len(forecasts)
    values = pd.read_parquet(run_folder / "forecasted-values" / "naive.parquet")
    assert list(values.columns) == ["unique_id", "model", "cutoff", "ds", "y", "p10", "p50", "p90", "mean"]
    assert set(values["model"]) == {"naive"}
    pd.testing.assert_frame_equal(
        values.reset_index(drop=True),
        fc.cv_[fc.cv_["model"] == "naive"][values.columns].reset_index(drop=True),
    )


def test_accuracy_rows_per_series_window_and_model_plus_one_dataset_row(run_folder, fitted_run):
    fc, _ = fitted_run
    acc = pd.read_parquet(run_folder / "accuracy-metric-values")
    n_series = fc.history_["unique_id"].nunique()
    for col in ("wql_p10", "wql_p50", "wql_p90", "mean_wql", "wape", "rmse", "mase", "coverage"):
        assert col in acc.columns
    series_rows = acc[acc["level"] == "series"]
    assert len(series_rows) == n_series * 2 * 2  # series x windows x models
    dataset = acc[acc["level"] == "dataset"].set_index("model")
    assert sorted(dataset.index) == ["naive", "seasonal_naive"]
    assert dataset["unique_id"].isna().all()
    assert dataset["cutoff"].isna().all()
    # The dataset row pools every point: 2 * sum pinball / sum |y|, recomputed here from the backtest.
    cv = fc.cv_[fc.cv_["model"] == "naive"]
    diff = cv["y"] - cv["p90"]
    pinball = np.maximum(0.9 * diff, -0.1 * diff).sum()
    np.testing.assert_allclose(dataset.loc["naive", "wql_p90"], 2 * pinball / cv["y"].abs().sum())
    np.testing.assert_allclose(
        series_rows["mean_wql"], series_rows[["wql_p10", "wql_p50", "wql_p90"]].mean(axis=1)
    )
    inside = ((cv["y"] >= cv["p10"]) & (cv["y"] <= cv["p90"])).mean()
    np.testing.assert_allclose(dataset.loc["naive", "coverage"], inside)


def test_summary_has_leaderboard_choices_timings_versions(run_folder, fitted_run):
    fc, _ = fitted_run
    summary = json.loads((run_folder / "summary.json").read_text())
    assert summary["settings"]["h"] == 14
    assert summary["settings"]["quantiles"] == [0.1, 0.5, 0.9]
    assert summary["settings"]["models"] == ["naive", "seasonal_naive"]
    board = {row["model"]: row for row in summary["leaderboard"]}
    assert set(board) == {"naive", "seasonal_naive", "automl"}
    assert board["seasonal_naive"]["relative_wql"] == 1.0
    assert sum(summary["choices"]["counts"].values()) == fc.history_["unique_id"].nunique()
    assert summary["choices"]["by_series"] == dict(
        zip(fc.choices_["unique_id"], fc.choices_["model"], strict=True)
    )
    assert set(summary["timings"]["backtest"]) == {"naive", "seasonal_naive"}
    assert summary["versions"]["pandas"] == pd.__version__
    assert "summary.json" in summary["outputs"]
    assert summary["currency"] == "USD"


def test_csv_twins_hold_the_same_rows(tmp_path, fitted_run):
    fc, forecasts = fitted_run
    out = write_run(tmp_path / "out", fc, forecasts, csv=True, n_plots=0, currency="EUR")
    assert json.loads((out / "summary.json").read_text())["currency"] == "EUR"
    parquet = pd.read_parquet(out / "accuracy-metric-values" / "seasonal_naive.parquet")
    csv = pd.read_csv(out / "accuracy-metric-values" / "seasonal_naive.csv", dtype={"account": str})
    assert len(csv) == len(parquet)
    np.testing.assert_allclose(csv["mean_wql"], parquet["mean_wql"])
    assert (out / "forecasts.csv").is_file()
    assert (out / "forecasted-values" / "naive.csv").is_file()
    assert not (out / "plots").exists()


def test_a_failure_mid_export_leaves_the_earlier_output_intact(tmp_path, fitted_run, monkeypatch):
    fc, forecasts = fitted_run
    out = write_run(tmp_path / "out", fc, forecasts, n_plots=1)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise OSError("disk full while drawing charts")

    monkeypatch.setattr(export, "save_top_fan_charts", broken)
    with pytest.raises(DataError, match="disk full"):  # a clear error, not a traceback, from the CLI
        write_run(out, fc, forecasts.assign(p50=forecasts["p50"] + 1.0), n_plots=1)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left behind


def test_output_folder_safety(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match="not empty and holds no earlier forecast run"):
        check_output_folder(tmp_path)
    with pytest.raises(DataError, match="is a file"):
        check_output_folder(tmp_path / "notes.txt")
    assert check_output_folder(tmp_path / "new") == tmp_path / "new"


def test_accuracy_table_is_empty_without_a_backtest(weekly_frame):
    from forecasting.forecaster import Forecaster

    fc = Forecaster(models=["naive"], n_windows=0).fit(weekly_frame, h=3)
    assert accuracy_table(fc).empty


def test_json_conversion_handles_nan_and_numpy():
    assert json.dumps(to_json({"x": [np.nan, np.int64(3), pd.NaT]})) == '{"x": [null, 3, null]}'
