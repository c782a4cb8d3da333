"""Speed of the shared ranking metrics: 100k users x k=25, against a plain-Python loop on a sample.

Run: ``.venv/bin/python benchmarks/bench_metrics.py``. Prints seconds per metric for the vectorized
functions and the per-user cost ratio against a straightforward Python implementation.
"""

from __future__ import annotations

import math
import time

import numpy as np

from metrics import hit_rate_at_k, mrr_at_k, ndcg_at_k, precision_at_k, recall_at_k

N_USERS, K, N_LOOP = 100_000, 25, 5_000


def _python_ndcg(row: np.ndarray, n_rel: int, k: int) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i in range(k) if row[i])
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, n_rel)))
    return dcg / ideal if ideal else float("nan")


def main() -> None:
    """Time every ranking metric on 100k users and compare NDCG with a Python loop."""
    rng = np.random.default_rng(0)
    n_relevant = rng.integers(1, 10, size=N_USERS)
    hits = rng.random((N_USERS, K)) < 0.05
    # A user cannot hit more items than are relevant to them.
    hits &= np.cumsum(hits, axis=1) <= n_relevant[:, None]
    total = 0.0
    print(f"ranking metrics, {N_USERS:,} users x k={K}")
    for fn in (precision_at_k, recall_at_k, mrr_at_k, ndcg_at_k, hit_rate_at_k):
        start = time.perf_counter()
        fn(hits, n_relevant, k=K)
        took = time.perf_counter() - start
        total += took
        print(f"  {fn.__name__:<16} {took * 1000:8.1f} ms")
    print(f"  all five         {total * 1000:8.1f} ms")
    start = time.perf_counter()
    for u in range(N_LOOP):
        _python_ndcg(hits[u], int(n_relevant[u]), K)
    loop_per_user = (time.perf_counter() - start) / N_LOOP
    start = time.perf_counter()
    ndcg_at_k(hits, n_relevant, k=K)
    ours_per_user = (time.perf_counter() - start) / N_USERS
    print(f"ndcg_at_k vs a Python loop: {loop_per_user / ours_per_user:.0f}x faster per user")


if __name__ == "__main__":
    main()
