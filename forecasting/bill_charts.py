"""Charts of the whole bill: the month-end fan of a period's running total, and the drivers' waterfall."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from forecasting.errors import DataError
from forecasting.money import format_money
from forecasting.plots import date_axis, money_axis, new_axes

if TYPE_CHECKING:
    from forecasting.budget import RunTotals
    from forecasting.drivers import Drivers

__all__ = ["budget_chart", "month_end_chart", "waterfall_chart"]


def month_end_chart(
    daily: pd.DataFrame,
    *,
    period: object = None,
    level: str = "total",
    key: str = "total",
    budget: float | None = None,
    currency: str = "USD",
) -> Figure:
    """The running total of one period (P50 and the P10-P90 band) up to its last forecast day.

    Args:
        daily: ``totals-daily.parquet`` of a run (``level, key, period, ds, p10, p50, p90``).
        period: Any date of the period; ``None`` for the first one.
        level: ``total`` or a dimension.
        key: ``total`` or a value of ``level``.
        budget: Draw this amount as a line.
        currency: Axis label.
    """
    rows = daily[(daily["level"] == level) & (daily["key"] == key)]
    if rows.empty:
        raise DataError(f"no running totals for level {level!r}, key {key!r}")
    periods = sorted(rows["period"].unique())
    start = pd.Timestamp(periods[0]) if period is None else pd.Timestamp(str(period))
    chosen = max((p for p in periods if pd.Timestamp(p) <= start), default=periods[0])
    rows = rows[rows["period"] == chosen].sort_values("ds")
    fig, ax = new_axes(None, (8.0, 3.6))
    ax.fill_between(rows["ds"], rows["p10"], rows["p90"], color="#4c72b0", alpha=0.25, label="P10-P90")
    ax.plot(rows["ds"], rows["p50"], color="#4c72b0", label="P50")
    if budget is not None:
        ax.axhline(budget, color="#c44e52", linestyle="--", label=f"budget {format_money(budget)}")
    last = rows.iloc[-1]
    ax.annotate(
        f"{format_money(float(last['p50']))} [{format_money(float(last['p10']))}, "
        f"{format_money(float(last['p90']))}]",
        (last["ds"], last["p50"]),
        ha="right",
        va="bottom",
        fontsize=8,
    )
    money_axis(ax.yaxis)
    date_axis(ax.xaxis)
    ax.set_ylabel(currency)
    name = "the bill" if level == "total" else f"{level} {key}"
    ax.set_title(f"Running total of {name}, {pd.Timestamp(chosen):%B %Y}")
    ax.legend(loc="upper left", fontsize=8)
    return fig


def waterfall_chart(drivers: Drivers, dimension: str, *, top: int = 8, currency: str = "USD") -> Figure:
    """A waterfall from the earlier period's total to the later one, one bar per contribution.

    The ``top`` largest changes of ``dimension`` get their own bar (rises red, falls green, as costs),
    the rest one ``other`` bar; the bars sum exactly to the change between the two totals.
    """
    rows = drivers.top(dimension, top)
    labels = [drivers.labels[0], *rows["value"].astype(str), drivers.labels[1]]
    steps = rows["change"].to_numpy(dtype=float)
    bottoms = drivers.before + np.concatenate([[0.0], np.cumsum(steps)[:-1]])
    fig, ax = new_axes(None, (max(6.0, 0.9 * len(labels)), 4.0))
    ax.bar(0, drivers.before, color="#4c72b0")
    ax.bar(
        np.arange(1, len(steps) + 1),
        steps,
        bottom=bottoms,
        color=["#c44e52" if s > 0 else "#55a868" for s in steps],
    )
    ax.bar(len(labels) - 1, drivers.after, color="#4c72b0")
    for x, (base, step) in enumerate(zip(bottoms, steps, strict=True), start=1):
        ax.annotate(
            format_money(step, sign=True), (x, base + max(step, 0.0)), ha="center", va="bottom", fontsize=8
        )
    short = [label if len(label) <= 24 else label[:23] + "…" for label in labels]
    ax.set_xticks(range(len(labels)), short, rotation=30, ha="right")
    low = min(drivers.before, drivers.after, float(bottoms.min()), float((bottoms + steps).min()))
    high = max(drivers.before, drivers.after, float((bottoms + np.maximum(steps, 0)).max()))
    ax.set_ylim(max(0.0, low - 0.15 * (high - low)) if low >= 0 else low * 1.1, high + 0.1 * (high - low))
    money_axis(ax.yaxis)
    ax.set_ylabel(currency)
    ax.set_title(f"What changed from {drivers.labels[0]} to {drivers.labels[1]}, by {dimension}")
    return fig


def budget_chart(totals: RunTotals, risk: pd.DataFrame) -> Figure:
    """The month-end fan of the period, level and key of a :func:`forecasting.budget.budget_frame` row,
    with its budget drawn as a line (the chart half of the notebook's budget slider)."""
    row = risk.iloc[0]
    return month_end_chart(
        totals.daily,
        period=row["period"],
        level=str(row["level"]),
        key=str(row["key"]),
        budget=float(row["amount"]),
        currency=totals.currency,
    )
