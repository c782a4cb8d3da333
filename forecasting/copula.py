"""The Gaussian copula of forecast errors: marginals from quantile forecasts, dependence from backtests.

Used by :mod:`forecasting.totals` to draw joint sample paths of many series; see there for why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri

from forecasting.quantiles import quantile_columns

__all__ = ["Z_CLIP", "Dependence", "estimate_dependence", "normal_scores", "quantile_function"]

# Normal scores are clipped here: one anomaly (a x6 day) must not dominate the correlations.
Z_CLIP = 3.5


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
    # The same line in hinge form, v0 + s0 (z - k0) + sum_j (s_j - s_(j-1)) max(z - k_j, 0): a few
    # elementwise passes instead of a search and gathers per cell (the sampling's hot spot).
    slopes = np.diff(values, axis=-1) / np.diff(knots)
    out = (z - knots[0]) * slopes[..., 0]
    out += values[..., 0]
    for j in range(1, knots.size - 1):
        hinge = np.maximum(z - knots[j], 0.0)
        hinge *= slopes[..., j] - slopes[..., j - 1]
        out += hinge
    return out


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

        common = rng.standard_normal((n_paths, 1), dtype=np.float32)
        c = np.float32(self.level_common)
        level = np.sqrt(c) * common + np.sqrt(1 - c) * draw(n_paths)
        level = level[:, None, :]
        daily = draw(n_paths, n_days)
        # Single precision throughout: a float64 share would promote the whole (paths, days, series) array.
        share = np.asarray(self.day_share, dtype=np.float32)  # broadcasts over the series axis
        daily *= np.sqrt(1 - share)
        daily += np.sqrt(share) * level
        return daily


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
    # Each column over its own observations: a series absent from some windows (a new service) keeps a
    # unit variance, where dividing every column by all the rows would shrink its band.
    factor = standard / np.sqrt(np.maximum(seen.sum(axis=0), 1))
    if n_obs > len(ids):  # a square root of the S x S matrix is smaller than the scores themselves
        corr = factor.T @ factor
        vals, vecs = np.linalg.eigh(corr)
        factor = (vecs * np.sqrt(np.clip(vals, 0.0, None))).T
    independent = np.where(has, shrink, 1.0)
    day_share = _day_share(scores, ids)
    # The shrunk daily correlation between the series that have backtest errors.
    corr = np.where(np.eye(len(ids), dtype=bool), 1.0, (1.0 - independent)[:, None] * (factor.T @ factor))
    with_errors = [uid for uid, keep in zip(ids, has, strict=True) if keep]
    steps = float(scores.groupby(["unique_id", "cutoff"], sort=False).size().mean())
    common = _level_common(scores, with_errors, corr[np.ix_(has, has)], day_share[has], steps)
    return Dependence(factor, independent, day_share, common)


def _level_common(
    scores: pd.DataFrame, ids: list[str], corr: np.ndarray, day_share: np.ndarray, steps: float
) -> float:
    """The common share ``c`` of the persistent errors, fitted to the spread of the windows' bill sums.

    Under the sampler's model, a series' window sum of ``H`` scores ``M_s`` has variance
    ``v_s = H^2 a_s + H (1 - a_s)`` and two series' sums the covariance
    ``H^2 sqrt(a_s a_t) (C + c (1 - C)) + H sqrt((1 - a_s)(1 - a_t)) C``, so the ratio
    ``E[(sum_s M_s)^2] / E[sum_s M_s^2] = R0 + c R1`` is linear in ``c``; it is solved for ``c`` with the
    ratio observed over the backtest windows. This is the quantity a bill total depends on, so the daily
    correlations ``C`` alone (mostly day-to-day noise) do not set it; and only the persistent parts
    carry ``c``, so a small persistent share needs a larger ``c`` for the same spread.
    """
    wide = scores.pivot_table(index="cutoff", columns="unique_id", values="z", aggfunc="sum")
    sums = wide.reindex(columns=ids).fillna(0.0).to_numpy(float)
    n = sums.shape[1]
    if n < 2 or corr.shape[0] != n or not (sums**2).sum() > 0:
        return 0.0
    ratio = float((sums.sum(axis=1) ** 2).sum() / (sums**2).sum())
    x, y = np.sqrt(day_share), np.sqrt(1.0 - day_share)
    variance = float((steps**2 * day_share + steps * (1.0 - day_share)).sum())
    persistent = float(x @ corr @ x)
    r0 = (steps**2 * persistent + steps * float(y @ corr @ y)) / variance
    r1 = steps**2 * (x.sum() ** 2 - persistent) / variance
    return float(np.clip((ratio - r0) / r1, 0.0, 1.0)) if r1 > 1e-12 else 0.0


def _day_share(scores: pd.DataFrame, ids: list[str]) -> np.ndarray:
    """The persistent share ``a`` per series: with unit-variance scores, ``E[(sum_k z_k)^2] = H + H (H-1) a``.

    Each series' own estimate (a fee set once a month persists fully, usage noise hardly) is averaged
    with the pooled one, weighted by its number of windows against one: one window is a noisy estimate.
    """
    keys = [scores["unique_id"], scores["cutoff"]]
    windows = scores["z"].groupby(keys, sort=False)
    squares = (scores["z"] ** 2).groupby(keys, sort=False).sum()
    frame = pd.DataFrame({"sum2": windows.sum() ** 2, "squares": squares, "steps": windows.size()})
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
