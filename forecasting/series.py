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

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

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
    keys: pd.DataFrame,
    *,
    freq: str,
    tz: str,
    spread: str,
    unit_us: int,
    coverage_end_us: int,
) -> SeriesBuild:
    """Turn aggregated line items into a long frame ``unique_id, ds, y`` plus one column per dimension.

    Args:
        agg: Columns ``sid`` (series id), ``b0``, ``b1`` (periods of ``unit_us``; ``b1`` may be missing),
            ``n`` (line items) and ``y`` (their amount as float).
        keys: One row per series id (``0..``), one column per dimension (values may be missing).
        freq: ``H``, ``D``, ``W`` or ``M``.
        tz: IANA time zone of the periods.
        spread: ``even`` or ``start`` (see the module docstring).
        unit_us: Width of ``b0``/``b1`` periods in microseconds.
        coverage_end_us: End of the export's coverage (UTC microseconds), for the partial-period rule.
    """
    freq = normalize_freq(freq)
    b0 = agg["b0"].to_numpy(np.int64)
    b1 = agg["b1"].to_numpy(np.float64)
    # A line item without an end, or ending at its start, is a point in time: its start period.
    b1 = np.where(np.isnan(b1) | (b1 <= b0), b0 + 1, b1).astype(np.int64)
    rows, period, amount = _pieces(b0 * unit_us, b1 * unit_us, agg["y"].to_numpy(float), freq, tz, spread)
    cut, partial = _cut(coverage_end_us, freq, tz)
    beyond = period >= cut
    kept = ~beyond
    sid = agg["sid"].to_numpy(np.int64)[rows[kept]]
    labels = _labels(keys)
    rank = np.empty(len(labels), np.int64)
    rank[np.argsort(labels, kind="stable")] = np.arange(len(labels))  # output sorted by unique_id
    series, ordinal, y, filled = _fill(rank[sid], _ordinal(period[kept], freq), amount[kept])
    by_rank = np.argsort(rank)  # rank -> sid
    take = pa.array(by_rank[series])
    ds = _from_ordinal(ordinal, freq).astype("datetime64[ns]")
    table = {"unique_id": pa.array(labels).take(take), "ds": pa.array(ds), "y": pa.array(y)}
    for column in keys.columns:
        values = keys[column].astype(object).where(keys[column].notna(), NONE).tolist()
        table[str(column)] = pa.array(values, pa.string()).take(take)
    return SeriesBuild(
        frame=pa.table(table).to_pandas(),
        cut=pd.Timestamp(cut),
        partial=pd.Timestamp(cut) if partial else None,
        beyond_count=int(agg["n"].to_numpy()[np.unique(rows[beyond])].sum()),
        beyond_total=float(amount[beyond].sum()),
        zero_filled=filled,
    )


def _labels(keys: pd.DataFrame) -> np.ndarray:
    """``unique_id`` of each series: its dimension values joined by ``/`` (``total`` without dimensions)."""
    if keys.shape[1] == 0:
        return np.full(len(keys), "total", dtype=object)
    parts = [keys[c].astype(object).where(keys[c].notna(), NONE).astype(str) for c in keys.columns]
    label = parts[0]
    for p in parts[1:]:
        label = label + "/" + p
    return label.to_numpy(dtype=object)


def _from_ordinal(ordinal: np.ndarray, freq: str) -> np.ndarray:
    if freq == "M":
        return ordinal.astype("datetime64[M]").astype("datetime64[us]")
    step = {"H": 3_600_000_000, "D": 86_400_000_000, "W": 7 * 86_400_000_000}[freq]
    offset = 3 * 86_400_000_000 if freq == "W" else 0
    return (ordinal * step - offset).astype("datetime64[us]")


def _fill(
    series: np.ndarray, ordinal: np.ndarray, amount: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Sum amounts per (series, period) and add every missing period from each series' first to its last.

    Returns (series, period ordinal, y, number of added periods), sorted by series then period.
    """
    if series.size == 0:
        return series, ordinal, amount, 0
    # One int64 key per (series, period): a 1-D unique is much faster than a row-wise one.
    first_ordinal = int(ordinal.min())
    span = int(ordinal.max()) - first_ordinal + 1
    keys, inverse = np.unique(series * span + (ordinal - first_ordinal), return_inverse=True)
    points = np.stack([keys // span, keys % span + first_ordinal], axis=1)
    y_points = np.bincount(inverse.ravel(), weights=amount, minlength=len(points))
    codes, first_index = np.unique(points[:, 0], return_index=True)
    lo = points[first_index, 1]
    hi = points[np.r_[first_index[1:], len(points)] - 1, 1]
    length = hi - lo + 1
    offset = np.cumsum(length) - length
    total = int(length.sum())
    slot = np.searchsorted(codes, points[:, 0])
    y = np.zeros(total)
    y[offset[slot] + (points[:, 1] - lo[slot])] = y_points
    out_series = np.repeat(codes, length)
    out_ordinal = np.repeat(lo, length) + (np.arange(total) - np.repeat(offset, length))
    return out_series, out_ordinal, y, total - len(points)
