"""What drove a change in cost between two periods: each dimension value's contribution to the change.

For each dimension of the series (``service``, ``account``...), every value's cost in the period before and
the period after, its change, and its share of the total change, largest contribution first: the cost
comparison "drivers" of AWS Cost Explorer and the impact analysis of Lookout for Metrics. Within one
dimension the changes add up to the total change exactly, so the shares of a dimension sum to 1.

The "after" period can be actuals or a forecast: the expected totals (``mean``) of a ``forecast run``'s
``totals.parquet``, which cover the whole period (its observed days, the forecast, and the days forecast
past the horizon to close it), so a month is compared with a whole month and the figures agree with
``forecast budget``. Summing ``forecasts.parquet`` instead would miss the days outside ``--horizon``.
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

    @property
    def unit(self) -> str:
        """``"day"`` or ``"month"``: comparing periods of different units compares unlike amounts."""
        return "day" if self.end - self.start == pd.Timedelta(days=1) else "month"

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


def _text(values: pd.Series) -> pd.Series:
    """Dimension values as the text keys both sides are matched on (missing values: ``(none)``).

    ``astype("str")`` first, as :class:`forecasting.totals.BillTotals` writes its keys, so an actual's
    value and a run's key for the same value are the same text (``12`` and ``"12"`` alike).
    """
    return values.astype("str").astype("string").fillna("(none)")


def _sums(frame: pd.DataFrame, period: Period, dim: str, value: str) -> pd.Series:
    rows = frame[period.holds(frame["ds"])]
    sums = rows.groupby(dim, dropna=False, observed=True)[value].sum()
    return sums.groupby(_text(sums.index.to_series()).to_numpy()).sum()


def _check_periods(before: Period, after: Period) -> None:
    if before.unit != after.unit:
        raise DataError(
            f"--from {before.label} is a {before.unit} and --to {after.label} a {after.unit}; compare two "
            "months (--from 2025-05 --to 2025-06) or two days (--from 2025-06-13 --to 2025-06-14)"
        )
    if after.start < before.end:
        raise DataError(
            f"--to {after.label} must be later than --from {before.label} and not overlap it; pass the "
            "earlier period as --from"
        )


def _forecast_sums(totals: pd.DataFrame, after: Period, dims: Sequence[str], total_freq: str) -> pd.DataFrame:
    """The run's expected totals (``mean``) of the ``after`` period: ``level, key, mean`` rows.

    Raises:
        DataError: The run's totals are not by calendar month, ``after`` is not one of their periods, or a
            dimension is not one of their levels.
    """
    periods = sorted(pd.DatetimeIndex(totals["period"].unique()))
    if total_freq != "M":
        listed = ", ".join(f"{p:%Y-%m-%d}" for p in periods)
        raise DataError(
            f"--forecast: the run's totals are by {'week' if total_freq == 'W' else 'quarter'} (total_freq "
            f"{total_freq}: {listed}), drivers compare months; rerun `forecast run` with --total-freq M"
        )
    listed = ", ".join(f"{p:%Y-%m}" for p in periods)
    if after.unit != "month" or after.start not in periods:
        raise DataError(
            f"--to {after.label}: the run's totals cover the month(s) {listed}; pass one of them as --to, "
            "or rerun `forecast run` with a --horizon that reaches the month"
        )
    levels = [lv for lv in dict.fromkeys(totals["level"]) if lv != "total"]
    missing = [d for d in dims if d not in levels]
    if missing:
        hint = did_you_mean(missing[0], levels, listed=0)  # the message lists them all
        raise DataError(
            f"--dims: the run's totals have no level {missing[0]!r}.{hint} "
            f"Levels: {', '.join(levels) or 'none (one total series)'}; pass those, or rerun `forecast run` "
            f"with --dims {','.join(dims)}"
        )
    rows = totals[pd.DatetimeIndex(totals["period"]) == after.start]
    lacking = int(rows["missing_steps"].max()) if "missing_steps" in rows.columns else 0
    if lacking:
        steps = int(rows[["observed_steps", "forecast_steps", "missing_steps"]].iloc[0].sum())
        raise DataError(
            f"--to {after.label}: the run's total of that month lacks {lacking} of its {steps} steps, which "
            "lie beyond its horizon; rerun `forecast run` with a --horizon that reaches the month's end"
        )
    return rows[["level", "key", "mean"]]


def cost_drivers(
    series: pd.DataFrame,
    before: Period,
    after: Period,
    dims: Sequence[str],
    *,
    totals: pd.DataFrame | None = None,
    total_freq: str = "M",
) -> Drivers:
    """Each dimension value's contribution to the change in cost from ``before`` to ``after``.

    Args:
        series: Actual costs: ``ds, y`` plus the dimension columns (e.g. a loaded series' ``df``).
        before: The earlier period (actuals).
        after: The later period: actuals, or the run's forecast when ``totals`` is given.
        dims: Dimension columns to explain the change by.
        totals: ``totals.parquet`` of a run (``level, key, period, mean``, e.g.
            :func:`forecasting.budget.load_totals`'s ``table``): the after period's costs are the expected
            totals of the whole period, observed days included.
        total_freq: The periods of ``totals`` (``summary.json``'s ``totals.total_freq``); only calendar
            months (``M``) can be compared.

    Raises:
        DataError: A dimension that is not a column (with the closest name) or not a level of ``totals``,
            a period the data do not cover, periods of different units (a month and a day) or ``after``
            not later than ``before``.
    """
    _check_periods(before, after)
    if not dims:
        raise DataError("--dims: no dimension to explain the change by; name one, e.g. service,account")
    for dim in dims:
        if dim not in series.columns:
            known = [c for c in series.columns if c not in ("unique_id", "ds", "y")]
            hint = did_you_mean(dim, known, listed=0)  # the message lists them all
            raise DataError(
                f"--dims: the series have no column {dim!r}.{hint} Known dimensions: {', '.join(known)}."
            )
    expected = None if totals is None else _forecast_sums(totals, after, dims, total_freq)
    checks = [(before, "--from")] if expected is not None else [(before, "--from"), (after, "--to")]
    for period, flag in checks:
        if not period.holds(series["ds"]).any():
            first, last = series["ds"].min(), series["ds"].max()
            raise DataError(
                f"{flag} {period.label}: no data in that period; the series spans "
                f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
            )
    total_before = float(series.loc[before.holds(series["ds"]), "y"].sum())
    if expected is None:
        total_after = float(series.loc[after.holds(series["ds"]), "y"].sum())
    else:
        total_after = float(expected.loc[expected["level"] == "total", "mean"].sum())
    change = total_after - total_before
    rows = []
    for dim in dims:
        was = _sums(series, before, dim, "y")
        if expected is None:
            now = _sums(series, after, dim, "y")
        else:
            mine = expected[expected["level"] == dim]
            now = mine["mean"].groupby(_text(mine["key"]).to_numpy()).sum()
        both = pd.DataFrame({"before": was, "after": now}).fillna(0.0)
        both = both.rename_axis("value").reset_index()
        both["change"] = both["after"] - both["before"]
        both["share"] = both["change"] / change if change != 0 else np.nan
        rows.append(both.assign(dimension=dim))
    table = pd.concat(rows, ignore_index=True)[["dimension", "value", "before", "after", "change", "share"]]
    table["value"] = table["value"].astype("string")
    table = table.iloc[np.argsort(-table["change"].abs().to_numpy(), kind="stable")].reset_index(drop=True)
    label = f"{after.label} (forecast)" if totals is not None else after.label
    return Drivers(table, total_before, total_after, (before.label, label))
