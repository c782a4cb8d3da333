"""forecast lookup: filters by service, account, id and dates; the table; the fan chart."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from forecasting import DataError
from forecasting.cli import main
from forecasting.lookup import load_run, lookup, match_series


def test_service_filter_ignores_case_and_falls_back_to_substrings(run_folder):
    run = load_run(run_folder)
    exact = lookup(run, service="aws lambda")
    assert set(exact["service"]) == {"AWS Lambda"}
    assert exact["unique_id"].nunique() == 3
    partial = lookup(run, service="compute")
    assert set(partial["service"]) == {"Amazon Elastic Compute Cloud"}


def test_filters_combine_and_dates_are_inclusive(run_folder):
    run = load_run(run_folder)
    first = run.forecasts["ds"].min()
    rows = lookup(
        run,
        service="AWS Lambda",
        account="012345678901",
        start=str((first + pd.Timedelta(days=2)).date()),
        end=str((first + pd.Timedelta(days=4)).date()),
    )
    assert rows["unique_id"].unique().tolist() == ["AWS Lambda|012345678901"]
    assert rows["ds"].tolist() == list(pd.date_range(first + pd.Timedelta(days=2), periods=3))
    by_id = lookup(run, unique_id="AWS Lambda|012345678901")
    assert len(by_id) == 14


def test_no_match_lists_what_the_run_holds(run_folder):
    run = load_run(run_folder)
    with pytest.raises(DataError, match="no series matches service 'bedrock'.*AWS Lambda"):
        match_series(run.forecasts, service="bedrock")
    with pytest.raises(DataError, match="no series has id 'x'"):
        match_series(run.forecasts, unique_id="x")
    with pytest.raises(DataError, match="all the filters together"):
        lookup(run, service="AWS Lambda", unique_id="Amazon Elastic Compute Cloud|012345678901")
    with pytest.raises(DataError, match="not a date"):
        lookup(run, start="first of july")
    with pytest.raises(DataError, match="no forecast between"):
        lookup(run, start="1999-01-01", end="1999-02-01")


def test_a_folder_that_is_not_a_run_is_refused(tmp_path):
    with pytest.raises(DataError, match="not a forecast run folder"):
        load_run(tmp_path)


def test_cli_prints_the_table_and_writes_a_chart(run_folder, tmp_path, capsys):
    chart = tmp_path / "charts" / "lambda.png"
    code = main(
        ["lookup", str(run_folder), "--service", "lambda", "--to", "2099-01-01", "--plot", str(chart)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "AWS Lambda|555566667777" in out
    run = load_run(run_folder)
    total = run.forecasts.loc[run.forecasts["service"] == "AWS Lambda", "mean"].sum()
    assert f"3 series, 42 rows; expected total (sum of mean): {total:,.2f} USD" in out
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert chart.stat().st_size > 10_000


def test_cli_reports_a_bad_filter_with_exit_status_2(run_folder, capsys):
    assert main(["lookup", str(run_folder), "--account", "999"]) == 2
    assert "no series matches account '999'" in capsys.readouterr().err


def test_a_tampered_run_folder_is_refused(run_folder, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(run_folder, copy)
    load_run(copy)  # intact: the hashes match
    forecasts = pd.read_parquet(copy / "forecasts.parquet")
    forecasts.assign(p50=forecasts["p50"] * 2).to_parquet(copy / "forecasts.parquet", index=False)
    with pytest.raises(DataError, match=r"modified after `forecast run`.*forecasts\.parquet"):
        load_run(copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(DataError, match="no manifest.json"):
        load_run(copy)


def test_sub_dollar_rows_keep_their_digits_and_both_totals_are_named() -> None:
    from forecasting.commands.lookup import format_table

    rows = pd.DataFrame(
        {
            "unique_id": ["kms"] * 2,
            "ds": pd.to_datetime(["2025-07-01", "2025-07-02"]),
            "p10": [0.0311, 0.0311],
            "p50": [0.0333, 0.0333],
            "p90": [0.0355, 0.0355],
            "mean": [0.0333, 0.0334],
        }
    )
    text = format_table(rows, "USD")
    assert "0.0333" in text
    assert "0.00 " not in text
    assert text.endswith("expected total (sum of mean): 0.0667 USD; sum of p50: 0.0666 USD")
