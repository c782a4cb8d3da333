"""Fit and predict one model over many series: in chunks, optionally in worker processes, with progress.

Chunks run in this process, in a shared pool of worker processes, or on any ``concurrent.futures``
executor given to :func:`use_executor` (a Dask cluster's, for ``forecast run --engine dask``).
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import logging
import math
import multiprocessing
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from costrec.engine import usable_cores
from costrec.progress import progress_enabled
from forecasting.errors import DataWarning
from forecasting.models.base import ForecastModel

__all__ = ["Task", "Result", "Runner", "is_global", "auto_jobs", "use_executor", "run_task", "CHUNK_SIZE"]

log = logging.getLogger(__name__)

# Series per task for per-series models: small enough for a smooth progress bar and balanced workers,
# large enough that the per-task overhead (pickling a frame, building a model) stays negligible.
CHUNK_SIZE = 50
# Below this many series the worker start-up (a second or two) costs more than it saves.
MIN_SERIES_FOR_PROCESSES = 200


def is_global(model: object) -> bool:
    """Whether a model learns across series (one fit on all of them) rather than series by series.

    A model declares it with a class attribute ``is_global``. A per-series model (``is_global = False``)
    gives the same forecast for a series whatever other series it is fitted with, so it is run in
    chunks (a progress bar that moves, work spread over processes). A model that does not declare it is
    treated as global, which is always correct, only coarser.
    """
    return bool(getattr(model, "is_global", True))


def auto_jobs(n_series: int) -> int:
    """Worker processes worth starting for ``n_series`` series: all cores for large batches, else 1."""
    if n_series < MIN_SERIES_FOR_PROCESSES:
        return 1
    return min(usable_cores(), 8)


@dataclass(frozen=True)
class Task:
    """Fit a copy of ``model`` on ``df`` and forecast ``h`` steps."""

    name: str
    model: ForecastModel
    df: pd.DataFrame
    h: int
    quantiles: tuple[float, ...]
    freq: str
    season_length: int

    @property
    def n_series(self) -> int:
        """Number of series in the task."""
        return int(self.df["unique_id"].nunique())


@dataclass(frozen=True)
class Result:
    """The forecast of a task, or the error that stopped it, and the time it took."""

    forecast: pd.DataFrame | None
    error: str | None
    seconds: float


def run_task(task: Task) -> Result:
    """Fit and predict; a model error is returned, not raised, so one bad chunk never stops the batch."""
    start = time.perf_counter()
    try:
        model = copy.deepcopy(task.model)
        model.fit(task.df, freq=task.freq, season_length=task.season_length)
        out = model.predict(task.h, task.quantiles)
    except Exception as exc:  # any model failure is reported and the batch goes on
        return Result(None, f"{type(exc).__name__}: {exc}", time.perf_counter() - start)
    return Result(out, None, time.perf_counter() - start)


def _init_worker() -> None:
    # One BLAS thread per worker: the processes already use every core.
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


# One pool per process, reused by every Runner: starting workers costs seconds (they import pandas,
# statsmodels and the models), far more than a backtest window of a few hundred series.
_POOLS: dict[int, ProcessPoolExecutor] = {}


def _context() -> multiprocessing.context.BaseContext:
    """How worker processes start.

    On Linux they fork: they begin with pandas, statsmodels and the models already imported, which a
    fresh interpreter takes 5 to 25 seconds to do. Workers run only per-series models (statsmodels and
    numpy, no OpenMP), so the one known hazard of forking a process that used LightGBM's OpenMP pool does
    not arise. Elsewhere (macOS, where fork is unsafe, and Windows) a forkserver or spawn is used, with
    the models preloaded once.
    """
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(["forecasting.runner", "forecasting.models"])
    return context


def _shared_pool(n_jobs: int) -> ProcessPoolExecutor:
    if n_jobs not in _POOLS:
        for old in _POOLS.values():
            old.shutdown(wait=True, cancel_futures=True)
        _POOLS.clear()
        _POOLS[n_jobs] = ProcessPoolExecutor(n_jobs, mp_context=_context(), initializer=_init_worker)
    return _POOLS[n_jobs]


@dataclass(frozen=True)
class _Remote:
    executor: Executor
    chunk_size: int


_REMOTE: contextvars.ContextVar[_Remote | None] = contextvars.ContextVar("forecasting_executor", default=None)


@contextlib.contextmanager
def use_executor(executor: Executor, chunk_size: int = CHUNK_SIZE) -> Iterator[None]:
    """Run the per-series models of every :class:`Runner` made in the block on ``executor``.

    The series go out in chunks of ``chunk_size``; global models (LightGBM) still fit once, here. This is
    how a :class:`~forecasting.forecaster.Forecaster` runs on a Dask cluster::

        with use_executor(client.get_executor(pure=False)):
            Forecaster(...).fit(df, h=28).predict(28)

    Args:
        executor: Any ``concurrent.futures.Executor``; its tasks are :func:`run_task` calls, pure
            functions of their arguments, so an executor may run one again (Dask does when a worker dies).
        chunk_size: Series per task.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive number of series; got {chunk_size!r}")
    token = _REMOTE.set(_Remote(executor, int(chunk_size)))
    try:
        yield
    finally:
        _REMOTE.reset(token)


def chunk_frame(df: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    """Split a frame sorted by ``unique_id`` into frames of at most ``size`` whole series."""
    codes, _ = pd.factorize(df["unique_id"])
    n = int(codes.max()) + 1 if len(codes) else 0
    bounds = np.searchsorted(codes, np.arange(0, n, size))
    bounds = np.r_[bounds, len(codes)]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        yield df.iloc[a:b]


class Runner:
    """Runs tasks in order, in this process or in a pool of worker processes, with one progress bar.

    Args:
        n_jobs: Worker processes for per-series models; 1 runs everything here. Not used when an
            executor is set.
        show_progress: Show a tqdm bar (counted in series) for each call of :meth:`run`.
        executor: Run per-series chunks on this executor instead; defaults to the one set by
            :func:`use_executor`, if any.
        chunk_size: Series per task on the executor (default: that of :func:`use_executor`, else
            ``CHUNK_SIZE``).
    """

    def __init__(
        self,
        n_jobs: int = 1,
        show_progress: bool = False,
        executor: Executor | None = None,
        chunk_size: int | None = None,
    ) -> None:
        self.n_jobs = n_jobs
        self.show_progress = show_progress
        remote = _REMOTE.get()
        self.executor = executor if executor is not None else remote.executor if remote else None
        self.chunk_size = chunk_size or (remote.chunk_size if remote else CHUNK_SIZE)

    def run(
        self, name: str, model: ForecastModel, df: pd.DataFrame, h: int, settings: dict[str, Any]
    ) -> Result:
        """Forecast every series of ``df`` with ``model``; failed chunks are left out with a warning.

        Args:
            name: The model's name, for messages.
            model: An unfitted model (copied for every task).
            df: The training frame, sorted by ``unique_id, ds``.
            h: Horizon.
            settings: ``quantiles``, ``freq`` and ``season_length``.

        Returns:
            The concatenated forecasts (``None`` when every chunk failed), the first error if any, and the
            wall time.
        """
        start = time.perf_counter()
        n_series = int(df["unique_id"].nunique())
        local = not is_global(model)
        if not local:
            size = max(n_series, 1)
        elif self.executor is not None:
            size = self.chunk_size
        else:
            size = max(1, min(CHUNK_SIZE, math.ceil(n_series / max(self.n_jobs, 1))))
        tasks = [Task(name, model, part, h, **settings) for part in chunk_frame(df, size)]
        bar = tqdm(
            total=n_series,
            desc=name,
            unit="series",
            disable=not progress_enabled(self.show_progress),
            leave=False,
        )
        results: list[Result] = []
        try:
            pool: Executor | None = None
            if local and self.executor is not None:
                pool = self.executor
            elif local and self.n_jobs > 1 and len(tasks) > 1:
                pool = _shared_pool(self.n_jobs)
            if pool is not None:
                futures: list[Future[Result]] = [pool.submit(run_task, t) for t in tasks]
                for task, fut in zip(tasks, futures, strict=True):
                    results.append(fut.result())
                    bar.update(task.n_series)
            else:
                for task in tasks:
                    results.append(run_task(task))
                    bar.update(task.n_series)
        finally:
            bar.close()
        return self._combine(name, tasks, results, time.perf_counter() - start)

    @staticmethod
    def _combine(name: str, tasks: Sequence[Task], results: Sequence[Result], seconds: float) -> Result:
        errors = [(t, r.error) for t, r in zip(tasks, results, strict=True) if r.error is not None]
        if errors:
            n_failed = sum(t.n_series for t, _ in errors)
            warnings.warn(
                f"model {name!r} failed on {n_failed} series (first error: {errors[0][1]}); "
                "those series are forecast by the other models",
                DataWarning,
                stacklevel=3,
            )
        frames = [r.forecast for r in results if r.forecast is not None]
        forecast = pd.concat(frames, ignore_index=True) if frames else None
        return Result(forecast, errors[0][1] if errors else None, seconds)
