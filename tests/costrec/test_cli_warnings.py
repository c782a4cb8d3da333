"""Command-line warnings: one line naming the command, each message once, no source line."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from costrec.cli_warnings import format_warning, one_line_warnings

REPO = Path(__file__).resolve().parents[2]


def test_format_is_one_line_and_each_message_prints_once() -> None:
    original = warnings.formatwarning
    with one_line_warnings("recommend train"):
        first = warnings.formatwarning("3 users have\nno history", UserWarning, "/x/recsys/a.py", 12, "src")
        again = warnings.formatwarning("3 users have\nno history", UserWarning, "/x/recsys/b.py", 40, None)
        other = warnings.formatwarning("another", RuntimeWarning, "/x/recsys/a.py", 12, None)
    assert first == "recommend train: warning: 3 users have no history\n"
    assert again == ""  # the same message from a second place is not printed twice
    assert other == "recommend train: warning: another\n"
    assert warnings.formatwarning is original  # restored after the block
    assert format_warning("forecast run", "x") == "forecast run: warning: x"


def test_recorded_warnings_still_reach_their_recorder() -> None:
    with one_line_warnings("forecast run"), pytest.warns(UserWarning, match="kept"):
        warnings.warn("kept", UserWarning, stacklevel=1)


def test_forecast_prepare_prints_the_partial_day_warning_once(tmp_path: Path) -> None:
    # The user's case: the real CUR ends mid-day; the warning came out twice, once with
    # "prepare.py:151: DataWarning:" and the internal source line, once in the summary.
    bill = REPO / "data" / "real_bills" / "aws_cur_legacy_anonymized_sample_2023-11.csv.gz"
    out = tmp_path / "s.parquet"
    cmd = [sys.executable, "-m", "forecasting", "prepare", str(bill), "-o", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "forecast prepare: warning: the last D period 2023-11-14 is partial (the export ends at "
        "2023-11-14 04:00:00 UTC); it was dropped, see 'after last period' in the reconciliation"
    ]
    assert "partial (the export" not in done.stdout
    assert "after last period" in done.stdout  # the reconciliation itself is still printed
