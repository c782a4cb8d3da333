"""Where batch work runs: in this process (``local``) or on a Dask cluster (``dask``), for all batch commands.

The commands ``forecast prepare``, ``forecast run`` and ``recommend batch`` take ``--engine local|dask`` and
``--scheduler ADDRESS``. The Dask engine connects to the scheduler at ADDRESS or, without one, starts a
``distributed.LocalCluster`` of one single-threaded worker process per core. Dask is an optional
dependency (``pip install 'costrec[dask]'``), imported only when the Dask engine is asked for.

Tasks sent to the cluster are pure functions of their arguments: when a worker dies, the scheduler runs
its tasks again on another worker and the result is the same.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "ENGINES",
    "INSTALL_HINT",
    "add_engine_arguments",
    "check_engine_arguments",
    "dask_client",
    "engine_client",
    "default_workers",
]

log = logging.getLogger(__name__)

ENGINES = ("local", "dask")
INSTALL_HINT = "pip install 'costrec[dask]'"
# Seconds to wait for a remote scheduler before giving up with a clear message.
CONNECT_TIMEOUT = 30
# Dask's own default for its workers' MALLOC_TRIM_THRESHOLD_ (see _default_malloc).
_DASK_MALLOC_DEFAULT = 65536


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system has one, else every core)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def default_workers() -> int:
    """Worker processes of a local cluster: one per core this process may use."""
    return usable_cores()


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--engine local|dask`` and ``--scheduler ADDRESS`` in their own help group."""
    group = parser.add_argument_group("engine")
    group.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="local (default): this process and its worker pool; dask: a Dask cluster, the one at "
        f"--scheduler or else a local cluster of one worker per core (needs {INSTALL_HINT})",
    )
    group.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler to use with --engine dask, e.g. tcp://10.0.0.5:8786 (default: start a local "
        "cluster); the workers need costrec installed and read the input paths themselves",
    )


def check_engine_arguments(args: argparse.Namespace, error: type[Exception]) -> None:
    """Reject ``--scheduler`` without ``--engine dask`` (it would be silently ignored)."""
    if getattr(args, "scheduler", None) and getattr(args, "engine", "local") != "dask":
        raise error(
            f"--scheduler {args.scheduler} is used only by the Dask engine, but --engine is "
            f"{args.engine!r}. Fix: add --engine dask, or drop --scheduler."
        )


def _import_distributed(error: type[Exception]) -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise error(
            f"--engine dask needs the packages dask and distributed, which are not installed ({exc}). "
            f"Fix: {INSTALL_HINT}, or use --engine local."
        ) from exc
    return distributed


@contextlib.contextmanager
def _fast_worker_start(preload: Sequence[str]) -> Iterator[None]:
    """Start local workers from a fork server that has already imported ``preload``.

    A spawned worker imports pandas, statsmodels and the models itself, which takes 5 to 25 seconds;
    forked from a server that did it once, a worker (and one restarted after a crash) starts in well
    under a second. Where there is no fork server (Windows), workers are spawned as usual.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        yield
        return
    import dask
    from distributed.utils import get_mp_context

    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        # The first call sets distributed's own preload list; ours is added to it. Once the fork
        # server runs (an earlier cluster in this process), it keeps the modules it has.
        get_mp_context()
        modules = ["distributed", "pandas", "numpy", *preload]
        multiprocessing.get_context("forkserver").set_forkserver_preload(modules)
        yield


@contextlib.contextmanager
def _default_malloc() -> Iterator[None]:
    """Start local workers with glibc's default malloc tuning, not Dask's ``MALLOC_TRIM_THRESHOLD_``.

    Dask sets that variable in every worker so that freed memory goes back to the system sooner. Setting
    it also turns off glibc's adaptive mmap threshold: every array over 128 KiB is then mapped and
    unmapped again, page by page, which made batch scoring 1.5x slower in a worker than in this process.
    Our workers run one batch job and exit, so speed wins; a value set in this process's environment, or
    in the Dask config, is still honoured.
    """
    import dask

    key = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
    if "MALLOC_TRIM_THRESHOLD_" in os.environ or dask.config.get(key, None) != _DASK_MALLOC_DEFAULT:
        yield
        return
    # None removes the variable (distributed.nanny._get_env_variables skips it).
    with dask.config.set({key: None}):
        yield


@contextlib.contextmanager
def dask_client(
    address: str | None = None,
    *,
    n_workers: int | None = None,
    preload: Sequence[str] = (),
    error: type[Exception] = RuntimeError,
) -> Iterator[Client]:
    """A ``distributed.Client`` of the scheduler at ``address``, or of a new local cluster.

    Args:
        address: Scheduler address (``tcp://host:8786``); ``None`` starts a ``LocalCluster`` of
            ``n_workers`` single-threaded worker processes, closed on exit.
        n_workers: Workers of the local cluster; defaults to the number of cores.
        preload: Modules local workers import before their first task (see ``_fast_worker_start``).
        error: Exception raised with a message that says how to fix it when Dask is not installed or the
            scheduler cannot be reached (the caller's ``DataError``).

    Yields:
        The connected client.
    """
    distributed = _import_distributed(error)
    if address is not None:
        try:
            client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise error(
                f"could not connect to the Dask scheduler at {address!r} within {CONNECT_TIMEOUT} s "
                f"({exc}). Fix: check the address (tcp://HOST:8786) and that the scheduler runs, or drop "
                "--scheduler to use a local cluster."
            ) from exc
        try:
            yield client
        finally:
            client.close()
        return
    workers = n_workers or default_workers()
    with contextlib.ExitStack() as stack:
        # The cluster's start-up and shutdown log a dozen INFO lines per worker; warnings still show.
        quiet = logging.getLogger("distributed")
        stack.callback(quiet.setLevel, quiet.level)
        quiet.setLevel(max(quiet.getEffectiveLevel(), logging.WARNING))
        stack.enter_context(_fast_worker_start(preload))
        stack.enter_context(_default_malloc())
        cluster = stack.enter_context(
            distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                # A random free port: several clusters (or a notebook's) may run at once.
                dashboard_address=":0",
            )
        )
        client = stack.enter_context(distributed.Client(cluster))
        log.info("local Dask cluster of %d workers, dashboard %s", workers, client.dashboard_link)
        yield client


@contextlib.contextmanager
def engine_client(
    args: argparse.Namespace, error: type[Exception], *, preload: Sequence[str] = ()
) -> Iterator[Client | None]:
    """The Dask client the command line asks for, or ``None`` for the local engine.

    Args:
        args: Parsed arguments with ``engine`` and ``scheduler`` (see :func:`add_engine_arguments`).
        error: The command's ``DataError``.
        preload: Modules local workers import once (see :func:`dask_client`).
    """
    check_engine_arguments(args, error)
    if getattr(args, "engine", "local") != "dask":
        yield None
        return
    with dask_client(args.scheduler, preload=preload, error=error) as client:
        if not getattr(args, "quiet", False):
            where = args.scheduler or f"a local cluster of {len(client.scheduler_info()['workers'])} workers"
            print(f"Dask engine: {where}", file=sys.stderr)
        yield client
