"""The engine options shared by the batch commands, and the errors that say how to fix a setup."""

from __future__ import annotations

import argparse
import builtins
import os
import sys

import pytest

from costrec.engine import (
    INSTALL_HINT,
    add_engine_arguments,
    check_engine_arguments,
    dask_client,
    default_workers,
    engine_client,
)


class Problem(ValueError):
    """Stands for a package's DataError."""


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_engine_arguments(parser)
    return parser.parse_args(list(argv))


def test_local_is_the_default_and_dask_takes_an_address():
    assert (_parse().engine, _parse().scheduler) == ("local", None)
    args = _parse("--engine", "dask", "--scheduler", "tcp://10.0.0.5:8786")
    assert (args.engine, args.scheduler) == ("dask", "tcp://10.0.0.5:8786")
    with pytest.raises(SystemExit):
        _parse("--engine", "spark")


def test_a_scheduler_without_the_dask_engine_is_an_error():
    with pytest.raises(Problem, match="--engine dask"):
        check_engine_arguments(_parse("--scheduler", "tcp://h:8786"), Problem)
    check_engine_arguments(_parse("--engine", "dask", "--scheduler", "tcp://h:8786"), Problem)


def test_the_local_engine_needs_no_dask():
    with engine_client(_parse(), Problem) as client:
        assert client is None


def test_missing_dask_says_what_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_distributed(name, *args, **kwargs):
        if name.split(".")[0] in ("dask", "distributed"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    for module in [m for m in sys.modules if m.split(".")[0] in ("dask", "distributed")]:
        monkeypatch.delitem(sys.modules, module)
    hint = INSTALL_HINT.replace("[", r"\[").replace("]", r"\]")
    with pytest.raises(Problem, match=hint), engine_client(_parse("--engine", "dask"), Problem):
        pass


def test_an_unreachable_scheduler_is_reported_with_its_address(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("costrec.engine.CONNECT_TIMEOUT", 0.5)
    # A port nobody listens on: the connection is refused at once.
    with pytest.raises(Problem, match="'tcp://127.0.0.1:9'"), dask_client("tcp://127.0.0.1:9", error=Problem):
        pass


def test_one_local_worker_per_usable_core():
    assert default_workers() == len(os.sched_getaffinity(0))


def test_local_workers_keep_glibc_malloc_defaults(monkeypatch):
    pytest.importorskip("distributed")
    from distributed.nanny import _get_env_variables

    from costrec.engine import _default_malloc

    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    assert "MALLOC_TRIM_THRESHOLD_" in _get_env_variables("distributed.nanny.pre-spawn-environ")
    with _default_malloc():
        env = _get_env_variables("distributed.nanny.pre-spawn-environ")
    # Dask's trim threshold is gone; its thread limits stay (one thread per single-threaded worker).
    assert "MALLOC_TRIM_THRESHOLD_" not in env
    assert env["OMP_NUM_THREADS"] == "1"


def test_a_trim_threshold_the_user_set_is_honoured(monkeypatch):
    pytest.importorskip("distributed")
    from distributed.nanny import _get_env_variables

    from costrec.engine import _default_malloc

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1000000")
    with _default_malloc():
        env = _get_env_variables("distributed.nanny.pre-spawn-environ")
    assert env["MALLOC_TRIM_THRESHOLD_"] == "1000000"
