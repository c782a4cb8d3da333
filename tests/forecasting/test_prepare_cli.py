"""``forecast prepare``: output files, the printed reconciliation, errors, and the shared option parser."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

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
    args = parser.parse_args(["--dims", "account", "--measure", "amortized", "--freq", "M", "--no-progress"])
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
