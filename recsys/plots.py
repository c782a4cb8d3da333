"""Charts of an offline evaluation: each model's lift over popularity, with bootstrap intervals."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from recsys.errors import DataError
from recsys.evaluation import BASELINE

__all__ = ["lift_chart", "lift_rows", "metric_label"]


def metric_label(metric: str, k: int | None = None) -> str:
    """A metric column as people write it.

    Example:
        >>> metric_label("ndcg_at_k", 10), metric_label("mrr_at_k"), metric_label("coverage")
        ('NDCG@10', 'MRR@k', 'coverage')
    """
    if not metric.endswith("_at_k"):
        return metric
    return f"{metric.removesuffix('_at_k').upper()}@{'k' if k is None else k}"


def lift_rows(
    table: pd.DataFrame, metric: str = "ndcg_at_k", *, k: int | None = None, baseline: str = BASELINE
) -> pd.DataFrame:
    """The rows of an evaluation table that have a lift of ``metric`` over the baseline.

    Args:
        table: :attr:`recsys.evaluation.Evaluation.table` (``segment, k, model``, ``<metric>_lift``,
            ``<metric>_lift_low``, ``<metric>_lift_high``).
        metric: One of :data:`recsys.evaluation.METRICS`, or ``coverage`` (a ratio without interval).
        k: The list length to show when the table holds several; by default the only one, or the smallest.
        baseline: The model the lifts are relative to (left out: its lift is 1 by definition).

    Returns:
        ``segment, model, lift, low, high`` in the table's order; segments where the baseline scores
        zero (no ratio exists, e.g. new items for popularity) are left out.

    Raises:
        DataError: If the table has no lift column for ``metric``.

    Example:
        >>> table = pd.DataFrame({"segment": ["all"] * 3, "k": 10, "model": ["popularity", "als", "hybrid"],
        ...     "ndcg_at_k_lift": [None, 1.5, 2.0], "ndcg_at_k_lift_low": [None, 1.2, 1.7],
        ...     "ndcg_at_k_lift_high": [None, 1.9, 2.4]})
        >>> lift_rows(table)
          segment   model  lift  low  high
        0     all     als   1.5  1.2   1.9
        1     all  hybrid   2.0  1.7   2.4
    """
    column = f"{metric}_lift"
    if column not in table.columns:
        known = ", ".join(c.removesuffix("_lift") for c in table.columns if str(c).endswith("_lift"))
        raise DataError(
            f"the evaluation table has no lift of {metric!r}; it has lifts of {known or 'nothing'}"
        )
    rows = table[table["model"] != baseline]
    if "k" in rows.columns and rows["k"].nunique() > 1:
        rows = rows[rows["k"] == (rows["k"].min() if k is None else k)]
    ends = {"lift": column, "low": f"{column}_low", "high": f"{column}_high"}
    out = pd.DataFrame({"segment": rows["segment"].astype("str"), "model": rows["model"].astype("str")})
    for name, source in ends.items():
        # coverage has a ratio but no bootstrap interval: the interval collapses onto the ratio.
        out[name] = rows[source if source in rows.columns else column].astype(float)
    return out.dropna(subset=["lift"]).reset_index(drop=True)


def lift_chart(
    table: pd.DataFrame,
    metric: str = "ndcg_at_k",
    *,
    k: int | None = None,
    baseline: str = BASELINE,
    ax: Axes | None = None,
) -> Figure:
    """Horizontal bars of each model's lift over the baseline per segment, with the 95% bootstrap interval.

    A dashed line marks the baseline (x1): a bar whose interval lies right of it beats popularity with
    confidence. Arguments are those of :func:`lift_rows`; ``ax`` draws on given axes instead of a new figure.
    """
    rows = lift_rows(table, metric, k=k, baseline=baseline)
    if rows.empty:
        raise DataError(f"no model has a lift of {metric!r} over {baseline!r} to chart")
    if ax is None:
        fig = Figure(figsize=(10, 0.4 * len(rows) + 1.6), layout="constrained")
        ax = fig.add_subplot()
    else:
        parent = ax.get_figure(root=True)
        if not isinstance(parent, Figure):  # pragma: no cover - an Axes always sits in a figure
            raise TypeError("the axes are not in a figure")
        fig = parent
    labels = rows["segment"] + " · " + rows["model"]
    errors = [(rows["lift"] - rows["low"]).clip(lower=0), (rows["high"] - rows["lift"]).clip(lower=0)]
    beats = rows["low"] > 1.0
    colors = ["tab:green" if b else "tab:gray" for b in beats]
    ax.barh(labels, rows["lift"], xerr=errors, capsize=4, color=colors)
    for y, (lift, high) in enumerate(zip(rows["lift"], rows[["lift", "high"]].max(axis=1), strict=True)):
        # Right of the interval's cap, where no error bar runs through the label.
        label = f"x{lift:.2f}"
        ax.annotate(label, (high, y), xytext=(6, 0), textcoords="offset points", va="center", fontsize=8)
    ax.axvline(1.0, color="0.3", linestyle="--", linewidth=1, label=f"{baseline} (x1)")
    ax.invert_yaxis()
    shown_k = int(table.loc[table["model"] != baseline, "k"].min()) if k is None and "k" in table else k
    name = metric_label(metric, shown_k)
    ax.set_title(f"Lift of {name} over {baseline}, with 95% bootstrap intervals (green: interval above x1)")
    ax.set_xlabel(f"ratio of mean {name} to {baseline}'s (x)")
    ax.set_ylabel("segment · model")
    ax.set_xlim(left=0)
    ax.margins(x=0.15)
    ax.legend(loc="lower right", frameon=False)
    return fig
