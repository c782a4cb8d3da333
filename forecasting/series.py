"""Cost series from the scan aggregate: periods in a time zone, spread charges, partial periods, gaps.

The input is small (one row per series key, charge type and period), so this step is plain numpy/pandas.

- Periods are hours, days, weeks (starting Monday) or months (``ds`` is the period's first instant) of
  the wall clock in ``tz`` (UTC by default); ``ds`` is naive local time.
- A line item spanning several periods (a monthly fee or tax, a one-year purchase, or a UTC day seen from
  another time zone) is spread over them in proportion to time when ``spread="even"`` (the default), or
  put whole in the period holding its start when ``spread="start"``.
- The export's coverage ends at the latest end of its usage-like (at most one day long) line items. A
  last period that coverage does not reach to its end (an export taken mid-day) is partial: it is dropped
  with a warning. Amounts falling after the last complete period (the partial period, and later shares of
  spread charges) are reported, never silently lost.
- Periods without line items between a series' first and last period get ``y = 0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.errors import DataError

__all__ = ["FREQS", "SeriesBuild", "build_series", "normalize_freq", "base_unit_us", "pandas_freq", "NONE"]

FREQS: dict[str, str] = {"H": "hourly", "D": "daily", "W": "weekly (weeks start on Monday)", "M": "monthly"}
_SPELLINGS = {"h": "H", "hour": "H", "hourly": "H", "d": "D", "day": "D", "daily": "D", "w": "W",
              "week": "W", "weekly": "W", "w-mon": "W", "m": "M", "ms": "M", "month": "M",
              "monthly": "M"}  # fmt: skip
US = {"H": 3_600_000_000, "D": 86_400_000_000}
NONE = "(none)"  # dimension value of line items that have none (e.g. untagged)


def normalize_freq(freq: str) -> str:
    """``H``, ``D``, ``W`` or ``M`` from the usual spellings (``h``, ``daily``, ``MS``, ...).

    Example:
        >>> normalize_freq("daily"), normalize_freq("MS"), normalize_freq("h")
        ('D', 'M', 'H')
    """
    key = freq.strip().lower()
    if key not in _SPELLINGS:
        raise DataError(
            f"unknown frequency {freq!r}. Fix: use H (hourly), D (daily), W (weekly) or M (monthly)."
        )
    return _SPELLINGS[key]


def pandas_freq(freq: str) -> str:
    """The pandas alias of the output grid: ``h``, ``D``, ``W-MON`` or ``MS``."""
    return {"H": "h", "D": "D", "W": "W-MON", "M": "MS"}[normalize_freq(freq)]


def base_unit_us(freq: str, tz: str) -> int:
    """Width of the periods the scan aggregates to, in microseconds.

    A UTC day for daily/weekly/monthly series in UTC (24 times fewer groups than hours for hourly
    exports); an hour for hourly series; 15 minutes in other time zones, since every UTC offset in use
    is a multiple of 15 minutes.
    """
    if normalize_freq(freq) == "H":
        return US["H"] if tz.upper() == "UTC" else 900_000_000
    return US["D"] if tz.upper() == "UTC" else 900_000_000


@dataclass(frozen=True)
class SeriesBuild:
    """The long series frame and what was dropped after the last complete period."""

    frame: pd.DataFrame
    cut: pd.Timestamp | None  # first local period not kept (None: nothing)
    partial: pd.Timestamp | None  # the partial last period that was dropped, if any
    beyond_count: int  # line items with some amount at or after ``cut``
    beyond_total: float
    zero_filled: int


def _floor(local: np.ndarray, freq: str) -> np.ndarray:
    """Period start (datetime64[us]) of naive local times."""
    if freq == "H":
        return local.astype("datetime64[h]").astype("datetime64[us]")
    days = local.astype("datetime64[D]")
    if freq == "D":
        return days.astype("datetime64[us]")
    if freq == "W":  # 1970-01-01 was a Thursday: Monday-based weekday = (days + 3) % 7
        return (days - (days.astype(np.int64) + 3) % 7).astype("datetime64[us]")
    return local.astype("datetime64[M]").astype("datetime64[us]")


def _shift(period: np.ndarray, freq: str, k: np.ndarray | int) -> np.ndarray:
    """Period start ``k`` periods after ``period``."""
    k = np.asarray(k, dtype=np.int64)
    if freq == "M":
        return (period.astype("datetime64[M]") + k).astype("datetime64[us]")
    step = {"H": 3_600_000_000, "D": 86_400_000_000, "W": 7 * 86_400_000_000}[freq]
    return period + (k * step).astype("timedelta64[us]")


def _ordinal(period: np.ndarray, freq: str) -> np.ndarray:
    if freq == "M":
        return period.astype("datetime64[M]").astype(np.int64)
    step = {"H": 3_600_000_000, "D": 86_400_000_000, "W": 7 * 86_400_000_000}[freq]
    offset = 3 * 86_400_000_000 if freq == "W" else 0  # weeks counted from Monday 1969-12-29
    return (period.astype(np.int64) + offset) // step


def _to_local(us: np.ndarray, tz: str) -> np.ndarray:
    if tz.upper() == "UTC":
        return us.astype("datetime64[us]")
    idx = pd.DatetimeIndex(us.astype("datetime64[us]")).tz_localize("UTC").tz_convert(tz).tz_localize(None)
    return idx.to_numpy().astype("datetime64[us]")


def _to_utc_us(local: np.ndarray, tz: str) -> np.ndarray:
    if tz.upper() == "UTC":
        return local.astype("datetime64[us]").astype(np.int64)
    idx = pd.DatetimeIndex(local).tz_localize(
        tz, ambiguous=np.ones(len(local), bool), nonexistent="shift_forward"
    )
    return idx.tz_convert("UTC").tz_localize(None).as_unit("us").asi8


def _pieces(
    start_us: np.ndarray, end_us: np.ndarray, cost: np.ndarray, freq: str, tz: str, spread: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, period start, amount) for every period each row's amount falls in."""
    first = _floor(_to_local(start_us, tz), freq)
    last = _floor(_to_local(end_us - 1, tz), freq)
    multi = (last > first) if spread == "even" else np.zeros(len(first), bool)
    rows = np.flatnonzero(~multi)
    out_rows, out_period, out_amount = [rows], [first[rows]], [cost[rows]]
    idx = np.flatnonzero(multi)
    if idx.size:
        k = _ordinal(last[idx], freq) - _ordinal(first[idx], freq) + 1
        rep = np.repeat(idx, k)
        j = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
        lo = _shift(first[rep], freq, j)
        lo_us, hi_us = _to_utc_us(lo, tz), _to_utc_us(_shift(lo, freq, 1), tz)
        overlap = np.clip(np.minimum(end_us[rep], hi_us) - np.maximum(start_us[rep], lo_us), 0, None)
        # Normalise per row so each row's shares add up to exactly its amount, DST days included.
        share = overlap / np.bincount(rep, weights=overlap, minlength=len(cost))[rep]
        out_rows.append(rep)
        out_period.append(lo)
        out_amount.append(cost[rep] * share)
    return np.concatenate(out_rows), np.concatenate(out_period), np.concatenate(out_amount)


def _cut(coverage_end_us: int, freq: str, tz: str) -> tuple[np.datetime64, bool]:
    """First period not kept, and whether the last period was partial."""
    end_local = _to_local(np.array([coverage_end_us]), tz)
    last = _floor(_to_local(np.array([coverage_end_us - 1]), tz), freq)
    nxt = _shift(last, freq, 1)
    partial = bool(end_local[0] < nxt[0])
    return (last[0] if partial else nxt[0]), partial


def build_series(
    agg: pd.DataFrame,
    dims: Sequence[str],
    *,
    freq: str,
    tz: str,
    spread: str,
    unit_us: int,
    coverage_end_us: int,
) -> SeriesBuild:
    """Turn aggregated line items into a long frame ``unique_id, ds, y`` plus one column per dimension.

    Args:
        agg: Rows with ``d0..`` (dimension values), ``b0``, ``b1`` (periods of ``unit_us``), ``n`` and
            ``y`` (the amount as float).
        dims: Dimension names, in the order of ``d0..``.
        freq: ``H``, ``D``, ``W`` or ``M``.
        tz: IANA time zone of the periods.
        spread: ``even`` or ``start`` (see the module docstring).
        unit_us: Width of ``b0``/``b1`` periods in microseconds.
        coverage_end_us: End of the export's coverage (UTC microseconds), for the partial-period rule.
    """
    freq = normalize_freq(freq)
    keys = [f"d{i}" for i in range(len(dims))]
    start_us = agg["b0"].to_numpy(np.int64) * unit_us
    end_us = agg["b1"].to_numpy(np.int64) * unit_us
    rows, period, amount = _pieces(start_us, end_us, agg["y"].to_numpy(float), freq, tz, spread)
    cut, partial = _cut(coverage_end_us, freq, tz)
    beyond = period >= cut
    beyond_rows = np.unique(rows[beyond])
    kept = ~beyond
    labels = _labels(agg, keys)
    frame = pd.DataFrame({"key": labels[rows[kept]], "ds": period[kept], "y": amount[kept]})
    points = frame.groupby(["key", "ds"], sort=True)["y"].sum().reset_index()
    full, filled = _fill(points, freq)
    dim_values = _dim_table(agg, keys, labels, dims)
    out = full.merge(dim_values, on="key", how="left").rename(columns={"key": "unique_id"})
    out["ds"] = out["ds"].astype("datetime64[ns]")
    out = out[["unique_id", "ds", "y", *dims]].sort_values(["unique_id", "ds"], kind="stable")
    return SeriesBuild(
        frame=out.reset_index(drop=True),
        cut=pd.Timestamp(cut),
        partial=pd.Timestamp(cut) if partial else None,
        beyond_count=int(agg["n"].to_numpy()[beyond_rows].sum()),
        beyond_total=float(amount[beyond].sum()),
        zero_filled=filled,
    )


def _labels(agg: pd.DataFrame, keys: list[str]) -> np.ndarray:
    if not keys:
        return np.full(len(agg), "total", dtype=object)
    parts = [agg[k].astype(object).where(agg[k].notna(), NONE).astype(str) for k in keys]
    label = parts[0]
    for p in parts[1:]:
        label = label + "/" + p
    return label.to_numpy(dtype=object)


def _dim_table(agg: pd.DataFrame, keys: list[str], labels: np.ndarray, dims: Sequence[str]) -> pd.DataFrame:
    table = pd.DataFrame({"key": labels})
    for key, dim in zip(keys, dims, strict=True):
        table[dim] = agg[key].astype(object).where(agg[key].notna(), NONE).astype(str).to_numpy()
    return table.drop_duplicates("key")


def _fill(points: pd.DataFrame, freq: str) -> tuple[pd.DataFrame, int]:
    """Every period from each series' first to its last, zeros where nothing was billed."""
    if points.empty:
        return pd.DataFrame({"key": pd.Series(dtype=object), "ds": pd.Series(dtype="datetime64[us]"),
                             "y": pd.Series(dtype=float)}), 0  # fmt: skip
    codes, uniques = pd.factorize(points["key"], sort=True)
    ordinal = _ordinal(points["ds"].to_numpy().astype("datetime64[us]"), freq)
    lo = np.full(len(uniques), np.iinfo(np.int64).max)
    hi = np.full(len(uniques), np.iinfo(np.int64).min)
    np.minimum.at(lo, codes, ordinal)
    np.maximum.at(hi, codes, ordinal)
    length = hi - lo + 1
    offset = np.cumsum(length) - length
    y = np.zeros(int(length.sum()))
    np.add.at(y, offset[codes] + (ordinal - lo[codes]), points["y"].to_numpy(float))
    series = np.repeat(np.arange(len(uniques)), length)
    step = np.arange(int(length.sum())) - np.repeat(offset, length)
    first = points.groupby(codes)["ds"].min().to_numpy().astype("datetime64[us]")
    ds = _shift(first[series], freq, step)
    full = pd.DataFrame({"key": np.asarray(uniques, dtype=object)[series], "ds": ds, "y": y})
    return full, int(length.sum()) - len(points)
