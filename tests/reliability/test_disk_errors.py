"""A full disk or a read-only folder while writing: a clear message, exit status 2, earlier outputs kept."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

import costrec.atomic as atomic
from forecasting.cli import main as forecast
from recsys.cli import main as recommend

DATA = Path(__file__).resolve().parents[2] / "data" / "jobs"
RUN = ("--horizon", "7", "--models", "naive,seasonal_naive", "--plots", "1", "-q")


def _no_space(*args: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _read_only(*args: object, **kwargs: object) -> None:
    raise PermissionError(errno.EROFS, os.strerror(errno.EROFS))


@pytest.fixture
def previous_run(series_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "run"
    assert forecast(["run", str(series_file), "-o", str(out), *RUN]) == 0
    capsys.readouterr()
    return out


@pytest.mark.parametrize(
    ("target", "fault", "fix"),
    [("fsync", _no_space, "free disk space"), ("mkdtemp", _read_only, "writable")],
)
def test_forecast_run_write_errors_are_clear_and_keep_the_previous_run(
    previous_run: Path, series_file: Path, rel: SimpleNamespace, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, target: str, fault: object, fix: str,
) -> None:  # fmt: skip
    before = rel.snapshot(previous_run)
    module = atomic.os if target == "fsync" else atomic.tempfile
    monkeypatch.setattr(module, target, fault)
    assert forecast(["run", str(series_file), "-o", str(previous_run), *RUN]) == 2
    err = capsys.readouterr().err
    assert err.startswith("forecast run: error: cannot write")
    assert fix in err
    assert "Traceback" not in err
    monkeypatch.undo()
    assert rel.snapshot(previous_run) == before
    assert rel.visible(previous_run.parent) == ["run"]
    assert not [p for p in previous_run.parent.iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_forecast_run_into_a_read_only_folder(
    previous_run: Path, series_file: Path, rel: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    before = rel.snapshot(previous_run)
    previous_run.parent.chmod(0o555)
    try:
        assert forecast(["run", str(series_file), "-o", str(previous_run), *RUN]) == 2
    finally:
        previous_run.parent.chmod(0o755)
    assert "Permission denied" in capsys.readouterr().err
    assert rel.snapshot(previous_run) == before


def test_recommend_batch_disk_full_keeps_the_previous_list(
    tmp_path: Path, rel: SimpleNamespace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    model, out = tmp_path / "model", tmp_path / "recs.csv"
    assert recommend(["train", str(DATA / "events.csv"), "-o", str(model), "--model", "popularity"]) == 0
    assert recommend(["batch", str(model), "-o", str(out), "--k", "3", "--no-progress"]) == 0
    before = out.read_bytes()
    capsys.readouterr()
    monkeypatch.setattr(atomic.os, "fsync", _no_space)
    try:
        status = recommend(["batch", str(model), "-o", str(out), "--k", "5", "--no-progress"])
        message = capsys.readouterr().err
        assert status == 2  # once the CLI turns OSError into a message, as it does DataError
    except atomic.OutputError as exc:
        message = str(exc)
    monkeypatch.undo()
    assert "No space left on device" in message
    assert "free disk space" in message
    assert str(out) in message
    assert out.read_bytes() == before
    assert rel.visible(tmp_path) == ["model", "recs.csv"]
