"""``forecast prepare`` on a Dask cluster: groups of export parts scanned by DuckDB on the workers.

Each task scans one group of parts into its small partial aggregate (series x periods, whatever the
number of line items) with :func:`~forecasting.billing.scan.scan_parts`; this process combines them with
:func:`~forecasting.billing.scan.merge_scans` and builds the series as the local engine does, so both
engines give the same series and reconciliation. Tasks are pure functions of the part paths: the
scheduler may run one again when a worker dies. The workers read the parts at the same paths.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
from tqdm.auto import tqdm

from costrec.progress import progress_enabled
from forecasting.billing.files import ExportFiles
from forecasting.billing.scan import ScanResult, ScanSpec, merge_scans, scan_parts
from forecasting.billing.schema import FileSchema

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["DaskScanner", "scan_group", "group_parts", "WORKER_MODULES"]

# What the workers of a local cluster import once, before their first task: the scan (prepare) and the
# models (run). The one list of the package; recsys.distributed has recommend's.
WORKER_MODULES = ("forecasting.distributed", "forecasting.runner", "forecasting.models")
# Groups per worker: enough to balance parts of uneven size, few enough that the per-query cost
# (planning, and each group's own series keys) stays small.
GROUPS_PER_WORKER = 3


def group_parts(n_parts: int, n_groups: int) -> list[range]:
    """Consecutive, nearly equal runs of part indices, at most ``n_groups`` of them.

    Example:
        >>> group_parts(7, 3)
        [range(0, 3), range(3, 6), range(6, 7)]
    """
    size = max(1, math.ceil(n_parts / max(n_groups, 1)))
    return [range(a, min(a + size, n_parts)) for a in range(0, n_parts, size)]


def scan_group(export: ExportFiles, schemas: Sequence[FileSchema], spec: ScanSpec) -> pa.Table:
    """The partial aggregate of one group of parts (the task a worker runs), in its own DuckDB."""
    con = duckdb.connect(config={"preserve_insertion_order": False})
    try:
        # As the local engine: text timestamps without an offset are UTC. One thread: the cluster
        # already runs one single-threaded worker per core.
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        con.execute("SET threads = 1")
        return scan_parts(con, export, schemas, spec)
    finally:
        con.close()


class DaskScanner:
    """A ``scanner`` for :func:`~forecasting.prepare.prepare_series` that scans groups of parts on a cluster.

    Args:
        client: A connected Dask client.
        groups: Number of groups (default: ``GROUPS_PER_WORKER`` per worker).

    Example:
        >>> prepare_series("bills/", scanner=DaskScanner(client))  # doctest: +SKIP
    """

    def __init__(self, client: Client, groups: int | None = None) -> None:
        self.client = client
        self.groups = groups

    def __call__(
        self,
        con: duckdb.DuckDBPyConnection,
        export: ExportFiles,
        schemas: Sequence[FileSchema],
        spec: ScanSpec,
        *,
        progress: bool = False,
    ) -> ScanResult:
        """Scan the groups on the workers and merge their aggregates into ``con`` (see ``merge_scans``)."""
        n_workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        runs = group_parts(len(export.files), self.groups or GROUPS_PER_WORKER * n_workers)
        futures = [
            self.client.submit(
                scan_group,
                replace(export, files=tuple(export.files[i] for i in run), skipped=()),
                [schemas[i] for i in run],
                spec,
                pure=False,
            )
            for run in runs
        ]
        partials: list[pa.Table] = []
        with tqdm(
            total=len(export.files),
            unit="file",
            desc="scan",
            disable=not progress_enabled(progress),
            leave=False,
        ) as bar:
            for run, future in zip(runs, futures, strict=True):
                partials.append(future.result())
                bar.update(len(run))
        return merge_scans(con, partials, spec)
