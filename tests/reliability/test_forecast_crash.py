"""``forecast run`` killed mid-write leaves the previous run intact; two processes forecast identically.

Determinism: the same series and settings give bit-identical tables in two separate processes with the
same thread counts (every model is seeded; LightGBM and the statsmodels fits are deterministic for a
fixed thread count). Different thread counts may change the last bits of BLAS/OpenMP reductions.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from forecasting.lookup import load_run

MODELS = "naive,seasonal_naive,ets,lgbm"
TABLES = ("forecasts.parquet", "history.parquet", "forecasted-values/lgbm.parquet",
          "accuracy-metric-values/ets.parquet")  # fmt: skip


def _args(series: Path, out: Path, horizon: int = 14) -> tuple[str | Path, ...]:
    return ("run", series, "-o", out, "--horizon", str(horizon), "--models", MODELS, "--plots", "1", "-q")


@pytest.fixture(scope="module")
def runs(series_file: Path, tmp_path_factory: pytest.TempPathFactory, rel: SimpleNamespace) -> Path:
    """Two runs of the same command in two processes at once: ``a/`` and ``b/``."""
    root = tmp_path_factory.mktemp("runs")
    procs = [rel.start("forecast", *_args(series_file, root / name)) for name in ("a", "b")]
    for proc in procs:
        rel.finish(proc)
    return root


def test_forecast_run_is_identical_across_processes(runs: Path) -> None:
    for table in TABLES:
        a, b = pd.read_parquet(runs / "a" / table), pd.read_parquet(runs / "b" / table)
        assert len(a) > 0
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_sigkill_at_the_commit_point_and_mid_write_keeps_the_previous_run(
    runs: Path, series_file: Path, rel: SimpleNamespace
) -> None:
    out = runs / "a"
    before = rel.snapshot(out)
    # Kill point 1: the new folder is complete and fsynced, the swap has not happened yet.
    rel.finish(rel.start("forecast", *_args(series_file, out, 7), env={"COSTREC_TEST_KILL_AT": "1"}), -9)
    assert rel.snapshot(out) == before
    assert rel.visible(runs) == ["a", "b"]
    assert len(load_run(out).forecasts) == 3 * 14  # the manifest still matches: readable as before
    # Timed kill: as soon as the temporary folder appears, i.e. while tables are being written.
    proc = rel.start("forecast", *_args(series_file, out, 7))
    killed = False
    while proc.poll() is None:
        if any(p.name.startswith(".tmp-a.") for p in runs.iterdir()):
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.005)
    proc.communicate(timeout=300)
    assert rel.visible(runs) == ["a", "b"]
    if killed:
        assert rel.snapshot(out) == before
    else:  # the process won the race: the new run is complete and consistent instead
        assert proc.returncode == 0
        assert len(load_run(out).forecasts) == 3 * 7
