"""Where the money goes: top costs, daily and monthly totals by a dimension, the week-day pattern, and charts.

The tables take the long cost frame of :func:`forecasting.prepare.prepare_series` (``ds, y`` and dimension
columns such as ``service`` and ``account``); each chart takes the matching table, draws on a given Axes or
a new figure (made without pyplot, like the fan charts) and returns the figure.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from forecasting.errors import DataError
from forecasting.plots import date_axis, money_axis, new_axes, period_name

__all__ = [
    "OTHER",
    "WEEKDAYS",
    "daily_by",
    "daily_chart",
    "monthly_by",
    "monthly_chart",
    "top_costs",
    "top_costs_chart",
    "weekday_chart",
    "weekday_profile",
    "weekday_totals",
]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# The label of everything outside the top ``n`` when a chart lumps the tail together.
OTHER = "other"


def _check(series: pd.DataFrame, by: str | None = None) -> None:
    needed = ["ds", "y", *([by] if by else [])]
    missing = [c for c in needed if c not in series.columns]
    if missing:
        have = ", ".join(map(str, series.columns))
        raise DataError(
            f"the cost frame lacks column(s) {missing} (it has {have}); pass prepare_series().series"
        )


def _wide(series: pd.DataFrame, by: str, freq: str) -> pd.DataFrame:
    """Cost per period (rows, every period of the span) and ``by`` value (columns, costliest first)."""
    _check(series, by)
    periods = pd.to_datetime(series["ds"]).dt.to_period(freq).dt.start_time
    wide = series.assign(ds=periods).pivot_table(
        index="ds", columns=by, values="y", aggfunc="sum", fill_value=0.0, observed=True
    )
    if wide.empty:
        return wide
    # A period without a single line item is a zero, not a missing row: the chart must show the drop.
    grid = pd.period_range(wide.index.min(), wide.index.max(), freq=freq).start_time
    wide = wide.reindex(grid, fill_value=0.0).rename_axis("ds")
    wide = wide[wide.sum().sort_values(ascending=False, kind="stable").index]
    wide.columns = wide.columns.astype("str")
    wide.columns.name = by
    return wide


def _lump(wide: pd.DataFrame, top: int | None) -> pd.DataFrame:
    """Keep the ``top`` costliest columns and add the rest up as :data:`OTHER`."""
    if top is None or wide.shape[1] <= top:
        return wide
    kept = wide.iloc[:, :top].copy()
    kept[OTHER] = wide.iloc[:, top:].sum(axis=1)
    return kept


def top_costs(series: pd.DataFrame, by: str, n: int = 10) -> pd.DataFrame:
    """The ``n`` costliest values of ``by`` over the whole frame, with their share of the total cost.

    Args:
        series: Cost frame with ``y`` and the ``by`` column.
        by: Dimension column, e.g. ``service`` or ``account``.
        n: Rows kept.

    Returns:
        Index ``by``, columns ``cost`` (sum of ``y``) and ``share`` (of the total of all values, so the
        shares of the top rows add up to less than 1 when there is a tail), costliest first.

    Example:
        >>> costs = pd.DataFrame({"ds": pd.to_datetime(["2024-01-01"] * 3), "y": [60.0, 30.0, 10.0],
        ...                       "service": ["EC2", "S3", "Lambda"]})
        >>> top_costs(costs, "service", n=2)  # doctest: +NORMALIZE_WHITESPACE
                 cost  share
        service
        EC2      60.0    0.6
        S3       30.0    0.3
    """
    _check(series, by)
    if n < 1:
        raise DataError(f"n must be at least 1; got {n}")
    total = series["y"].sum()
    cost = series.groupby(series[by].astype("str"))["y"].sum().sort_values(ascending=False, kind="stable")
    table = pd.DataFrame({"cost": cost, "share": cost / total if total else np.nan}).head(n)
    table.index.name = by
    return table


def daily_by(series: pd.DataFrame, by: str, *, top: int | None = None, freq: str = "D") -> pd.DataFrame:
    """Cost per period (rows) and value of ``by`` (columns, costliest first), zero where nothing was billed.

    Args:
        series: Cost frame with ``ds, y`` and the ``by`` column.
        by: Dimension column.
        top: Keep the ``top`` costliest columns and add the others up in an ``other`` column.
        freq: Period of the rows (the series' own frequency by default, daily).

    Example:
        >>> costs = pd.DataFrame({"ds": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-03"]),
        ...                       "y": [1.0, 5.0, 2.0], "service": ["S3", "EC2", "S3"]})
        >>> daily_by(costs, "service")  # doctest: +NORMALIZE_WHITESPACE
        service     EC2   S3
        ds
        2024-01-01  5.0  1.0
        2024-01-02  0.0  0.0
        2024-01-03  0.0  2.0
    """
    return _lump(_wide(series, by, freq), top)


def monthly_by(series: pd.DataFrame, by: str, *, top: int | None = None) -> pd.DataFrame:
    """Cost of each calendar month (rows, month starts) by value of ``by`` (columns, costliest first).

    Example:
        >>> costs = pd.DataFrame({"ds": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-02-01"]),
        ...                       "y": [10.0, -2.0, 4.0], "charge_type": ["Usage", "Credit", "Usage"]})
        >>> monthly_by(costs, "charge_type")  # doctest: +NORMALIZE_WHITESPACE
        charge_type  Usage  Credit
        ds
        2024-01-01    10.0    -2.0
        2024-02-01     4.0     0.0
    """
    return _lump(_wide(series, by, "M"), top)


def weekday_totals(series: pd.DataFrame) -> pd.DataFrame:
    """Total cost per day, summarized by week day: ``mean``, ``std`` and the number of ``days``.

    Days are summed over every series first, so ``mean`` is what an average Monday costs in all.

    Example:
        >>> days = pd.date_range("2024-01-01", periods=14, freq="D")  # two weeks from a Monday
        >>> costs = pd.DataFrame({"ds": days, "y": [10.0] * 5 + [2.0, 4.0] + [20.0] * 5 + [2.0, 4.0]})
        >>> weekday_totals(costs).loc[["Mon", "Sat", "Sun"]].round(2)
             mean   std  days
        Mon  15.0  7.07     2
        Sat   2.0  0.00     2
        Sun   4.0  0.00     2
    """
    _check(series)
    day = series.groupby(pd.to_datetime(series["ds"]).dt.normalize())["y"].sum()
    table = day.groupby(pd.DatetimeIndex(day.index).day_of_week).agg(["mean", "std", "size"])
    table = table.reindex(range(7)).set_axis(list(WEEKDAYS)).rename(columns={"size": "days"})
    table["days"] = table["days"].fillna(0).astype(int)
    return table


def weekday_profile(series: pd.DataFrame, by: str, *, top: int | None = 6) -> pd.DataFrame:
    """For each of the ``top`` costliest values of ``by``, the mean cost of each week day over its mean day.

    A ratio of 0.2 on Saturday means the service costs a fifth of its average day on Saturdays: batch and
    office-hours workloads dip at the weekend, storage stays at 1.

    Returns:
        Index ``Mon`` ... ``Sun``, one column per value of ``by``, costliest first.

    Example:
        >>> days = pd.date_range("2024-01-01", periods=7, freq="D")
        >>> costs = pd.DataFrame({"ds": days.append(days), "y": [7.0] * 5 + [0.0, 0.0] + [2.0] * 7,
        ...                       "service": ["EC2"] * 7 + ["S3"] * 7})
        >>> weekday_profile(costs, "service").loc[["Mon", "Sat"]]
        service  EC2   S3
        Mon      1.4  1.0
        Sat      0.0  1.0
    """
    wide = _wide(series, by, "D")
    if top is not None:
        wide = wide.iloc[:, :top]
    means = wide.groupby(pd.DatetimeIndex(wide.index).day_of_week).mean()
    means = means.reindex(range(7)).set_axis(list(WEEKDAYS))
    overall = wide.mean().replace(0.0, np.nan)
    return means / overall


def _words(column: str) -> str:
    """A column name for a title: ``charge_type`` -> ``charge type``."""
    return column.replace("_", " ")


def _legend_outside(ax: Axes) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


def top_costs_chart(
    table: pd.DataFrame, *, currency: str = "USD", title: str | None = None, ax: Axes | None = None
) -> Figure:
    """Horizontal bars of a :func:`top_costs` table, costliest on top, each labelled with its share."""
    fig, ax = new_axes(ax, (7, 0.45 * len(table) + 1.5))
    what = str(table.index.name or "value")
    labels = table.index.astype("str")[::-1]
    bars = ax.barh(labels, table["cost"].to_numpy()[::-1], color="tab:blue")
    ax.bar_label(bars, labels=[f" {s:.0%}" for s in table["share"].to_numpy()[::-1]], fontsize=8)
    ax.set_title(title or f"Total cost by {_words(what)}: the top {len(table)}")
    ax.set_xlabel(f"total cost ({currency})")
    ax.set_ylabel(_words(what))
    money_axis(ax.xaxis)
    ax.margins(x=0.12)  # room for the share labels
    return fig


def daily_chart(
    daily: pd.DataFrame,
    *,
    currency: str = "USD",
    freq: str = "D",
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """A stacked area chart of a :func:`daily_by` table: the costliest column at the bottom."""
    fig, ax = new_axes(ax, (13, 5))
    by = str(daily.columns.name or "value")
    positive = daily.clip(lower=0.0)
    colors = _colors(daily.columns)
    ax.stackplot(daily.index, positive.T.to_numpy(), labels=list(daily.columns), colors=colors, linewidth=0)
    ax.set_title(title or f"Cost per {period_name(freq)} by {_words(by)}")
    ax.set_xlabel("date")
    ax.set_ylabel(f"cost per {period_name(freq)} ({currency})")
    date_axis(ax.xaxis)
    money_axis(ax.yaxis)
    ax.set_xlim(daily.index.min(), daily.index.max())
    _legend_outside(ax)
    return fig


def monthly_chart(
    monthly: pd.DataFrame, *, currency: str = "USD", title: str | None = None, ax: Axes | None = None
) -> Figure:
    """Stacked bars of a :func:`monthly_by` table; negative amounts (credits, refunds) stack below zero."""
    fig, ax = new_axes(ax, (13, 5))
    by = str(monthly.columns.name or "value")
    x = np.arange(len(monthly))
    up, down = np.zeros(len(monthly)), np.zeros(len(monthly))
    for column, color in zip(monthly.columns, _colors(monthly.columns), strict=True):
        values = monthly[column].to_numpy(dtype=float)
        bottom = np.where(values >= 0, up, down)
        ax.bar(x, values, bottom=bottom, width=0.85, color=color, label=str(column))
        up, down = up + np.clip(values, 0, None), down + np.clip(values, None, 0)
    ax.set_xticks(x, [f"{d:%b %Y}" for d in monthly.index], rotation=45 if len(x) > 8 else 0, ha="right")
    ax.axhline(0.0, color="0.3", linewidth=0.8)
    ax.set_title(title or f"Monthly cost by {_words(by)}")
    # Stacked segments leave sticky edges at every bottom; without a margin the tallest bar meets the frame.
    ax.use_sticky_edges = False
    ax.margins(x=0.01, y=0.05)
    ax.set_xlabel("month")
    ax.set_ylabel(f"cost per month ({currency})")
    money_axis(ax.yaxis)
    _legend_outside(ax)
    return fig


def weekday_chart(
    totals: pd.DataFrame, profile: pd.DataFrame | None = None, *, currency: str = "USD"
) -> Figure:
    """Mean total cost per week day (± one standard deviation) and, beside it, a :func:`weekday_profile`."""
    panels = 1 if profile is None else 2
    fig = Figure(figsize=(6.5 * panels, 4), layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False).ravel()
    left = axes[0]
    left.bar(totals.index, totals["mean"], yerr=totals["std"].fillna(0.0), color="tab:blue", capsize=3)
    left.set_title("Average total cost by week day (± 1 sd)")
    left.set_xlabel("week day")
    left.set_ylabel(f"cost per day ({currency})")
    money_axis(left.yaxis)
    if profile is not None:
        right = axes[1]
        for column, color in zip(profile.columns, _colors(profile.columns), strict=True):
            right.plot(profile.index, profile[column], marker="o", color=color, label=str(column))
        right.axhline(1.0, color="0.3", linewidth=0.8)
        right.set_title("Cost by week day relative to the average day")
        right.set_xlabel("week day")
        right.set_ylabel("ratio to the average day")
        _legend_outside(right)
    return fig


def _colors(columns: Iterable[object]) -> list[tuple[float, float, float, float]]:
    """Distinct colors for up to 20 series (tab20 order), the :data:`OTHER` column in grey."""
    names = [str(c) for c in columns]
    palette = colormaps["tab20" if len(names) > 10 else "tab10"]
    return [
        (0.6, 0.6, 0.6, 1.0) if name == OTHER else tuple(palette(k % palette.N))  # type: ignore[misc]
        for k, name in enumerate(names)
    ]
