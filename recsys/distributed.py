"""Batch recommendations on a Dask cluster: user partitions scored by workers that load the model once.

Every task is a pure function of its arguments (the model directory, its users, the list length, the
filters and the catalog), so the scheduler may run it again on another worker when one dies. Partitions
are whole multiples of the model's scoring batch: a user is scored in the same batch shape as by
:meth:`~recsys.models.base.Recommender.recommend` in one process, and the output is identical.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from costrec.progress import progress_enabled
from recsys.filters import Filters
from recsys.models import MODELS, Recommender
from recsys.store import load_model, read_manifest

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["recommend_partition", "recommend_on_cluster", "partition_users", "WORKER_MODULES"]

# What the workers of a local cluster import once, before their first task.
WORKER_MODULES = ("recsys.distributed", "recsys.models", "recsys.store")
# Partitions per worker: enough to balance uneven partitions and to lose little when a worker dies.
PARTITIONS_PER_WORKER = 4

# One loaded model per worker process, keyed by folder and manifest stamp: loading checks every file's
# hash, which costs far more than scoring a partition.
_MODELS: dict[tuple[str, int, int], Recommender] = {}
_LOCK = threading.Lock()


def _cached_model(model_dir: str) -> Recommender:
    path = Path(model_dir).resolve()
    stat = (path / "manifest.json").stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _LOCK:
        if key not in _MODELS:
            _MODELS.clear()  # a new or retrained model replaces the old one
            _MODELS[key] = load_model(path)
        return _MODELS[key]


def recommend_partition(
    model_dir: str,
    user_ids: np.ndarray,
    k: int,
    filters: Filters,
    users: pd.DataFrame | None,
    items: pd.DataFrame | None,
) -> pd.DataFrame:
    """Recommendations of one partition of users (the task a worker runs).

    Args:
        model_dir: The model directory, readable at this path on the worker.
        user_ids: The partition's user ids, without duplicates.
        k: List length.
        filters: Exclusions, expiry date and whitelist.
        users: Profiles of the partition's new users, or ``None``.
        items: The current catalog, or ``None``.
    """
    model = _cached_model(model_dir)
    # One scoring thread per task (implicit's OpenMP top-k, BLAS): a worker runs one task per task slot,
    # so each slot is a core already. Left alone, every task started one thread per core, and two
    # single-threaded workers on two cores oversubscribed them 2x (each partition took 2.5x its time).
    with threadpool_limits(1):
        return model.recommend(user_ids, k=k, filters=filters, users=users, items=items)


def partition_users(ids: Sequence[str] | np.ndarray, batch: int, n_partitions: int) -> list[np.ndarray]:
    """Split unique ids, in order, into at most ``n_partitions`` runs of whole batches of ``batch`` ids.

    Example:
        >>> [p.tolist() for p in partition_users(["a", "b", "c", "d", "e"], batch=2, n_partitions=2)]
        [['a', 'b', 'c', 'd'], ['e']]
    """
    ids = np.asarray(ids, dtype=object)
    batches = math.ceil(len(ids) / batch)
    size = batch * max(1, math.ceil(batches / max(n_partitions, 1)))
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def recommend_on_cluster(
    client: Client,
    model_dir: str | Path,
    user_ids: Sequence[str] | np.ndarray,
    *,
    k: int,
    filters: Filters,
    users: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
    partitions: int | None = None,
    show_progress: bool = False,
) -> pd.DataFrame:
    """Top-``k`` recommendations of ``user_ids``, partitions scored on the cluster, in input order.

    The result equals ``load_model(model_dir).recommend(user_ids, k=k, filters=filters, users=users,
    items=items)``.

    Args:
        client: A connected Dask client; its workers read ``model_dir`` themselves.
        model_dir: A model directory written by ``recommend train``.
        user_ids: Users to recommend for (duplicates dropped, first occurrence kept).
        k: List length.
        filters: Exclusions, expiry date and whitelist.
        users: Profiles of new users (``user_id`` plus columns); each partition gets its own rows.
        items: The current catalog, sent once to every worker.
        partitions: Number of partitions (default: four per worker).
        show_progress: Show a progress bar over users.
    """
    model_dir = str(Path(model_dir).resolve())
    ids = np.asarray(pd.unique(pd.Series(list(user_ids), dtype="str")), dtype=object)
    # The scoring batch is a class constant of the model: no need to load it here.
    factory = MODELS.get(read_manifest(model_dir)["model"])
    batch = int(getattr(factory, "batch_size", Recommender.batch_size))
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    parts = partition_users(ids, batch, partitions or PARTITIONS_PER_WORKER * n_workers)
    # The catalog is the same for every partition: sent once to every worker, not once per task.
    catalog: Any = client.scatter(items, broadcast=True) if items is not None else None
    futures = []
    for part in parts:
        profiles = None if users is None else users[users["user_id"].astype("str").isin(part)]
        futures.append(
            client.submit(recommend_partition, model_dir, part, k, filters, profiles, catalog, pure=False)
        )
    frames: list[pd.DataFrame] = []
    with tqdm(
        total=len(ids), disable=not progress_enabled(show_progress), unit="user", desc="recommend"
    ) as bar:
        for part, future in zip(parts, futures, strict=True):
            frames.append(future.result())
            bar.update(len(part))
    if not frames:
        return recommend_partition(model_dir, ids, k, filters, users, items)
    return pd.concat(frames, ignore_index=True)
