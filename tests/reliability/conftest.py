"""Shared helpers of the reliability tests: CLI subprocesses, folder snapshots, a small series file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def start(command: str, *args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``forecast``/``recommend`` with ``args`` in a subprocess, with the machine's thread counts."""
    full = {k: v for k, v in os.environ.items() if k != "COSTREC_TEST_KILL_AT"} | (env or {})
    return subprocess.Popen(
        [str(BIN / command), *map(str, args)],
        cwd=ROOT, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(proc: subprocess.Popen[str], expect: int = 0) -> str:
    """Wait for a CLI subprocess and check its exit status; its stderr is returned."""
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == expect, f"exit {proc.returncode}, expected {expect}\n{out}\n{err}"
    return err


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` (or the file itself) with its bytes."""
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def visible(folder: Path) -> list[str]:
    """Entries of a folder a reader would take: everything but hidden temporary siblings."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


@pytest.fixture(scope="session")
def series_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three noisy daily series with a weekly cycle, 120 days, as CSV (ids with leading zeros)."""
    rng = np.random.default_rng(3)
    t = np.arange(120)
    parts = [
        pd.DataFrame({
            "unique_id": f"0{i}", "ds": pd.date_range("2024-01-01", periods=120).strftime("%Y-%m-%d"),
            "y": 50.0 + 10 * i + 0.1 * t + 6 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, t.size),
        })
        for i in range(3)
    ]  # fmt: skip
    path = tmp_path_factory.mktemp("series") / "series.csv"
    pd.concat(parts).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def rel() -> SimpleNamespace:
    """The helpers above (test modules cannot import each other or this file)."""
    return SimpleNamespace(start=start, finish=finish, snapshot=snapshot, visible=visible, ROOT=ROOT)
