"""The Dask engine of ``forecast run``: same forecasts as the local engine, even when a worker dies."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed")

from distributed import Client  # noqa: E402

from costrec.engine import dask_client  # noqa: E402
from forecasting.cli import main  # noqa: E402
from forecasting.distributed import WORKER_MODULES, DaskScanner  # noqa: E402
from forecasting.forecaster import Forecaster  # noqa: E402
from forecasting.models import make_model  # noqa: E402
from forecasting.prepare import prepare_series  # noqa: E402
from forecasting.runner import Runner, use_executor  # noqa: E402

# Cheap per-series models, spread over the workers.
MODELS = ["naive", "seasonal_naive", "theta"]
# The workers run the same code on the same inputs; only BLAS threading may differ in the last bits.
RTOL = 1e-9


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with dask_client(n_workers=2, preload=WORKER_MODULES) as c:
        yield c


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    """16 daily cost series of 120 days: weekly cycle, trend, noise and a level per series, seeded."""
    rng = np.random.default_rng(3)
    t = np.arange(120)
    frames = [
        pd.DataFrame(
            {
                "unique_id": f"svc{i:02d}",
                "ds": pd.date_range("2024-01-01", periods=t.size, freq="D"),
                "y": 20.0 * (i + 1)
                + 0.05 * i * t
                + 5.0 * np.sin(2 * np.pi * t / 7 + i)
                + rng.normal(0, 2.0, t.size),
            }
        )
        for i in range(16)
    ]
    return pd.concat(frames, ignore_index=True)


def _forecast(history: pd.DataFrame, models: list, n_windows: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    fc = Forecaster(models=models, n_windows=n_windows, n_jobs=1).fit(history, h=14)
    return fc.predict(14), fc.cv_


def _with_lgbm() -> list:
    # The per-series models go to the workers; the global LightGBM (kept small) fits once, here.
    return [*MODELS, make_model("lgbm", n_estimators=20)]


@pytest.fixture(scope="module")
def local(history: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _forecast(history, _with_lgbm(), n_windows=2)


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=RTOL, atol=1e-9)


def test_dask_engine_gives_the_local_forecasts(client, history, local):
    executor = client.get_executor(pure=False)
    with use_executor(executor, chunk_size=5):
        assert Runner().executor is executor
        final, cv = _forecast(history, _with_lgbm(), n_windows=2)
    assert Runner().executor is None  # only inside the block
    _same(final, local[0])
    _same(cv, local[1])
    assert set(cv["model"]) == {*MODELS, "lgbm"}
    assert final["unique_id"].nunique() == 16


def test_cli_runs_on_a_scheduler_address(client, history, tmp_path, capsys):
    path = tmp_path / "series.parquet"
    history.to_parquet(path)
    out = tmp_path / "out"
    address = client.scheduler.address
    code = main(
        ["run", str(path), "-o", str(out), "--horizon", "14", "--backtest-windows", "1",
         "--models", ",".join(MODELS), "--plots", "0", "--engine", "dask", "--scheduler", address]
    )  # fmt: skip
    assert code == 0
    assert address in capsys.readouterr().err
    written = pd.read_parquet(out / "forecasts.parquet")
    want = _forecast(history, MODELS)[0]
    _same(written[want.columns.tolist()].astype({"unique_id": want["unique_id"].dtype}), want)
    assert json.loads((out / "summary.json").read_text())["engine"] == f"dask ({address})"


def test_scheduler_needs_the_dask_engine(tmp_path, capsys):
    code = main(["run", "x.parquet", "-o", str(tmp_path / "o"), "--horizon", "3", "--scheduler", "tcp://h:1"])
    assert code == 2
    assert "--engine dask" in capsys.readouterr().err


@pytest.mark.parametrize("dims", ["service,account", "region,tag:team"])
def test_prepare_scans_groups_of_parts_on_the_workers(client, sample_bills_dir, dims):
    source = sample_bills_dir / "cur2"
    options = {"dims": dims, "measure": "amortized", "charges": "all"}
    want = prepare_series(source, **options)
    got = prepare_series(source, **options, scanner=DaskScanner(client, groups=5))
    pd.testing.assert_frame_equal(got.series, want.series)  # sums are exact decimals: no tolerance
    assert len(want.report.files_read) > 5
    timing = {"seconds", "rows_per_second"}
    a, b = ({k: v for k, v in r.report.to_dict().items() if k not in timing} for r in (got, want))
    assert a == b


def test_prepare_cli_on_a_scheduler_address(client, sample_bills_dir, tmp_path):
    local, remote = tmp_path / "local.parquet", tmp_path / "dask.parquet"
    source = str(sample_bills_dir / "cur2")
    assert main(["prepare", source, "-o", str(local), "--no-progress"]) == 0
    address = client.scheduler.address
    assert main(["prepare", source, "-o", str(remote), "--engine", "dask", "--scheduler", address]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(remote), pd.read_parquet(local))


def _kill_busy_worker(client: Client, pids: dict[str, int], killed: list[int], stop: threading.Event) -> None:
    """SIGKILL the first worker seen with a task in flight (a real crash: no clean shutdown)."""
    while not stop.is_set():
        busy = [w for w, keys in client.processing().items() if keys and w in pids]
        if busy:
            os.kill(pids[busy[0]], signal.SIGKILL)
            killed.append(pids[busy[0]])
            return
        time.sleep(0.02)


def test_a_killed_worker_is_replaced_and_the_output_is_complete(client, history):
    # ETS fits take a few tenths of a second per chunk of two series: tasks are in flight when the
    # worker dies, and the scheduler must run them again elsewhere. The reference runs the same chunks
    # here, one after the other (ETS seeds its simulated paths once per chunk).
    some = history[history["unique_id"] < "svc10"]
    with ThreadPoolExecutor(1) as here, use_executor(here, chunk_size=2):
        want = _forecast(some, ["ets"])
    pids = client.run(os.getpid)
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_busy_worker, args=(client, pids, killed, stop), daemon=True)
    # Chunks of two series: many small tasks, so some are always in flight when the worker dies.
    with use_executor(client.get_executor(pure=False), chunk_size=2):
        killer.start()
        try:
            final, cv = _forecast(some, ["ets"])
        finally:
            stop.set()
            killer.join()
    assert len(killed) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(killed[0], 0)
    _same(final, want[0])
    _same(cv, want[1])
