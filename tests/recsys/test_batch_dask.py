"""``recommend batch --engine dask``: user partitions scored on a cluster give the local output exactly."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("distributed")

from distributed import Client  # noqa: E402

from costrec.engine import dask_client  # noqa: E402
from recsys.cli import main  # noqa: E402
from recsys.dataset import Dataset  # noqa: E402
from recsys.distributed import WORKER_MODULES, partition_users, recommend_on_cluster  # noqa: E402
from recsys.filters import Filters  # noqa: E402
from recsys.store import load_model, save_model  # noqa: E402


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with dask_client(n_workers=2, preload=WORKER_MODULES) as c:
        yield c


@pytest.fixture(scope="module")
def model_dir(dataset: Dataset, new_model, tmp_path_factory) -> Path:
    # The hybrid scores users in batches of 512: the 900 users of the board make two partitions.
    return save_model(new_model("hybrid").fit(dataset), tmp_path_factory.mktemp("m") / "hybrid")


def test_local_workers_run_without_dask_malloc_trim_threshold(client):
    # A fixed trim threshold turns off glibc's adaptive mmap threshold and slowed scoring 1.5x.
    env = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert set(env.values()) == {None}


@given(n=st.integers(0, 60), batch=st.integers(1, 9), parts=st.integers(1, 8))
def test_partitions_are_whole_batches_in_order(n, batch, parts):
    ids = [f"u{i}" for i in range(n)]
    got = partition_users(ids, batch, parts)
    assert [u for p in got for u in p] == ids
    assert len(got) <= parts
    assert all(len(p) % batch == 0 for p in got[:-1])


def test_cluster_partitions_equal_the_local_recommendations(client, model_dir, board):
    model = load_model(model_dir)
    known = list(model.context_.users.ids)
    # New users with profiles, a duplicate, and a current catalog with one job withdrawn.
    walk_ins = pd.DataFrame({"user_id": ["new-1", "new-2"], "occupation": ["Registered Nurse", None]})
    ids = [*known, "new-1", known[0], "new-2"]
    catalog = model.context_.item_meta.iloc[1:] if model.context_.item_meta is not None else None
    filters = Filters.make(exclude="seen")
    want = model.recommend(ids, k=7, filters=filters, users=walk_ins, items=catalog)
    got = recommend_on_cluster(client, model_dir, ids, k=7, filters=filters, users=walk_ins, items=catalog)
    pd.testing.assert_frame_equal(got, want)  # exact: same code, same batches
    assert got["user_id"].nunique() == len(known) + 2
    assert len(partition_users(pd.unique(pd.Series(ids)), 512, 8)) == 2


def test_batch_cli_on_a_scheduler_address(client, model_dir, tmp_path, capsys):
    local, remote = tmp_path / "local.parquet", tmp_path / "dask.parquet"
    assert main(["batch", str(model_dir), "-o", str(local), "--k", "5", "--no-progress"]) == 0
    address = client.scheduler.address
    args = ["batch", str(model_dir), "-o", str(remote), "--k", "5", "--no-progress"]
    assert main([*args, "--engine", "dask", "--scheduler", address]) == 0
    assert address in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_parquet(remote), pd.read_parquet(local))
