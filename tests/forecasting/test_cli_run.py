"""forecast run end to end: inputs, flags, outputs, errors with exit status 2."""

from __future__ import annotations

import errno
import json
import re

import numpy as np
import pandas as pd
import pytest

import forecasting.load as load_module
from forecasting.cli import main
from forecasting.commands.run import default_season, parse_quantiles
from forecasting.forecaster import DEFAULT_MODELS


@pytest.fixture
def series_file(tmp_path, bill_series):
    path = tmp_path / "series.parquet"
    bill_series.to_parquet(path)
    return path


def test_run_writes_every_output(series_file, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        ["run", str(series_file), "-o", str(out), "--horizon", "10", "--backtest-windows", "2",
         "--models", "seasonal_naive,naive", "--quantiles", "0.05,0.5,0.95", "--plots", "1", "--csv"]
    )  # fmt: skip
    assert code == 0
    report = capsys.readouterr().out
    assert "backtest leaderboard" in report
    assert "automl" in report
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["backtest_windows"] == 2
    assert summary["settings"]["season_length"] == 7
    assert summary["input"] == str(series_file)
    final = pd.read_parquet(out / "forecasts.parquet")
    assert {"p5", "p50", "p95"} <= set(final.columns)
    assert final.groupby("unique_id").size().eq(10).all()
    assert (out / "forecasts.csv").is_file()
    assert len(list((out / "plots").glob("*.png"))) == 1


def test_csv_input_keeps_account_ids_as_text_with_the_default_models(tmp_path, bill_series):
    path = tmp_path / "series.csv"
    bill_series.to_csv(path, index=False)
    out = tmp_path / "out"
    assert main(["run", str(path), "-o", str(out), "--horizon", "7", "--plots", "0", "-q"]) == 0
    final = pd.read_parquet(out / "forecasts.parquet")
    assert "012345678901" in set(final["account"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["models"] == list(DEFAULT_MODELS)
    assert set(final["model"]) <= set(DEFAULT_MODELS)
    assert (final["p10"] <= final["p50"]).all()
    assert (final["p50"] <= final["p90"]).all()


def test_monthly_series_through_the_cli(tmp_path, long_frame):
    t = np.arange(36)
    df = long_frame({"m": 100 + 20 * np.sin(2 * np.pi * t / 12)}, freq="MS", start="2021-01-01")
    path = tmp_path / "monthly.parquet"
    df.to_parquet(path)
    out = tmp_path / "out"
    code = main(["run", str(path), "-o", str(out), "--horizon", "12", "--freq", "MS", "--plots", "1", "-q"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["season_length"] == 12
    final = pd.read_parquet(out / "forecasts.parquet")
    assert final["ds"].dt.is_month_start.all()
    np.testing.assert_allclose(final["p50"], df["y"].iloc[-12:])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--horizon", "60"], "largest allowed h is 50"),
        (["--horizon", "7", "--models", "naive,prophet"], "unknown model"),
        (["--horizon", "7", "--quantiles", "0.9,0.1"], "increasing"),
        (
            ["--horizon", "7", "--plots", "-1"],
            "--plots takes a number of fan charts, 0 (none) or more; got -1",
        ),
    ],
)
def test_bad_requests_exit_with_status_2_and_a_message(series_file, tmp_path, capsys, extra, message):
    assert main(["run", str(series_file), "-o", str(tmp_path / "out"), *extra]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_missing_input_and_foreign_output_folder(tmp_path, series_file, capsys):
    assert main(["run", str(tmp_path / "nope.parquet"), "-o", str(tmp_path / "o"), "--horizon", "3"]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "thesis.tex").write_text("precious")
    assert main(["run", str(series_file), "-o", str(tmp_path / "home"), "--horizon", "3"]) == 2
    assert (tmp_path / "home" / "thesis.tex").read_text() == "precious"


def test_flag_parsers():
    assert parse_quantiles("10,50,90") == (0.1, 0.5, 0.9)
    assert default_season("h") == 24
    assert default_season("QS-JAN") == 4


def test_run_on_the_raw_sample_bills_goes_through_prepare(sample_bills_dir, tmp_path, capsys):
    """A raw CUR 2.0 export: prepared with the same flags as `forecast prepare`, then forecast."""
    out = tmp_path / "out"
    code = main(
        ["run", str(sample_bills_dir / "cur2"), "-o", str(out), "--horizon", "14", "--dims", "service",
         "--models", "naive,seasonal_naive", "--plots", "1", "-q"]
    )  # fmt: skip
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert "reconciliation" in summary["prepare"]
    assert 0 < summary["timings"]["prepare_seconds"] < summary["timings"]["total_seconds"]
    assert set(summary["timings"]["backtest"]) == {"naive", "seasonal_naive"}
    assert summary["currency"] == "USD"
    final = pd.read_parquet(out / "forecasts.parquet")
    # --dims service: one series per service: ten usage services, AWS Support and the Savings Plan fee.
    assert final["unique_id"].nunique() == final["service"].nunique() == 12
    assert final["ds"].min() == pd.Timestamp("2025-07-01")
    board = {row["model"]: row for row in summary["leaderboard"]}
    assert board["automl"]["mean_wql"] <= board["naive"]["mean_wql"]


def test_anomalies_on_the_raw_sample_bills_find_the_injected_day(sample_bills_dir, tmp_path):
    truth = json.loads((sample_bills_dir / "truth.json").read_text())["anomaly"]
    out = tmp_path / "anomalies.parquet"
    assert main(["anomalies", str(sample_bills_dir / "cur_legacy.csv.gz"), "-o", str(out), "-q"]) == 0
    top = pd.read_parquet(out).iloc[0]
    assert (top["service"], top["account"], str(top["ds"].date())) == (
        truth["service"],
        truth["account"],
        truth["date"],
    )
    assert top["severity"] >= 90


def test_an_os_error_is_a_message_and_status_2(series_file, tmp_path, capsys, monkeypatch):
    """A failing disk or a vanished file ends the run with the system's message, not a traceback."""

    def failing_read(path):
        raise OSError(errno.EIO, "Input/output error", str(path))

    monkeypatch.setattr(load_module, "read_series_table", failing_read)
    assert main(["run", str(series_file), "-o", str(tmp_path / "o"), "--horizon", "3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("forecast run: error:")
    assert "Input/output error" in err
    assert not (tmp_path / "o").exists()


def test_other_column_names_through_flags(tmp_path, long_frame):
    t = np.arange(60)
    df = long_frame({"a": 10 + (t % 7), "b": 20 + (t % 7)}, freq="D", start="2024-01-01")
    theirs = df.rename(columns={"unique_id": "item_id", "ds": "timestamp", "y": "target_value"})
    path = tmp_path / "amazon.csv"
    theirs.to_csv(path, index=False)
    flags = ["--id-col", "item_id", "--time-col", "timestamp", "--target-col", "target_value"]
    out = tmp_path / "out"
    args = ["run", str(path), "-o", str(out), "--horizon", "7", "--models", "seasonal_naive", "-q"]
    assert main([*args, *flags]) == 0
    final = pd.read_parquet(out / "forecasts.parquet")
    assert set(final["unique_id"]) == {"a", "b"}
    expected = df.groupby("unique_id")["y"].apply(lambda y: list(y.iloc[-7:])).to_dict()
    for uid, rows in final.groupby("unique_id"):
        np.testing.assert_allclose(rows.sort_values("ds")["p50"], expected[uid])


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--id-col", "nope"], "no column 'nope' \\(--id-col\\)"),
        (["--target-col", "unique_id"], "both 'unique_id' \\(--target-col\\) and 'y'"),
    ],
)
def test_column_flags_that_do_not_fit_exit_2(series_file, tmp_path, capsys, flags, message):
    args = ["run", str(series_file), "-o", str(tmp_path / "out"), "--horizon", "7", *flags]
    assert main(args) == 2
    assert re.search(message, capsys.readouterr().err)
