"""Large CUR 2.0 exports for benchmarks: tens of millions of hourly line items, written fast.

Rows are built with numpy per (billing period, part) and written as dictionary-encoded Parquet, so 20M
rows take well under a minute. Every part of a month holds every (account, service) series for every
hour of that month, for its own set of resources: adding parts multiplies the line items while the
prepared series (service x account x day) stay the same, which is what a memory-scaling test needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from forecasting.synthetic import REGIONS, SERVICES

__all__ = ["LargeExport", "write_large_cur2"]

HOUR_MS = 3_600_000


@dataclass(frozen=True)
class LargeExport:
    """What :func:`write_large_cur2` wrote."""

    folder: Path
    files: tuple[Path, ...]
    rows: int
    series: int


def _dict(values: list[str], codes: np.ndarray) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(values, pa.string()))


def _part(
    month: pd.Timestamp, part: int, accounts: int, resources: int, rng: np.random.Generator
) -> pa.Table:
    hours = int((month + pd.offsets.MonthBegin(1) - month) / pd.Timedelta(hours=1))
    n_services = len(SERVICES)
    per_hour = accounts * n_services * resources
    n = hours * per_hour
    i = np.arange(n, dtype=np.int64)
    hour = i // per_hour
    rest = i % per_hour
    account = rest // (n_services * resources)
    service = (rest // resources) % n_services
    resource = rest % resources
    start_ms = int(month.value // 1_000_000) + hour * HOUR_MS
    daily = np.array([s.daily_cost for s in SERVICES])[service] / 24.0 / resources
    weekday = ((start_ms // 86_400_000) + 3) % 7  # Monday = 0
    weekend = np.where(weekday >= 5, np.array([s.weekend for s in SERVICES])[service], 1.0)
    cost = np.round(daily * weekend * (0.5 + rng.random(n)) * (1 + 0.05 * account), 8)
    credit = (i % 97) == 0  # about 1% credits, excluded by the default charge selection
    cost = np.where(credit, -cost, cost)
    account_ids = [f"{100000000000 + 7919 * a:012d}" for a in range(accounts)]
    region = [REGIONS[a % len(REGIONS)] for a in range(accounts)]
    usage_types = [f"{r[1]}-{s.usage_type}" for r in region for s in SERVICES]
    res_ids = [f"arn:aws:ec2:{r[0]}:{acc}:instance/i-{part:02d}{k:06d}"
               for acc, r in zip(account_ids, region, strict=True) for k in range(resources)]  # fmt: skip
    return pa.table({
        "bill_payer_account_id": _dict([account_ids[0]], np.zeros(n)),
        "line_item_usage_account_id": _dict(account_ids, account),
        "line_item_line_item_type": _dict(["Usage", "Credit"], credit.astype(np.int32)),
        "line_item_usage_start_date": pa.array(start_ms, pa.timestamp("ms")),
        "line_item_usage_end_date": pa.array(start_ms + HOUR_MS, pa.timestamp("ms")),
        "line_item_product_code": _dict([s.code for s in SERVICES], service),
        "product_product_name": _dict([s.name for s in SERVICES], service),
        "line_item_usage_type": _dict(usage_types, account * n_services + service),
        "line_item_operation": _dict([s.operation for s in SERVICES], service),
        "product_region_code": _dict([r[0] for r in region], account),
        "line_item_resource_id": _dict(res_ids, account * resources + resource),
        "line_item_usage_amount": pa.array(np.round(cost * 10.0, 6)),
        "line_item_unblended_cost": pa.array(cost),
        "line_item_net_unblended_cost": pa.array(cost),
        "line_item_currency_code": _dict(["USD"], np.zeros(n)),
    })  # fmt: skip


def write_large_cur2(
    folder: str | os.PathLike[str],
    *,
    months: int = 24,
    parts: int = 1,
    accounts: int = 40,
    resources: int = 3,
    start: str = "2023-01-01",
    seed: int = 0,
) -> LargeExport:
    """Write ``data/BILLING_PERIOD=YYYY-MM/bench-0000P.snappy.parquet`` for ``months`` x ``parts`` parts.

    Rows = hours x accounts x 10 services x resources x parts. The defaults (24 months, 40 accounts,
    3 resources, one part a month) give about 21M line items and 400 daily series over two years.
    """
    folder = Path(folder)
    rng = np.random.default_rng(seed)
    files, rows = [], 0
    for month in pd.date_range(start, periods=months, freq="MS"):
        out = folder / "data" / f"BILLING_PERIOD={month:%Y-%m}"
        out.mkdir(parents=True, exist_ok=True)
        for part in range(1, parts + 1):
            table = _part(month, part, accounts, resources, rng)
            path = out / f"bench-{part:05d}.snappy.parquet"
            pq.write_table(table, path, compression="snappy", row_group_size=256 * 1024, store_schema=False)
            files.append(path)
            rows += table.num_rows
    return LargeExport(folder, tuple(files), rows, accounts * len(SERVICES))
