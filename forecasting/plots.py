"""Fan charts of quantile forecasts: recent history, the P50 line and shaded quantile bands."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter

from forecasting.errors import DataError
from forecasting.money import format_money, tick_decimals
from forecasting.quantiles import quantile_column

__all__ = [
    "MoneyFormatter",
    "anomaly_chart",
    "date_axis",
    "fan_chart",
    "fan_chart_grid",
    "money_axis",
    "new_axes",
    "period_name",
    "save_top_fan_charts",
    "slug",
]

# The history shown before the forecast: enough to see the weekly cycle and the trend, not the whole
# two years that would squeeze the forecast into a sliver.
HISTORY_PERIODS = 120
_PERIODS = {
    "D": "day",
    "W": "week",
    "MS": "month",
    "ME": "month",
    "QS": "quarter",
    "QE": "quarter",
    "h": "hour",
}


def period_name(freq: str) -> str:
    """The word for one period of ``freq`` (``D`` -> ``day``, ``W-MON`` -> ``week``, ``MS`` -> ``month``).

    Example:
        >>> period_name("W-MON"), period_name("QS-JAN"), period_name("5min")
        ('week', 'quarter', 'period')
    """
    base = str(freq).split("-")[0].lstrip("0123456789")
    return _PERIODS.get(base, "year" if base in ("YS", "YE") else "period")


def slug(text: str, limit: int = 80) -> str:
    """A file-name-safe version of a series id.

    Example:
        >>> slug("Amazon EC2|012345678901")
        'Amazon_EC2_012345678901'
    """
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("_.")[:limit] or "series"


class MoneyFormatter(Formatter):
    """Tick labels with thousands separators and as many decimals as the axis range and ticks need.

    The decimals are chosen when the ticks are drawn, from the visible range: whole units from 100 up,
    one decimal from 10, cents below, so a 0-2 USD axis does not read 0, 0, 1, 1, 2; and more where the
    ticks need them, so a 0-0.02 USD axis reads 0.005, 0.010, 0.015 rather than 0.01, 0.01, 0.02.

    Example:
        >>> from matplotlib.figure import Figure
        >>> ax = Figure().add_subplot()
        >>> money_axis(ax.yaxis)
        >>> label = ax.yaxis.get_major_formatter()
        >>> _ = ax.set_ylim(0, 5000); label(2500.0)
        '2,500'
        >>> _ = ax.set_ylim(0, 2); label(1.5)
        '1.50'
        >>> _ = ax.set_ylim(0, 0.02); label.set_locs([0.0, 0.005, 0.01]); label(0.005)
        '0.005'
    """

    ticks: Sequence[float] = ()

    def set_locs(self, locs: list[float]) -> None:
        """Keep the tick values being labelled (matplotlib calls this before labelling them)."""
        super().set_locs(locs)
        self.ticks = [float(v) for v in locs]

    def __call__(self, x: float, pos: int | None = None) -> str:  # noqa: ARG002 - matplotlib's signature
        """The label of tick value ``x``."""
        top = max(abs(v) for v in self.axis.get_view_interval()) if self.axis is not None else abs(x)
        decimals = tick_decimals(self.ticks or [x], top)
        return f"{x:,.{decimals}f}"


def money_axis(axis: Axis) -> None:
    """Label ``axis`` (``ax.yaxis`` or ``ax.xaxis``) as money: ``12,500`` or ``1.25``."""
    axis.set_major_formatter(MoneyFormatter())


def date_axis(axis: Axis, *, max_ticks: int = 8) -> None:
    """Concise date ticks on ``axis``: ``Feb``, ``Mar``..., with the year shown once where it changes."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=max_ticks)
    axis.set_major_locator(locator)
    axis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """``ax`` and its figure, or a new one-panel figure made without pyplot (headless, backend-neutral)."""
    if ax is not None:
        fig = ax.get_figure(root=True)
        if not isinstance(fig, Figure):  # pragma: no cover - an Axes always sits in a figure
            raise TypeError("the axes are not in a figure")
        return fig, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _bands(quantiles: Sequence[float]) -> list[tuple[str, str, float, float]]:
    """Symmetric pairs of quantile columns, outermost first: (lower, upper, lower level, upper level)."""
    qs = sorted(quantiles)
    pairs = []
    for i in range(len(qs) // 2):
        lo, hi = qs[i], qs[-1 - i]
        if lo < hi:
            pairs.append((quantile_column(lo), quantile_column(hi), lo, hi))
    return pairs


def _median_column(quantiles: Sequence[float]) -> str:
    qs = np.asarray(sorted(quantiles))
    return quantile_column(float(qs[np.abs(qs - 0.5).argmin()]))


def _draw(
    ax: Axes,
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    quantiles: Sequence[float],
    *,
    title: str,
    currency: str,
    freq: str,
    history_periods: int,
    legend: bool = True,
) -> None:
    hist = history.sort_values("ds").tail(history_periods)
    fc = forecast.sort_values("ds")
    ax.plot(hist["ds"], hist["y"], color="0.25", linewidth=1.0, label="history")
    bands = _bands(quantiles)
    for k, (lo, hi, qlo, qhi) in enumerate(bands):
        # Outer band lightest; each inner band adds shade on top.
        ax.fill_between(
            fc["ds"], fc[lo], fc[hi], color="tab:blue", alpha=0.18 + 0.12 * k, linewidth=0,
            label=f"P{qlo * 100:g}-P{qhi * 100:g} band",
        )  # fmt: skip
    mid = _median_column(quantiles)
    # The last observed point joins the forecast line, so the eye sees one continuous path.
    if len(hist):
        join = pd.DataFrame({"ds": [hist["ds"].iloc[-1]], mid: [hist["y"].iloc[-1]]})
        line = pd.concat([join, fc[["ds", mid]]], ignore_index=True)
    else:
        line = fc[["ds", mid]]
    ax.plot(line["ds"], line[mid], color="tab:blue", linewidth=1.8, label=f"{mid.upper()} forecast")
    if len(fc):
        ax.axvline(fc["ds"].iloc[0], color="0.6", linestyle=":", linewidth=1.0)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("date")
    ax.set_ylabel(f"cost per {period_name(freq)} ({currency})")
    date_axis(ax.xaxis)
    money_axis(ax.yaxis)
    ax.grid(True, linewidth=0.4, alpha=0.5)
    if legend:
        ax.legend(loc="upper left", fontsize=8, frameon=False)


def fan_chart(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    quantiles: Sequence[float],
    *,
    title: str,
    currency: str = "USD",
    freq: str = "D",
    history_periods: int = HISTORY_PERIODS,
) -> Figure:
    """Draw one series: its recent history, the median forecast and the quantile bands.

    The figure is built without pyplot (the Agg renderer behind ``Figure.savefig``), so it works in
    headless runs and never changes a notebook's backend.

    Args:
        history: ``ds, y`` of the series.
        forecast: ``ds`` and the quantile columns (``p10, p50, p90``) of the series.
        quantiles: The quantile levels of ``forecast``.
        title: Chart title (the series and the model).
        currency: Unit for the y axis label.
        freq: Frequency, for the y axis label ("cost per day").
        history_periods: How many of the last history periods to show.

    Returns:
        The matplotlib figure; save it with ``fig.savefig(path)``.
    """
    fig = Figure(figsize=(9, 4.2), layout="constrained")
    _draw(
        fig.add_subplot(), history, forecast, quantiles, title=title, currency=currency, freq=freq,
        history_periods=history_periods,
    )  # fmt: skip
    return fig


def fan_chart_grid(
    panels: Sequence[tuple[str, pd.DataFrame, pd.DataFrame]],
    quantiles: Sequence[float],
    *,
    currency: str = "USD",
    freq: str = "D",
    history_periods: int = HISTORY_PERIODS,
) -> Figure:
    """Small multiples: one fan chart per ``(title, history, forecast)`` panel, two columns."""
    n = max(len(panels), 1)
    cols = 1 if n == 1 else 2
    rows = int(np.ceil(n / cols))
    fig = Figure(figsize=(9 if cols == 1 else 13, 3.6 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k >= len(panels):
            ax.set_visible(False)
            continue
        title, hist, fc = panels[k]
        _draw(
            ax, hist, fc, quantiles, title=title, currency=currency, freq=freq,
            history_periods=history_periods, legend=k == 0,
        )  # fmt: skip
    return fig


def save_top_fan_charts(
    folder: str | os.PathLike[str],
    history: pd.DataFrame,
    forecasts: pd.DataFrame,
    quantiles: Sequence[float],
    *,
    n: int = 10,
    currency: str = "USD",
    freq: str = "D",
) -> list[Path]:
    """Write a fan chart PNG for each of the ``n`` series with the largest forecast cost.

    Series are ranked by the sum of their median forecast over the horizon (what they are expected to
    cost), so a recently launched service that will be expensive is shown even with a short history.

    Args:
        folder: Where to write ``01-<series>.png``, ``02-...``.
        history: ``unique_id, ds, y``.
        forecasts: ``unique_id, ds, model`` and the quantile columns.
        quantiles: The quantile levels.
        n: Number of charts.
        currency: Unit for the y axis.
        freq: Frequency of the series.

    Returns:
        The written paths, in rank order.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    mid = _median_column(quantiles)
    top = forecasts.groupby("unique_id", sort=False)[mid].sum().sort_values(ascending=False).head(n).index
    hist_by_id = dict(tuple(history[history["unique_id"].isin(top)].groupby("unique_id", sort=False)))
    paths = []
    for rank, uid in enumerate(top, start=1):
        fc = forecasts[forecasts["unique_id"] == uid]
        model = str(fc["model"].iloc[0]) if "model" in fc.columns and len(fc) else ""
        title = f"{uid}" + (f"  ({model})" if model else "")
        fig = fan_chart(
            hist_by_id.get(uid, history.iloc[:0]), fc, quantiles, title=title, currency=currency, freq=freq
        )
        path = folder / f"{rank:02d}-{slug(str(uid))}.png"
        fig.savefig(path, dpi=110)
        paths.append(path)
    return paths


def anomaly_chart(
    history: pd.DataFrame,
    anomalies: pd.DataFrame,
    *,
    unique_id: str | None = None,
    currency: str = "USD",
    freq: str = "D",
    ax: Axes | None = None,
) -> Figure:
    """One series' cost with its flagged periods, colored by severity, and the expected band on those days.

    The most severe flagged period is labelled with its cost, the expected (median) cost and the impact,
    with the significant digits of :func:`forecasting.money.format_money`, so a sub-dollar series reads
    0.1998 against 0.0333 expected rather than 0.20 against 0.03.

    Args:
        history: ``unique_id, ds, y`` of the series (others are ignored).
        anomalies: The output of :func:`forecasting.anomalies.detect_anomalies`: ``unique_id, ds, y``,
            the band (``p10, p50, p90``), ``severity`` and ``impact``.
        unique_id: The series to draw; by default the one of the first anomaly (the most severe).
        currency: Unit for the y axis label.
        freq: Frequency, for the y axis label ("cost per day").
        ax: Axes to draw on; a new figure when None.

    Returns:
        The figure.

    Raises:
        DataError: If there is no anomaly to choose a series from, or the series has no history.
    """
    if unique_id is None:
        if anomalies.empty:
            raise DataError("no anomaly to chart; lower min_severity or pass unique_id")
        unique_id = str(anomalies["unique_id"].iloc[0])
    hist = history[history["unique_id"].astype("str") == unique_id].sort_values("ds")
    if hist.empty:
        raise DataError(f"no history for series {unique_id!r}; pass an id of the history frame")
    flagged = anomalies[anomalies["unique_id"].astype("str") == unique_id]
    lo, hi = _band_columns(anomalies)
    fig, ax = new_axes(ax, (13, 4))
    ax.plot(hist["ds"], hist["y"], color="0.35", linewidth=0.9, label=f"cost per {period_name(freq)}")
    if lo and hi:
        ax.vlines(
            flagged["ds"], flagged[lo], flagged[hi], color="tab:blue", linewidth=3, alpha=0.5,
            label=f"expected {lo.upper()}-{hi.upper()} band",
        )  # fmt: skip
    points = ax.scatter(
        flagged["ds"], flagged["y"], c=flagged["severity"], cmap="Reds", vmin=0, vmax=100,
        edgecolors="k", zorder=3, label="anomaly",
    )  # fmt: skip
    fig.colorbar(points, ax=ax, label="severity (0-100)")
    if len(flagged) and "impact" in flagged.columns:
        worst = flagged.iloc[int(np.argmax(flagged["severity"].to_numpy()))]
        expected = worst["y"] - worst["impact"]
        ax.annotate(
            f"{format_money(worst['y'])} vs {format_money(expected)} expected "
            f"({format_money(worst['impact'], sign=True)} {currency})",
            xy=(worst["ds"], worst["y"]), xytext=(8, 0), textcoords="offset points", fontsize=8,
            va="center",
        )  # fmt: skip
    ax.set_title(f"Anomalies in {unique_id}: {len(flagged)} flagged")
    ax.set_xlabel("date")
    ax.set_ylabel(f"cost per {period_name(freq)} ({currency})")
    date_axis(ax.xaxis)
    money_axis(ax.yaxis)
    ax.grid(True, linewidth=0.4, alpha=0.5)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


def _band_columns(anomalies: pd.DataFrame) -> tuple[str | None, str | None]:
    """The outermost quantile columns of an anomaly table (``p10``, ``p90``), or Nones."""
    columns = [c for c in map(str, anomalies.columns) if re.fullmatch(r"p\d+(\.\d+)?", c)]
    columns.sort(key=lambda c: float(c[1:]))
    if len(columns) < 2:
        return None, None
    return columns[0], columns[-1]
