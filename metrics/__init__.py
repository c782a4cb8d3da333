"""Metrics shared by forecasting and recommendations: pure functions over arrays, thin frame wrappers.

Names say the direction: ``*_loss`` and ``*_error`` are lower-is-better, ``*_score`` and ``*_at_k``
higher-is-better. :data:`METRICS` maps each scalar or per-user metric's name to its function for the
command-line tools; :func:`greater_is_better` also knows the columns of the score tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from metrics.compare import Lift, lift, lift_table, mean_interval
from metrics.forecast import (
    coverage_score,
    interval_width_loss,
    mape_error,
    mase_error,
    pinball_loss,
    rmse_error,
    smape_error,
    wape_error,
    wql_by_quantile,
    wql_loss,
)
from metrics.frame import LEVELS, catalog_coverage_score, forecast_scores, rank_scores
from metrics.ranking import hit_matrix, hit_rate_at_k, mrr_at_k, ndcg_at_k, precision_at_k, recall_at_k

__all__ = [
    "LEVELS",
    "LOWER_IS_BETTER",
    "METRICS",
    "Lift",
    "catalog_coverage_score",
    "coverage_score",
    "forecast_scores",
    "greater_is_better",
    "hit_matrix",
    "hit_rate_at_k",
    "interval_width_loss",
    "lift",
    "lift_table",
    "mape_error",
    "mase_error",
    "mean_interval",
    "mrr_at_k",
    "ndcg_at_k",
    "pinball_loss",
    "precision_at_k",
    "rank_scores",
    "recall_at_k",
    "rmse_error",
    "smape_error",
    "wape_error",
    "wql_by_quantile",
    "wql_loss",
]

METRICS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        pinball_loss,
        wql_loss,
        wape_error,
        rmse_error,
        mape_error,
        smape_error,
        mase_error,
        interval_width_loss,
        coverage_score,
        precision_at_k,
        recall_at_k,
        mrr_at_k,
        ndcg_at_k,
        hit_rate_at_k,
        catalog_coverage_score,
    )
}

# Columns of forecast_scores tables (``wql_<column>`` too) where lower is better.
_LOWER_COLUMNS = frozenset({"mean_wql", "wape", "rmse", "mase", "mape", "smape", "interval_width"})
# Columns of forecast_scores / rank_scores tables where higher is better.
_HIGHER_COLUMNS = frozenset({"coverage"})

LOWER_IS_BETTER: frozenset[str] = (
    frozenset(name for name in METRICS if name.endswith(("_loss", "_error"))) | _LOWER_COLUMNS
)


def greater_is_better(name: str) -> bool:
    """Whether a larger value of the metric (or score-table column) ``name`` is better.

    Registry names follow their suffix: ``*_loss`` and ``*_error`` are lower-is-better, ``*_score`` and
    ``*_at_k`` higher-is-better. The columns of :func:`forecast_scores` (``wql_p10``, ``mean_wql``, ``wape``,
    ``rmse``, ``mase``, ``mape``, ``smape``, ``interval_width`` lower; ``coverage`` higher) are known too.
    Coverage is only better up to the interval's nominal level.

    Args:
        name: A metric name such as ``"ndcg_at_k"`` or a score-table column such as ``"mean_wql"``.

    Returns:
        True when higher is better.

    Raises:
        ValueError: For a name that carries no direction.

    Example:
        >>> greater_is_better("ndcg_at_k"), greater_is_better("wql_loss"), greater_is_better("wql_p90")
        (True, False, False)
    """
    if name.endswith(("_loss", "_error")) or name in _LOWER_COLUMNS or name.startswith("wql_"):
        return False
    if name.endswith(("_score", "_at_k")) or name in _HIGHER_COLUMNS:
        return True
    raise ValueError(
        f"{name!r} has no known direction; use a name ending in _loss/_error (lower is better) or "
        f"_score/_at_k (higher is better), or a score-table column such as {sorted(_LOWER_COLUMNS)}"
    )
