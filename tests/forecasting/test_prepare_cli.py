"""``forecast prepare``: output files, the printed reconciliation, errors, and the shared option parser."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from forecasting import DataError, DataWarning, load_series, prepare_series
from forecasting.cli import main
from forecasting.commands.prepare import add_prepare_arguments, prepare_from_args


def test_cli_writes_parquet_or_csv_and_prints_the_reconciliation(
    tmp_path: Path, sample_bills_dir: Path, capsys
) -> None:
    out = tmp_path / "out" / "series.parquet"
    report = tmp_path / "out" / "report.json"
    assert main(["prepare", str(sample_bills_dir / "cur2"), "-o", str(out), "--report", str(report)]) == 0
    printed = capsys.readouterr().out
    assert "balanced" in printed
    assert "skipped" in printed
    assert "Manifest.json: manifest" in printed
    written = pd.read_parquet(out)
    assert list(written.columns) == ["unique_id", "ds", "y", "service", "account"]
    assert json.loads(report.read_text())["balanced"] is True
    csv_out = tmp_path / "series.csv"
    args = ["prepare", str(sample_bills_dir / "focus.csv.gz"), "-o", str(csv_out), "--dims", "service"]
    assert main(args) == 0
    assert pd.read_csv(csv_out)["y"].sum() == pytest.approx(written["y"].sum())


def test_cli_reports_errors_and_keeps_the_previous_output(tmp_path: Path, cur_csv, usage, capsys) -> None:
    good = cur_csv([usage("2024-01-01", 1), usage("2024-01-02", 2)], name="good.csv")
    out = tmp_path / "series.parquet"
    assert main(["prepare", str(good), "-o", str(out)]) == 0
    before = out.read_bytes()
    bad = tmp_path / "bad.csv"
    shutil.copy(good, bad)
    bad.write_text(bad.read_text().replace("2024-01-02T00:00:00Z", "yesterday", 1))
    assert main(["prepare", str(bad), "-o", str(out)]) == 2
    assert "forecast prepare: error:" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "good.csv", "series.parquet"]


def test_embedding_commands_share_the_options(sample_bills_dir: Path) -> None:
    """``forecast run`` adds these options to its own parser, with its own help for --freq/--currency."""
    parser = argparse.ArgumentParser()
    add_prepare_arguments(parser, freq_help="the embedding command's own help")
    assert "the embedding command's own help" in parser.format_help()
    with pytest.raises(argparse.ArgumentError, match="conflicting"):
        parser.add_argument("--freq")  # each flag is defined once
    args = parser.parse_args(["--dims", "account", "--measure", "amortized", "--freq", "M"])
    result = prepare_from_args(sample_bills_dir / "focus.csv.gz", args)
    assert result.freq == "MS"
    assert list(result.series.columns) == ["unique_id", "ds", "y", "account"]
    assert result.report.measure == "amortized"


def test_cli_blended_on_focus_is_a_one_line_error_and_writes_nothing(
    tmp_path: Path, sample_bills_dir: Path, capsys
) -> None:
    out = tmp_path / "series.parquet"
    args = ["prepare", str(sample_bills_dir / "focus.csv.gz"), "-o", str(out), "--measure", "blended"]
    assert main([*args, "--report", str(tmp_path / "report.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "a FOCUS 1.0 export has no blended cost" in err
    assert "billed (BilledCost); amortized, effective (EffectiveCost)" in err
    assert list(tmp_path.iterdir()) == []


def test_cli_help_lists_blended_and_the_focus_versions(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["prepare", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "blended: blended cost" in text
    assert "lineItem/BlendedCost" in text
    assert "FOCUS 1.0 to 1.3" in text


def test_an_export_of_only_refunds_and_credits_is_an_error_naming_them_and_the_fix(
    tmp_path: Path, cur_csv, usage, capsys
) -> None:
    """Nothing usage-like: exit 2 with what was found and `--charges all`, for prepare and run alike."""
    bill = cur_csv([usage("2024-01-01", -5.25, type="Refund"), usage("2024-01-02", -1.5, type="Credit")])
    out = tmp_path / "series.parquet"
    assert main(["prepare", str(bill), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "found only Refund (1 line items, -5.25 USD), Credit (1 line items, -1.50 USD)" in err
    assert "input total -6.75 USD" in err
    assert "--charges all" in err
    assert not out.exists()
    assert main(["run", str(bill), "-o", str(tmp_path / "run"), "--horizon", "1"]) == 2
    assert "--charges all" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
    # The library says it in Python terms; with the fix applied the credits are a (negative) series.
    # prepare_series still returns the reconciliation; what needs series says why there are none.
    result = prepare_series(bill)
    assert (len(result.series), float(result.report.input_total)) == (0, -6.75)
    with pytest.raises(DataError, match=r"pass charges='all'"):
        load_series(bill)
    assert prepare_series(bill, charges="all").series["y"].sum() == pytest.approx(-6.75)


def test_an_export_shorter_than_one_complete_period_is_an_error_saying_so(
    tmp_path: Path, cur_csv, usage
) -> None:
    half_day = usage("2024-03-01", 2.5, end="2024-03-01T12:00:00Z")
    bill = cur_csv([half_day])
    with pytest.warns(DataWarning, match="partial"):
        assert len(prepare_series(bill).series) == 0
    message = (
        r"the 1 selected line items fall after the last complete D period \(the partial period 2024-03-01\)"
    )
    with pytest.warns(DataWarning, match="partial"), pytest.raises(DataError, match=message):
        load_series(bill)
