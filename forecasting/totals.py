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
from scipy.special import ndtri

from forecasting.errors import DataError
from forecasting.quantiles import DEFAULT_QUANTILES, quantile_columns, validate_quantiles

__all__ = [
    "TOTAL_FREQS",
    "METHOD",
    "Dependence",
    "BillTotals",
    "TotalsResult",
    "normal_scores",
    "quantile_function",
    "estimate_dependence",
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
# Normal scores are clipped here: one anomaly (a x6 day) must not dominate the correlations.
Z_CLIP = 3.5
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


def _knots(quantiles: Sequence[float]) -> np.ndarray:
    return np.asarray(ndtri(np.asarray(quantiles, dtype=float)), dtype=float)


def quantile_function(z: np.ndarray, values: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """The value at normal score ``z`` of the marginal whose quantiles are ``values``.

    Linear between the quantile levels in normal-score space (a split normal for P10, P50, P90), and
    linear beyond the outer levels with the outer segments' slopes.

    Args:
        z: Normal scores, any shape broadcastable against ``values[..., 0]``.
        values: Quantile forecasts, last axis one per level (non-decreasing).
        quantiles: The increasing levels.

    Example:
        >>> v = np.array([8.0, 10.0, 14.0])
        >>> quantile_function(np.array([-1.2816, 0.0, 0.6408]), v, [0.1, 0.5, 0.9]).round(3).tolist()
        [8.0, 10.0, 12.0]
    """
    knots = _knots(quantiles)
    if knots.size == 1:
        return np.broadcast_to(values[..., 0], np.broadcast_shapes(z.shape, values.shape[:-1])).copy()
    knots = knots.astype(values.dtype)
    # One gather per segment end instead of a pass per segment: the sampling's hot spot.
    shape = np.broadcast_shapes(z.shape, values.shape[:-1])
    # Slopes once per forecast, not per path; broadcasting makes views, not copies.
    slopes = np.broadcast_to(np.diff(values, axis=-1) / np.diff(knots), (*shape, knots.size - 1))
    values = np.broadcast_to(values, (*shape, knots.size))
    seg = np.clip(np.searchsorted(knots, np.broadcast_to(z, shape)), 1, knots.size - 1)[..., None]
    lo = np.take_along_axis(values[..., :-1], seg - 1, axis=-1)[..., 0]
    slope = np.take_along_axis(slopes, seg - 1, axis=-1)[..., 0]
    return lo + (z - knots[seg[..., 0] - 1]) * slope


def normal_scores(y: np.ndarray, values: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """The normal score of each actual under its forecast: the inverse of :func:`quantile_function`.

    A forecast with a flat band (all quantiles equal) gives 0 when the actual equals it, else the clip
    value on the actual's side. Scores are clipped to +-3.5.

    Example:
        >>> normal_scores(np.array([10.0, 12.0]), np.array([[8.0, 10.0, 14.0]] * 2), [0.1, 0.5, 0.9]).round(3)
        array([0.   , 0.641])
    """
    knots = _knots(quantiles)
    y = np.asarray(y, dtype=float)
    if knots.size == 1:
        return np.zeros(y.shape)
    below = (values <= y[:, None]).sum(axis=1)
    seg = np.clip(below, 1, knots.size - 1)
    rows = np.arange(y.size)
    lo, hi = values[rows, seg - 1], values[rows, seg]
    width = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        z = knots[seg - 1] + (y - lo) * (knots[seg] - knots[seg - 1]) / width
    flat = ~(width > 0)
    z = np.where(flat, np.sign(y - lo) * Z_CLIP, z)
    return np.clip(z, -Z_CLIP, Z_CLIP)


@dataclass(frozen=True)
class Dependence:
    """The dependence of a set of series' forecast errors, as a Gaussian copula.

    Attributes:
        factor: ``(r, n_series)`` matrix ``F`` with ``F.T @ F`` the cross-series correlation of the
            normal scores (unit diagonal for series with backtest errors, zero columns for the others).
        independent: ``(n_series,)`` weight of the independent part per series (the shrinkage; 1 for
            series without backtest errors): correlation = ``(1 - w) F.T F + w I``.
        day_share: Correlation between the scores of two days of a series (the persistent share): one
            value, or one per series.
        level_common: Extra correlation of the persistent parts shared by every series (a growth or a
            price change missed for the whole bill): their correlation is
            ``level_common + (1 - level_common) * correlation``.
    """

    factor: np.ndarray
    independent: np.ndarray
    day_share: float | np.ndarray
    level_common: float = 0.0

    @classmethod
    def independent_series(cls, n_series: int, day_share: float = 0.0) -> Dependence:
        """Series independent of each other; days correlated by ``day_share``."""
        return cls(np.zeros((1, n_series)), np.ones(n_series), day_share)

    @classmethod
    def comonotonic(cls, n_series: int) -> Dependence:
        """Every series and every day moves together (correlation 1 throughout)."""
        return cls(np.ones((1, n_series)), np.zeros(n_series), 1.0)

    def sample(self, rng: np.random.Generator, n_paths: int, n_days: int) -> np.ndarray:
        """Joint standard-normal scores, shape ``(n_paths, n_days, n_series)``."""
        r, n = self.factor.shape
        shared = np.sqrt(1.0 - self.independent)
        own = np.sqrt(self.independent)

        def draw(*shape: int) -> np.ndarray:
            # Single precision draws: twice as fast, and far finer than the P10/P90 they feed.
            correlated = rng.standard_normal((*shape, r), dtype=np.float32) @ self.factor.astype(np.float32)
            return correlated * shared + rng.standard_normal((*shape, n), dtype=np.float32) * own

        common = rng.standard_normal((n_paths, 1))
        level = np.sqrt(self.level_common) * common + np.sqrt(1.0 - self.level_common) * draw(n_paths)
        level = level[:, None, :]
        daily = draw(n_paths, n_days)
        share = np.asarray(self.day_share, dtype=float)  # broadcasts over the series axis
        return np.sqrt(share) * level + np.sqrt(1.0 - share) * daily


def estimate_dependence(backtest: pd.DataFrame, ids: Sequence[str], quantiles: Sequence[float]) -> Dependence:
    """Fit the copula's correlations on the backtest of the model chosen for each series.

    Args:
        backtest: ``unique_id, cutoff, ds, y`` and the quantile columns, one model per series.
        ids: The series, in the order of the output's columns.
        quantiles: The levels of the quantile columns.

    Returns:
        The :class:`Dependence`; series absent from ``backtest`` are independent of the others.
    """
    ids = list(ids)
    if backtest.empty or len(quantiles) < 2:
        return Dependence.independent_series(len(ids))
    from sklearn.covariance import ledoit_wolf_shrinkage

    cols = quantile_columns(quantiles)
    z = normal_scores(backtest["y"].to_numpy(float), backtest[cols].to_numpy(float), quantiles)
    scores = backtest[["unique_id", "cutoff", "ds"]].assign(z=z)
    wide = scores.pivot_table(index=["cutoff", "ds"], columns="unique_id", values="z", aggfunc="first")
    wide = wide.reindex(columns=ids)
    matrix = wide.to_numpy(float)
    seen = ~np.isnan(matrix)
    matrix = np.where(seen, matrix, 0.0)
    # Uncentred: a bias shared by the series in a window is co-movement, not noise to remove.
    rms = np.sqrt((matrix**2).sum(axis=0) / np.maximum(seen.sum(axis=0), 1))
    has = rms > 1e-9
    standard = np.where(has, matrix / np.where(has, rms, 1.0), 0.0)
    n_obs = max(standard.shape[0], 1)
    used = standard[:, has]
    shrink = float(ledoit_wolf_shrinkage(used, assume_centered=True)) if used.shape[1] > 1 else 1.0
    factor = standard / np.sqrt(n_obs)
    if n_obs > len(ids):  # a square root of the S x S matrix is smaller than the scores themselves
        corr = factor.T @ factor
        vals, vecs = np.linalg.eigh(corr)
        factor = (vecs * np.sqrt(np.clip(vals, 0.0, None))).T
    independent = np.where(has, shrink, 1.0)
    day_share = _day_share(scores, ids)
    # The shrunk daily correlation between the series that have backtest errors.
    corr = np.where(np.eye(len(ids), dtype=bool), 1.0, (1.0 - independent)[:, None] * (factor.T @ factor))
    with_errors = [uid for uid, keep in zip(ids, has, strict=True) if keep]
    return Dependence(
        factor, independent, day_share, _level_common(scores, with_errors, corr[np.ix_(has, has)])
    )


def _level_common(scores: pd.DataFrame, ids: list[str], corr: np.ndarray) -> float:
    """The common share of the windows' persistent errors, fitted to the spread of their sum over series.

    With window sums ``M[w, s]`` of the scores and a correlation ``K = c 11' + (1 - c) C`` between series,
    ``E[(sum_s M)^2] / E[sum_s M^2] = c S + (1 - c) mean_row_sum(C)``; solved for ``c``. This is the
    quantity a bill total depends on, so the daily correlations ``C`` alone (mostly day-to-day noise) do
    not set it.
    """
    wide = scores.pivot_table(index="cutoff", columns="unique_id", values="z", aggfunc="sum")
    sums = wide.reindex(columns=ids).fillna(0.0).to_numpy(float)
    n = sums.shape[1]
    if n < 2 or corr.shape[0] != n or not (sums**2).sum() > 0:
        return 0.0
    ratio = float((sums.sum(axis=1) ** 2).sum() / (sums**2).sum())
    base = float(corr.sum() / n)
    return float(np.clip((ratio - base) / (n - base), 0.0, 1.0)) if n > base else 0.0


def _day_share(scores: pd.DataFrame, ids: list[str]) -> np.ndarray:
    """The persistent share ``a`` per series: with unit-variance scores, ``E[(sum_k z_k)^2] = H + H (H-1) a``.

    Each series' own estimate (a fee set once a month persists fully, usage noise hardly) is averaged
    with the pooled one, weighted by its number of windows against one: one window is a noisy estimate.
    """
    windows = scores.groupby(["unique_id", "cutoff"], sort=False)["z"]
    frame = pd.DataFrame({"sum2": windows.sum() ** 2, "squares": windows.apply(lambda z: float((z**2).sum())),
                          "steps": windows.size()})  # fmt: skip
    frame = frame[(frame["squares"] > 0) & (frame["steps"] > 1)]
    if frame.empty:
        return np.zeros(len(ids))
    h = float(frame["steps"].mean())
    pooled = float(np.clip((frame["sum2"].sum() / frame["squares"].sum() - 1.0) / (h - 1.0), 0.0, 1.0))
    own = frame.groupby(level="unique_id").agg(
        sum2=("sum2", "sum"), squares=("squares", "sum"), steps=("steps", "mean"), windows=("steps", "size")
    )
    raw = ((own["sum2"] / own["squares"] - 1.0) / (own["steps"] - 1.0)).clip(0.0, 1.0)
    shrunk = (own["windows"] * raw + pooled) / (own["windows"] + 1.0)
    return shrunk.reindex(ids).fillna(pooled).to_numpy(float)


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
    ) -> None:
        self.quantiles = quantiles
        self.total_freq = total_freq
        self.n_paths = n_paths
        self.random_state = random_state

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
        return self._tables(pairs, periods, starts, days, running, observed)

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
            ends = (pd.Period(p, freq=TOTAL_FREQS[self.total_freq]) + 1).start_time
            steps = int(((days >= p) & (days < ends)).sum())
            total = path_sums[:, -1, :]
            qs = np.quantile(total, self.quantiles_, axis=0)
            table = pd.DataFrame({"level": level, "key": key, "period": p, "actual_to_date": actual,
                                  "observed_steps": len(seen), "forecast_steps": steps})  # fmt: skip
            table["missing_steps"] = _period_length(p, ends, days) - len(seen) - steps
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


def _period_length(start: pd.Timestamp, end: pd.Timestamp, days: pd.DatetimeIndex) -> int:
    """Steps of the forecasts' grid (``days[0] + n * step``) that fall in ``[start, end)``."""
    if len(days) < 2:
        return int(((days >= start) & (days < end)).sum())
    step, first = days[1] - days[0], days[0]
    lowest = int(np.ceil((start - first) / step))
    highest = int(np.ceil((end - first) / step)) - 1
    return max(highest - lowest + 1, 0)
