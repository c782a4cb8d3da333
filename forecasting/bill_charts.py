"""Charts of the whole bill: the month-end fan of a period's running total, and the drivers' waterfall."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from forecasting.budget import PERIOD_FORMATS, LoadedTotals, period_label, quantile_levels, read_period
from forecasting.errors import DataError
from forecasting.money import format_money
from forecasting.plots import date_axis, money_axis, new_axes
from forecasting.quantiles import point_column, quantile_columns
from forecasting.totals import period_starts

if TYPE_CHECKING:
    from forecasting.drivers import Drivers

__all__ = ["budget_chart", "guess_total_freq", "month_end_chart", "period_title", "waterfall_chart"]


def period_title(start: object, total_freq: str = "M") -> str:
    """A period as a chart title names it: ``July 2025``, ``week of 2025-07-28``, ``2025-Q3``.

    Example:
        >>> [period_title("2025-07-28", f) for f in ("M", "W", "Q")]
        ['July 2025', 'week of 2025-07-28', '2025-Q3']
    """
    first = period_starts(pd.DatetimeIndex([pd.Timestamp(str(start))]), total_freq)[0]
    if total_freq == "M":
        return f"{first:%B %Y}"
    return f"week of {period_label(first, 'W')}" if total_freq == "W" else period_label(first, total_freq)


def guess_total_freq(daily: pd.DataFrame) -> str:
    """The ``total_freq`` of running totals whose run did not say it: ``W`` when the periods start on
    Mondays not all the 1st or last a week at most, ``Q`` when they start in quarter months and last
    more than a month or lie three months apart, else ``M``.

    A month of a few days (most of it beyond a short history's horizon) that starts on a Monday the 1st
    reads as a week: pass ``total_freq`` where it is known.

    Example:
        >>> days = pd.date_range("2025-07-07", "2025-07-20")
        >>> guess_total_freq(pd.DataFrame({"period": days.to_period("W").start_time, "ds": days}))
        'W'
    """
    spans = daily.groupby("period")["ds"].agg(["min", "max"])
    starts = pd.DatetimeIndex(spans.index)
    longest = (spans["max"] - spans["min"]).max()
    if (starts.day_of_week == 0).all() and ((starts.day != 1).any() or longest <= pd.Timedelta(days=6)):
        return "W"
    months = starts.year * 12 + starts.month
    apart = len(starts) > 1 and bool((np.diff(np.sort(months)) % 3 == 0).all())
    if (starts.month % 3 == 1).all() and (longest > pd.Timedelta(days=31) or apart):
        return "Q"
    return "M"


def month_end_chart(
    daily: pd.DataFrame,
    *,
    period: object = None,
    level: str = "total",
    key: str = "total",
    budget: float | None = None,
    currency: str = "USD",
    total_freq: str | None = None,
    quantiles: Sequence[float] | None = None,
) -> Figure:
    """The running total of one period (its median and its outer quantile band) up to its last forecast day.

    Args:
        daily: ``totals-daily.parquet`` of a run (``level, key, period, ds``, quantile columns, ``mean``).
        period: A date of the period (a timestamp), or the period as ``PERIOD_FORMATS`` of
            :mod:`forecasting.budget` writes it for ``total_freq``; ``None`` for the first one.
        level: ``total`` or a dimension.
        key: ``total`` or a value of ``level``.
        budget: Draw this amount as a line.
        currency: Axis label.
        total_freq: The run's period: ``M``, ``W`` or ``Q`` (the title and how ``period`` is read).
            Defaults to the one the periods of ``daily`` fit (:func:`guess_total_freq`).
        quantiles: The run's quantile levels: the band spans the lowest and highest. Defaults to the levels
            whose columns ``daily`` holds.
    """
    rows = daily[(daily["level"] == level) & (daily["key"] == key)]
    if rows.empty:
        raise DataError(f"no running totals for level {level!r}, key {key!r}")
    periods = sorted(pd.DatetimeIndex(rows["period"].unique()))
    total_freq = total_freq or guess_total_freq(daily)
    if period is None:
        chosen = periods[0]
    else:
        try:
            chosen = (
                read_period(period, total_freq)
                if isinstance(period, str)
                else period_starts(pd.DatetimeIndex([pd.Timestamp(period)]), total_freq)[0]  # type: ignore[arg-type]
            )
        except (ValueError, TypeError) as exc:
            raise DataError(
                f"period: cannot read {period!r}; pass a timestamp or {PERIOD_FORMATS[total_freq]}"
            ) from exc
        if chosen not in periods:
            listed = ", ".join(period_label(p, total_freq) for p in periods)
            raise DataError(f"period: {period!r} is not a period of the running totals; pass one of {listed}")
    rows = rows[rows["period"] == chosen].sort_values("ds")
    levels = tuple(quantiles) if quantiles is not None else quantile_levels(daily.columns)
    band = [c for c in quantile_columns(levels) if c in rows.columns]
    middle = point_column(quantile_levels(rows.columns))  # the median, which the daily totals always hold
    fig, ax = new_axes(None, (8.0, 3.6))
    if len(band) >= 2:
        low, high = band[0], band[-1]
        ax.fill_between(rows["ds"], rows[low], rows[high], color="#4c72b0", alpha=0.25,
                        label=f"{low.upper()}-{high.upper()}")  # fmt: skip
    ax.plot(rows["ds"], rows[middle], color="#4c72b0", label=middle.upper() if middle != "mean" else "mean")
    if budget is not None:
        ax.axhline(budget, color="#c44e52", linestyle="--", label=f"budget {format_money(budget)}")
    last = rows.iloc[-1]
    spread = (
        f" [{format_money(float(last[band[0]]))}, {format_money(float(last[band[-1]]))}]"
        if len(band) >= 2
        else ""
    )
    ax.annotate(
        f"{format_money(float(last[middle]))}{spread}",
        (last["ds"], last[middle]),
        ha="right",
        va="bottom",
        fontsize=8,
    )
    money_axis(ax.yaxis)
    date_axis(ax.xaxis)
    ax.set_ylabel(currency)
    name = "the bill" if level == "total" else f"{level} {key}"
    ax.set_title(f"Running total of {name}, {period_title(chosen, total_freq)}")
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


def budget_chart(totals: LoadedTotals, risk: pd.DataFrame) -> Figure:
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
        total_freq=totals.total_freq,
        quantiles=totals.quantiles,
    )
