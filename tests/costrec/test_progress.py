"""progress_enabled: bars only on a terminal (or in a notebook), never when turned off."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from costrec.progress import progress_enabled


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_flag_and_terminal_decide() -> None:
    assert progress_enabled(True, stream=_Terminal()) is True
    assert progress_enabled(None, stream=_Terminal()) is True
    assert progress_enabled(False, stream=_Terminal()) is False  # --no-progress wins on a terminal
    assert progress_enabled(True, stream=io.StringIO()) is False  # a log file or a pipe
    closed = io.StringIO()
    closed.close()
    assert progress_enabled(True, stream=closed) is False


def test_forecast_prepare_draws_no_bar_into_a_pipe(tmp_path: Path, capsys, monkeypatch) -> None:
    from forecasting.cli import main

    bills = Path(__file__).resolve().parents[2] / "data" / "bills" / "cur_legacy.csv.gz"
    assert main(["prepare", str(bills), "-o", str(tmp_path / "a.parquet")]) == 0
    assert "scan" not in capsys.readouterr().err  # stderr is captured: not a terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["prepare", str(bills), "-o", str(tmp_path / "b.parquet")]) == 0
    assert "scan: 100%" in capsys.readouterr().err  # the same run on a terminal draws it
    assert main(["prepare", str(bills), "-o", str(tmp_path / "c.parquet"), "--no-progress"]) == 0
    assert "scan" not in capsys.readouterr().err


@pytest.mark.parametrize("tty", [False, True])
def test_recommend_train_bars_follow_the_terminal(tmp_path: Path, capsys, monkeypatch, tty: bool) -> None:
    from recsys.cli import main
    from recsys.synthetic import JobBoardConfig, generate_job_board, write_job_board

    cfg = JobBoardConfig(n_users=60, n_jobs=30, n_days=10, seed=1)
    board = write_job_board(generate_job_board(cfg), tmp_path / "jobs", cfg)
    capsys.readouterr()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    args = ["train", str(board / "events.csv"), "--model", "popularity", "-o", str(tmp_path / "m")]
    assert main(args) == 0
    assert ("candidates:" in capsys.readouterr().err) is tty


def test_progress_forces_bars_into_a_pipe_and_no_progress_wins_everywhere(tmp_path: Path, capsys) -> None:
    from forecasting.cli import main

    bills = Path(__file__).resolve().parents[2] / "data" / "bills" / "cur_legacy.csv.gz"
    assert main(["prepare", str(bills), "-o", str(tmp_path / "a.parquet"), "--progress"]) == 0
    assert "scan: 100%" in capsys.readouterr().err  # stderr is captured, not a terminal
    with pytest.raises(SystemExit):
        main(["prepare", str(bills), "-o", str(tmp_path / "b.parquet"), "--progress", "--no-progress"])
    assert "not allowed with argument" in capsys.readouterr().err
    assert progress_enabled(True) is False  # the force ends with the command
