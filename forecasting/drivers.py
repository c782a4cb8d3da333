"""What drove a change in cost between two periods: each dimension value's contribution to the change.

For each dimension of the series (``service``, ``account``...), every value's cost in the period before and
the period after, its change, and its share of the total change, largest contribution first: the cost
comparison "drivers" of AWS Cost Explorer and the impact analysis of Lookout for Metrics. Within one
dimension the changes add up to the total change exactly, so the shares of a dimension sum to 1.

The "after" period can be actuals or a forecast (the ``mean`` of a ``forecast run``: means add up, so a
period's expected total is the sum of its rows' means).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from costrec.suggest import did_you_mean
from forecasting.errors import DataError

__all__ = ["Drivers", "Period", "cost_drivers", "last_full_months", "parse_period"]


@dataclass(frozen=True)
class Period:
    """A calendar month (``2025-06``) or a day (``2025-06-14``): ``[start, end)``."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp

    def holds(self, ds: pd.Series) -> pd.Series:
        """Which dates lie in the period."""
        return (ds >= self.start) & (ds < self.end)


def parse_period(text: str, flag: str = "--from") -> Period:
    """Parse ``YYYY-MM`` (a month) or ``YYYY-MM-DD`` (a day).

    Example:
        >>> p = parse_period("2025-06")
        >>> p.label, str(p.start.date()), str(p.end.date())
        ('2025-06', '2025-06-01', '2025-07-01')
    """
    value = str(text).strip()
    try:
        if len(value) == 7:
            start = pd.Timestamp(f"{value}-01")
            return Period(value, start, start + pd.offsets.MonthBegin(1))
        if len(value) == 10:
            start = pd.Timestamp(value)
            return Period(value, start, start + pd.Timedelta(days=1))
    except ValueError:
        pass
    raise DataError(
        f"{flag} {text!r} is not a period; write a month as YYYY-MM (2025-06) or a day as YYYY-MM-DD"
    )


def last_full_months(series: pd.DataFrame) -> tuple[Period, Period]:
    """The last two calendar months the data cover to their end (the month to compare and the one before).

    Example:
        >>> df = pd.DataFrame({"ds": pd.date_range("2025-04-01", "2025-06-14"), "y": 1.0})
        >>> [p.label for p in last_full_months(df)]
        ['2025-04', '2025-05']
    """
    dates = pd.DatetimeIndex(series["ds"].unique())
    last = dates.max()
    if (dates.day == 1).all():  # monthly data: every label is a whole month
        after = last.to_period("M")
    else:  # finer data: the last month counts when the data reach its last day
        after = last.to_period("M") if last.is_month_end else last.to_period("M") - 1
    return parse_period(str(after - 1)), parse_period(str(after))


@dataclass(frozen=True)
class Drivers:
    """The outcome of :func:`cost_drivers`.

    Attributes:
        table: One row per dimension value: ``dimension, value, before, after, change, share`` (the share
            of the total change), sorted by the size of the change within all dimensions.
        before: The total of the period before.
        after: The total of the period after.
        labels: The two periods' labels (``"2025-05"``, ``"2025-06"`` or ``"2025-07 (forecast)"``).
    """

    table: pd.DataFrame
    before: float
    after: float
    labels: tuple[str, str]

    @property
    def change(self) -> float:
        """The total change, after minus before."""
        return self.after - self.before

    def top(self, dimension: str, n: int = 8) -> pd.DataFrame:
        """The ``n`` largest contributions of one dimension, the rest summed in one ``other`` row."""
        rows = self.table[self.table["dimension"] == dimension]
        head, rest = rows.iloc[:n], rows.iloc[n:]
        if len(rest):
            other = {
                "dimension": dimension,
                "value": f"other ({len(rest)})",
                **{c: float(rest[c].sum()) for c in ("before", "after", "change", "share")},
            }
            head = pd.concat([head, pd.DataFrame([other])], ignore_index=True)
        return head.reset_index(drop=True)


def _totals(frame: pd.DataFrame, period: Period, dims: Sequence[str], value: str) -> pd.DataFrame:
    rows = frame[period.holds(frame["ds"])]
    return rows.groupby(list(dims), dropna=False, observed=True)[value].sum().reset_index()


def cost_drivers(
    series: pd.DataFrame,
    before: Period,
    after: Period,
    dims: Sequence[str],
    *,
    forecast: pd.DataFrame | None = None,
) -> Drivers:
    """Each dimension value's contribution to the change in cost from ``before`` to ``after``.

    Args:
        series: Actual costs: ``ds, y`` plus the dimension columns (e.g. a loaded series' ``df``).
        before: The earlier period (actuals).
        after: The later period: actuals, or forecast when ``forecast`` is given.
        dims: Dimension columns to explain the change by.
        forecast: ``forecasts.parquet`` of a run (``ds, mean`` plus the dimension columns): the after
            period's costs are its expected values.

    Raises:
        DataError: A dimension that is not a column (with the closest name), a period the data do not
            cover, or ``after`` not later than ``before``.
    """
    if not after.start > before.start:
        raise DataError(f"--to {after.label} must be later than --from {before.label}")
    later = series if forecast is None else forecast
    value_after = "y" if forecast is None else "mean"
    for frame, name in ((series, "the series"), (later, "the forecast")):
        missing = [d for d in dims if d not in frame.columns]
        if missing:
            known = [c for c in frame.columns if c not in ("unique_id", "ds", "y", "model", "mean", "cutoff")]
            hint = did_you_mean(missing[0], known, listed=0)  # the message lists them all
            raise DataError(
                f"--dims: {name} have no column {missing[0]!r}.{hint} Known dimensions: {', '.join(known)}."
            )
    for frame, period, flag in ((series, before, "--from"), (later, after, "--to")):
        if not period.holds(frame["ds"]).any():
            first, last = frame["ds"].min(), frame["ds"].max()
            raise DataError(
                f"{flag} {period.label}: no data in that period; the "
                f"{'forecast' if frame is forecast else 'series'} spans {first:%Y-%m-%d} to {last:%Y-%m-%d}"
            )
    rows = []
    total_before = float(series.loc[before.holds(series["ds"]), "y"].sum())
    total_after = float(later.loc[after.holds(later["ds"]), value_after].sum())
    change = total_after - total_before
    for dim in dims:
        a = _totals(series, before, [dim], "y").rename(columns={"y": "before"})
        b = _totals(later, after, [dim], value_after).rename(columns={value_after: "after"})
        both = a.merge(b, on=dim, how="outer").fillna({"before": 0.0, "after": 0.0})
        both["change"] = both["after"] - both["before"]
        both["share"] = both["change"] / change if change != 0 else np.nan
        rows.append(both.rename(columns={dim: "value"}).assign(dimension=dim))
    table = pd.concat(rows, ignore_index=True)[["dimension", "value", "before", "after", "change", "share"]]
    table["value"] = table["value"].astype("string").fillna("(none)")
    table = table.iloc[np.argsort(-table["change"].abs().to_numpy(), kind="stable")].reset_index(drop=True)
    label = f"{after.label} (forecast)" if forecast is not None else after.label
    return Drivers(table, total_before, total_after, (before.label, label))
