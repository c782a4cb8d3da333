"""Coherent period totals of a bill (whole bill, per service, per account) from joint sample paths.

The quantiles of a sum are not the sum of the quantiles: adding the series' P90s overstates the risk
of the bill whenever the series are not perfectly correlated, and adding P50s is wrong whenever they are
skewed. This module draws joint sample paths of every series over the horizon and adds them up, so the
bands of every total (month, week or quarter; whole bill or one dimension value) come from one
distribution and agree with each other.

**Method: a Gaussian copula fitted on the backtest errors.** Each series' daily marginal is the model's
own quantile forecast, interpolated linearly between the quantile levels in normal-score space (with
three levels, a split normal) and extended beyond the outer levels with the outer slopes. The dependence
comes from the backtest of the model chosen for each series: each actual is turned into its normal score
``z`` under the backtest's forecast (the probability integral transform), and two things are measured on
those scores:

- **across series**, their correlation matrix, shrunk towards independence by the Ledoit-Wolf weight
  (:func:`sklearn.covariance.ledoit_wolf_shrinkage`), because a backtest holds a few dozen error vectors
  for up to thousands of series;
- **across days**, the share ``a`` of each series' error that persists over the whole horizon (a level
  missed by the model): scores of two days of a series correlate by ``a``, estimated so that the model
  matches the observed spread of the scores' window sums, which is exactly what a period total depends
  on (per series, averaged with the pooled value);
- **across series, for the persistent part**, a common share ``c`` (a growth or a price change missed on
  the whole bill), fitted so that the spread of the window sums added over all series matches too: the
  daily correlations are mostly day-to-day noise and miss it.

The joint normal scores ``z[day, series] = sqrt(a) * level[series] + sqrt(1 - a) * daily[day, series]``,
the daily parts with the cross-series correlation ``C``, the persistent parts with ``c + (1 - c) C``,
are mapped through each series' marginal and added up.

Why not resample whole backtest error matrices by cutoff (the other way to keep the dependence)? A run
has 1-5 backtest windows, so resampling gives 1-5 distinct scenarios: a one-window run would have a
degenerate band. The copula keeps each series' own calibrated band (its marginal) and takes from the
backtest only the two correlations, which a single window can estimate.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd

from forecasting.copula import estimate_dependence, quantile_function
from forecasting.errors import DataError
from forecasting.frequency import infer_freq
from forecasting.quantiles import DEFAULT_QUANTILES, quantile_columns, validate_quantiles

__all__ = [
    "TOTAL_FREQS",
    "METHOD",
    "BillTotals",
    "TotalsResult",
    "check_nesting",
    "closing_steps",
    "period_end",
    "resolve_total_freq",
    "period_starts",
]

# --total-freq -> the pandas period that groups the days: calendar months, ISO weeks (Monday to Sunday)
# and calendar quarters.
TOTAL_FREQS: dict[str, str] = {"M": "M", "W": "W-SUN", "Q": "Q"}
METHOD = (
    "joint sample paths: Gaussian copula on the backtest errors' normal scores (cross-series correlation "
    "shrunk by Ledoit-Wolf, a persistent share across days, a common share of the persistent errors), "
    "each series' forecast quantiles as marginals"
)
# Paths x days x series held in memory at once while sampling.
_CHUNK_CELLS = 20_000_000


def period_starts(ds: pd.Series | pd.Index, total_freq: str = "M") -> pd.DatetimeIndex:
    """The first day of the calendar period (``M``, ``W`` or ``Q``) that holds each timestamp.

    Example:
        >>> period_starts(pd.DatetimeIndex(["2025-07-15", "2025-08-01"])).strftime("%Y-%m-%d").tolist()
        ['2025-07-01', '2025-08-01']
    """
    if total_freq not in TOTAL_FREQS:
        raise DataError(f"--total-freq must be one of {list(TOTAL_FREQS)}; got {total_freq!r}")
    return pd.DatetimeIndex(pd.DatetimeIndex(ds).to_period(TOTAL_FREQS[total_freq]).start_time)


def period_end(stamp: pd.Timestamp | str, total_freq: str = "M") -> pd.Timestamp:
    """The first instant after the calendar period (``M``, ``W`` or ``Q``) that holds ``stamp``.

    Example:
        >>> period_end(pd.Timestamp("2025-07-15")), period_end("2025-07-01", "Q")
        (Timestamp('2025-08-01 00:00:00'), Timestamp('2025-10-01 00:00:00'))
    """
    if total_freq not in TOTAL_FREQS:
        raise DataError(f"--total-freq must be one of {list(TOTAL_FREQS)}; got {total_freq!r}")
    return (pd.Period(pd.Timestamp(stamp), freq=TOTAL_FREQS[total_freq]) + 1).start_time


def check_nesting(freq: str, total_freq: str = "M") -> None:
    """Refuse period totals whose periods cut through the series' steps.

    A step covers ``[ds, ds + freq)``: days and hours nest in weeks, months and quarters, months in
    quarters; a week straddles two months, so monthly totals of weekly series would misplace days.

    Raises:
        DataError: A step of ``freq`` that spans two periods of ``total_freq``, naming an example and the
            ``--total-freq`` values that would hold whole steps.

    Example:
        >>> check_nesting("D", "M"); check_nesting("MS", "Q")
        >>> check_nesting("W-SUN", "M")
        Traceback (most recent call last):
        ...
        forecasting.errors.DataError: --total-freq M: a step of the series (W-SUN) does not fit inside one \
calendar month (for example the step from 2020-01-26 runs to 2020-02-01). Fix: give daily series.
    """
    split = _first_split(freq, total_freq)
    if split is None:
        return
    start, end = split
    fits = _holding(freq)
    fix = f"use --total-freq {' or '.join(fits)}" if fits else "give daily series"
    raise DataError(
        f"--total-freq {total_freq}: a step of the series ({freq}) does not fit inside one "
        f"{_PERIOD_NAMES[total_freq]} (for example the step from {start:%Y-%m-%d} runs to {end:%Y-%m-%d}). "
        f"Fix: {fix}."
    )


_PERIOD_NAMES = {"M": "calendar month", "W": "Monday-Sunday week", "Q": "calendar quarter"}


def resolve_total_freq(freq: str, total_freq: str | None) -> tuple[str | None, str]:
    """The periods of a run's bill totals, and why there are none when there are none.

    Args:
        freq: The series' frequency.
        total_freq: ``M``, ``W`` or ``Q`` (checked: it must hold whole steps), ``"auto"`` (calendar
            months when the steps fit in them, else quarters, else Monday-Sunday weeks) or ``None`` (no
            totals).

    Returns:
        ``(total_freq, note)``: the periods, or ``None`` with the reason in ``note``.

    Raises:
        DataError: An explicit ``total_freq`` whose periods cut through the steps (:func:`check_nesting`).

    Example:
        >>> resolve_total_freq("D", "auto"), resolve_total_freq("QS-JAN", "auto")[0]
        (('M', ''), 'Q')
    """
    if total_freq is None:
        return None, "no totals were asked for (total_freq=None)"
    if total_freq != "auto":
        check_nesting(freq, total_freq)
        return total_freq, ""
    fits = _holding(freq)
    if fits:
        return fits[0], ""
    return None, (
        f"no calendar period (month, quarter, Monday-Sunday week) holds whole steps of {freq}; label the "
        "steps by the first day they cover (weeks by their Monday), or give daily series"
    )


def closing_steps(last: pd.Timestamp, freq: str, h: int, total_freq: str, most: int) -> int:
    """The steps after ``last`` that take ``h`` to the end of the last period it touches.

    A horizon of 30 days from 1 July ends on 30 July: the July bill needs 31 July too. The period is
    closed only when that adds at most ``h`` steps (a total mostly made of days never backtested would
    be a guess) and keeps the horizon within ``most`` (the horizon rule); otherwise ``h``, and the
    period's total says how many steps it lacks.

    Example:
        >>> closing_steps(pd.Timestamp("2025-06-30"), "D", 30, "M", 243)
        31
    """
    from pandas.tseries.frequencies import to_offset

    offset = to_offset(freq)
    ends = period_end(last + h * offset, total_freq)
    steps = len(pd.date_range(last + offset, ends, freq=offset, inclusive="left"))
    return steps if h < steps <= min(2 * h, most) else h


def _holding(freq: str) -> list[str]:
    """The ``--total-freq`` values whose periods hold whole steps of ``freq``, the preferred first."""
    return [f for f in ("M", "Q", "W") if _first_split(freq, f) is None]


def _first_split(freq: str, total_freq: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first step (start, last day) of ``freq`` on a test grid that crosses a period boundary."""
    from pandas.tseries import offsets
    from pandas.tseries.frequencies import to_offset

    offset = to_offset(freq)
    grid = pd.date_range("2020-01-01", periods=120, freq=offset)
    if isinstance(offset, offsets.MonthEnd | offsets.QuarterEnd | offsets.YearEnd):
        # Month-end (ME), quarter-end and year-end stamps label the step that ends there.
        first = pd.DatetimeIndex([d - offset for d in grid]) + pd.Timedelta(1, "D")
        last = grid
    else:
        first = grid
        last = pd.DatetimeIndex([d + offset for d in grid]) - pd.Timedelta(1, "ns")
    split = np.flatnonzero(period_starts(first, total_freq) != period_starts(last, total_freq))
    return (first[split[0]], last[split[0]].normalize()) if split.size else None


@dataclass(frozen=True)
class TotalsResult:
    """What :meth:`BillTotals.predict` returns.

    Attributes:
        table: ``level, key, period, actual_to_date, observed_steps, forecast_steps, missing_steps``,
            one column per quantile and ``mean``: one row per level, key and period.
        daily: ``level, key, period, ds`` and the quantiles and mean of the running total of the period
            at the end of ``ds`` (observed days included, where every quantile is the actual).
        samples: ``level, key, period, sample, total``: the sampled period totals.
    """

    table: pd.DataFrame
    daily: pd.DataFrame
    samples: pd.DataFrame


class BillTotals:
    """Totals of a bill per level (whole bill, each dimension), key and calendar period.

    Args:
        quantiles: Levels of the forecasts' quantile columns, reported for the totals too.
        total_freq: ``M`` (calendar months, default), ``W`` (Monday-Sunday weeks) or ``Q``.
        n_paths: Joint sample paths drawn.
        random_state: Seed of the draws (same seed, same totals).
        freq: The series' frequency (``D``, ``MS``, ...), which counts the steps of each period; ``None``
            infers it from the forecast dates.

    Attributes:
        dependence_: The fitted :class:`Dependence`.
        ids_: The series, in the dependence's order.
        dims_: ``unique_id`` and the dimension columns.

    Example:
        >>> ds = pd.date_range("2025-01-30", periods=4)
        >>> fc = pd.DataFrame({"unique_id": "a", "ds": ds, "p10": 1.0, "p50": 2.0, "p90": 3.0})
        >>> hist = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2025-01-01", "2025-01-29"), "y": 1.0})
        >>> t = BillTotals(n_paths=2000).fit(None, pd.DataFrame({"unique_id": ["a"]})).predict(fc, hist)
        >>> t.table[["period", "actual_to_date", "missing_steps"]].astype(str).values.tolist()
        [['2025-01-01', '29.0', '0'], ['2025-02-01', '0.0', '26']]
    """

    def __init__(
        self,
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
        total_freq: str = "M",
        n_paths: int = 1000,
        random_state: int = 0,
        freq: str | None = None,
    ) -> None:
        self.quantiles = quantiles
        self.total_freq = total_freq
        self.n_paths = n_paths
        self.random_state = random_state
        self.freq = freq

    def fit(self, backtest: pd.DataFrame | None, dims: pd.DataFrame) -> Self:
        """Learn the dependence from ``backtest`` (the chosen model's rows; ``None``: independent series).

        Args:
            backtest: ``unique_id, cutoff, ds, y`` and the quantile columns.
            dims: One row per series: ``unique_id`` and its dimension columns (``service``, ...).
        """
        self.quantiles_ = validate_quantiles(self.quantiles)
        period_starts(pd.DatetimeIndex([]), self.total_freq)
        if int(self.n_paths) < 100:
            raise DataError(f"n_paths must be at least 100 for stable P10/P90; got {self.n_paths!r}")
        self.dims_ = dims.reset_index(drop=True).astype({"unique_id": "str"})
        self.ids_ = self.dims_["unique_id"].tolist()
        frame = backtest if backtest is not None else pd.DataFrame()
        self.dependence_ = estimate_dependence(frame, self.ids_, self.quantiles_)
        return self

    def _keys(self) -> tuple[list[tuple[str, str]], np.ndarray]:
        """The (level, key) pairs and the 0/1 membership matrix series x keys."""
        levels = [c for c in self.dims_.columns if c != "unique_id"]
        pairs: list[tuple[str, str]] = [("total", "total")]
        columns = [np.ones(len(self.ids_))]
        for level in levels:
            values = self.dims_[level].astype("str")
            for key in sorted(values.unique()):
                pairs.append((level, key))
                columns.append((values == key).to_numpy(float))
        return pairs, np.column_stack(columns)

    def paths(self, marginals: np.ndarray, floor: np.ndarray) -> Iterator[np.ndarray]:
        """Joint daily values, chunks of shape ``(paths, days, series)``, from marginal quantiles.

        Args:
            marginals: ``(days, series, quantiles)`` quantile forecasts.
            floor: ``(series,)`` lowest value a path may take (0 for a series never negative).
        """
        rng = np.random.default_rng(self.random_state)
        n_days, n_series = marginals.shape[:2]
        chunk = max(1, _CHUNK_CELLS // max(n_days * n_series, 1))
        for start in range(0, int(self.n_paths), chunk):
            z = self.dependence_.sample(rng, min(chunk, int(self.n_paths) - start), n_days)
            yield np.maximum(quantile_function(z, marginals[None], self.quantiles_), floor)

    def predict(self, forecasts: pd.DataFrame, history: pd.DataFrame) -> TotalsResult:
        """Totals of every level, key and period the forecasts touch.

        Args:
            forecasts: ``unique_id, ds`` and the quantile columns (``predict(h)`` output).
            history: ``unique_id, ds, y``: what is observed (the actual to date of the first period).
        """
        if not hasattr(self, "dependence_"):
            raise DataError("BillTotals is not fitted yet; call fit(backtest, dims) before predict")
        cols = quantile_columns(self.quantiles_)
        days = pd.DatetimeIndex(np.sort(forecasts["ds"].unique()))
        freq = self.freq or (infer_freq(days) if len(days) >= 3 else None)
        if freq is not None:
            check_nesting(freq, self.total_freq)
        index = {uid: i for i, uid in enumerate(self.ids_)}
        rows = forecasts["unique_id"].astype("str").map(index)
        if rows.isna().any():
            raise DataError(f"forecasts name series the totals were not fitted on: {rows[rows.isna()].index}")
        marginals = np.zeros((len(days), len(self.ids_), len(cols)))
        marginals[days.get_indexer(pd.DatetimeIndex(forecasts["ds"])), rows.to_numpy(int)] = forecasts[
            cols
        ].to_numpy(float)
        lowest = history.groupby(history["unique_id"].astype("str"))["y"].min().reindex(self.ids_)
        floor = np.where(lowest.fillna(0.0).to_numpy(float) >= 0, 0.0, -np.inf)

        pairs, member = self._keys()
        starts = period_starts(days, self.total_freq)
        periods = pd.DatetimeIndex(starts.unique())
        # Single precision through the paths halves the memory traffic of the sampling (its cost); the
        # rounding, 1e-7 of a period's total, is far below a cent on any bill.
        chunks = self.paths(marginals.astype(np.float32), floor.astype(np.float32))
        running = np.concatenate([chunk @ member.astype(np.float32) for chunk in chunks], axis=0)
        running = running.astype(float)
        for p in periods:  # running totals restart with each period
            at = np.flatnonzero(starts == p)
            running[:, at] = np.cumsum(running[:, at], axis=1)

        observed = self._observed(history, periods, days[0], member)
        return self._tables(pairs, periods, starts, days, running, observed, freq)

    def _observed(
        self, history: pd.DataFrame, periods: pd.DatetimeIndex, first: pd.Timestamp, member: np.ndarray
    ) -> pd.DataFrame:
        """Observed running totals per key and day of the forecast periods: ``ds, period, k0..kK``."""
        hist = history[(history["ds"] < first) & (history["ds"] >= periods[0])]
        wide = hist.pivot_table(index="ds", columns="unique_id", values="y", aggfunc="sum")
        wide = wide.reindex(columns=self.ids_).fillna(0.0)
        by_key = pd.DataFrame(wide.to_numpy(float) @ member, index=wide.index)
        out = by_key.groupby(period_starts(by_key.index, self.total_freq)).cumsum()
        return out.assign(period=period_starts(out.index, self.total_freq)).rename_axis("ds").reset_index()

    def _tables(
        self,
        pairs: list[tuple[str, str]],
        periods: pd.DatetimeIndex,
        starts: pd.DatetimeIndex,
        days: pd.DatetimeIndex,
        running: np.ndarray,
        observed: pd.DataFrame,
        freq: str | None,
    ) -> TotalsResult:
        cols = quantile_columns(self.quantiles_)
        daily_q = sorted({*self.quantiles_, 0.5, 0.9})
        daily_cols = quantile_columns(daily_q)
        level, key = [p[0] for p in pairs], [p[1] for p in pairs]
        n_keys, n_paths = len(pairs), running.shape[0]
        tables, dailies, samples = [], [], []
        for p in periods:
            at = np.flatnonzero(starts == p)
            seen = observed[observed["period"] == p]
            actual = seen.iloc[-1][list(range(n_keys))].to_numpy(float) if len(seen) else np.zeros(n_keys)
            path_sums = running[:, at] + actual  # (paths, days, keys)
            ends = period_end(p, self.total_freq)
            steps = int(((days >= p) & (days < ends)).sum())
            total = path_sums[:, -1, :]
            qs = np.quantile(total, self.quantiles_, axis=0)
            table = pd.DataFrame({"level": level, "key": key, "period": p, "actual_to_date": actual,
                                  "observed_steps": len(seen), "forecast_steps": steps})  # fmt: skip
            table["missing_steps"] = _period_length(p, ends, days, freq) - len(seen) - steps
            table[cols] = qs.T
            table["mean"] = total.mean(axis=0)
            tables.append(table)
            dq = np.quantile(path_sums, daily_q, axis=0)  # (q, days, keys)
            seen_values = seen[list(range(n_keys))].to_numpy(float)  # (observed days, keys)
            values = np.concatenate([np.repeat(seen_values[:, :, None], len(daily_q), axis=2),
                                     dq.transpose(1, 2, 0)])  # fmt: skip
            n_days = values.shape[0]
            stamps = np.concatenate([seen["ds"].to_numpy(), days[at].to_numpy()])
            frame = pd.DataFrame({"level": np.tile(level, n_days), "key": np.tile(key, n_days), "period": p,
                                  "ds": np.repeat(stamps, n_keys)})  # fmt: skip
            frame[daily_cols] = values.reshape(-1, len(daily_q))
            frame["mean"] = np.concatenate([seen_values, path_sums.mean(axis=0)]).ravel()
            dailies.append(frame)
            samples.append(pd.DataFrame({
                "level": np.repeat(level, n_paths), "key": np.repeat(key, n_paths), "period": p,
                "sample": np.tile(np.arange(n_paths), n_keys), "total": total.T.ravel(),
            }))  # fmt: skip
        daily = pd.concat(dailies, ignore_index=True).sort_values(["level", "key", "period", "ds"])
        return TotalsResult(
            pd.concat(tables, ignore_index=True),
            daily.reset_index(drop=True),
            pd.concat(samples, ignore_index=True),
        )


def _period_length(start: pd.Timestamp, end: pd.Timestamp, days: pd.DatetimeIndex, freq: str | None) -> int:
    """Steps of the series' grid in ``[start, end)``: the calendar's own (28-31 days in a month of ``D``,
    one ``MS`` step), or without a frequency the forecasts' first step repeated."""
    if freq is not None:
        return len(pd.date_range(start, end, freq=freq, inclusive="left"))
    if len(days) < 2:
        return int(((days >= start) & (days < end)).sum())
    step, first = days[1] - days[0], days[0]
    lowest = int(np.ceil((start - first) / step))
    highest = int(np.ceil((end - first) / step)) - 1
    return max(highest - lowest + 1, 0)
