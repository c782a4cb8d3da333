"""Global LightGBM model: one quantile booster per level, direct multi-step, scaled per series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import lightgbm as lgb
import numpy as np
import pandas as pd

from forecasting.models._common import (
    SeriesSet,
    check_fitted,
    check_horizon,
    make_forecast_frame,
    offset_for,
    split_series,
)
from forecasting.models._lgbm_features import (
    Panel,
    build_panel,
    calendar_features,
    feature_rows,
    forecast_rows,
    training_rows,
)
from forecasting.quantiles import validate_quantiles

__all__ = ["LGBM"]


class LGBM:
    """One LightGBM model across all series, with ``objective="quantile"`` boosters.

    **Multi-step strategy: direct, with the step as a feature.** Each training row is a (series,
    forecast origin, step ``j``) triple: features are known at the origin and the target is the value
    ``j`` steps later. One booster per quantile (``objective="quantile", alpha=q``) and one for the mean
    (``objective="regression"``, squared error) then forecast every step at once. Unlike a recursive
    model, the quantiles are learned for each step, so the band widens with the horizon as the
    backtest errors did, and no forecast is fed back as an input.

    **Features** (scaled): the last ``2m`` values (7 to 28), the target's value one and two seasons
    earlier, rolling mean / std / min / max / level change / share of zeros at the origin, the length
    of history, the step, and calendar features of the target date (day of week, day of month, month,
    month start / end for daily data; hour for hourly; week for weekly; month; quarter).

    **Scaling**: every value and target of a row is divided by the series' mean absolute value over
    the ``max(2m, 14)`` points before the origin (falling back to the whole history, then 1 for an
    all-zero series), so one model learns shapes across series of any size, credits included.

    Training uses about ``max_rows`` rows: the same number of origins per series, spread over its
    history, each with ``steps_per_origin`` randomly drawn steps (seeded). Boosters are trained at
    the first ``predict(h, quantiles)`` (they depend on both) and cached for the same arguments;
    ``fit`` prepares the aligned panel. Training is deterministic for a given ``random_state`` and
    uses at most ``num_threads`` threads.

    Args:
        n_estimators: Boosting rounds per booster.
        learning_rate: Shrinkage.
        num_leaves: Leaves per tree.
        min_child_samples: Minimum rows per leaf.
        max_rows: Approximate number of training rows.
        steps_per_origin: Steps drawn per training origin (all ``h`` when larger).
        max_history: Most recent points per series used (bounds memory for long hourly series).
        num_threads: LightGBM threads. One by default: OpenMP threads that spin-wait for each other
            made training 10 to 30 times slower whenever the cores were shared (worker processes
            fitting the per-series models, other jobs); raise it on an otherwise idle machine.
        point: ``"median"``: the ``mean`` column is the 0.5-quantile booster (more accurate than a
            squared-error booster on M3 by MASE, and one booster fewer when 0.5 is requested), sorted
            together with the other levels so that it always lies between the levels below and above
            0.5 (and equals ``p50``); ``"mean"``: an extra squared-error booster, an estimate of the
            mean that may truly lie outside the band on skewed series (mostly zeros with rare spend:
            P10 = P50 = P90 = 0 and a positive mean).
        random_state: Seed of the row and feature sampling.
    """

    alias = "lgbm"
    is_global = True

    def __init__(
        self,
        *,
        n_estimators: int = 150,
        learning_rate: float = 0.1,
        num_leaves: int = 31,
        min_child_samples: int = 50,
        max_rows: int = 150_000,
        steps_per_origin: int = 8,
        max_history: int | None = 1_000,
        num_threads: int = 1,
        point: str = "median",
        random_state: int = 0,
    ) -> None:
        self.point = point
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.max_rows = max_rows
        self.steps_per_origin = steps_per_origin
        self.max_history = max_history
        self.num_threads = num_threads
        self.random_state = random_state

    def fit(self, df: pd.DataFrame, *, freq: str = "D", season_length: int = 7) -> Self:
        """Align the series into a panel and compute the origin statistics."""
        self.series_: SeriesSet = split_series(df)
        self.freq_ = freq
        offset_for(freq)  # an unknown frequency fails here, not at predict
        self.season_length_ = max(int(season_length), 1)
        self.panel_: Panel = build_panel(self.series_, self.season_length_, self.max_history)
        self.boosters_: dict[tuple[int, tuple[float, ...]], dict[str, Any]] = {}
        return self

    def _params(self, objective: str, alpha: float | None, threads: int) -> dict[str, Any]:
        params: dict[str, Any] = {
            "objective": objective,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_child_samples,
            "feature_fraction": 0.9,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "lambda_l2": 1.0,
            "num_threads": threads,
            "seed": self.random_state,
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
        }
        if alpha is not None:
            params["alpha"] = alpha
        return params

    def _calendar(self, h: int) -> dict[str, np.ndarray]:
        """Calendar columns per series for panel columns ``0 .. T + h - 1``."""
        offset = offset_for(self.freq_)
        width = self.panel_.values.shape[1]
        per_date: dict[pd.Timestamp, dict[str, np.ndarray]] = {}
        for last in self.series_.last_ds.unique():
            past = pd.date_range(end=last, periods=width, freq=offset)
            future = pd.date_range(last + offset, periods=h, freq=offset)
            per_date[last] = calendar_features(pd.DatetimeIndex(past.append(future)), self.freq_)
        names = next(iter(per_date.values())).keys()
        codes = pd.Index(list(per_date)).get_indexer(self.series_.last_ds)
        return {name: np.stack([per_date[last][name] for last in per_date])[codes] for name in names}

    def _train(self, h: int, qs: tuple[float, ...], calendar: dict[str, np.ndarray]) -> dict[str, Any]:
        rng = np.random.default_rng(self.random_state)
        rows = training_rows(self.panel_, h, self.max_rows, self.steps_per_origin, rng)
        features, target, _ = feature_rows(self.panel_, *rows, calendar)
        keep = np.isfinite(target)
        boosters: dict[str, Any] = {"threads": max(1, int(self.num_threads))}
        if keep.sum() < 2 * self.min_child_samples:
            return boosters  # too little data for trees: predict() falls back to the last scaled value
        data = lgb.Dataset(
            features[keep], label=target[keep], params={"verbose": -1, "max_bin": 255}, free_raw_data=False
        )
        jobs: list[tuple[str, str, float | None]] = [(str(q), "quantile", q) for q in qs]
        if self.point == "mean":
            jobs.append(("mean", "regression", None))
        elif 0.5 not in qs:
            jobs.append(("0.5", "quantile", 0.5))
        for name, objective, alpha in jobs:
            boosters[name] = lgb.train(
                self._params(objective, alpha, boosters["threads"]), data, num_boost_round=self.n_estimators
            )
        boosters["point"] = boosters["mean" if self.point == "mean" else "0.5"]
        return boosters

    def predict(self, h: int, quantiles: Sequence[float]) -> pd.DataFrame:
        """Train the boosters for ``h`` and the quantiles (cached), then forecast every series."""
        check_fitted(self)
        h = check_horizon(h)
        qs = validate_quantiles(quantiles)
        calendar = self._calendar(h)
        key = (h, qs)
        if key not in self.boosters_:
            self.boosters_[key] = self._train(h, qs, calendar)
        boosters = self.boosters_[key]
        n = len(self.series_)
        features, _, scale = feature_rows(self.panel_, *forecast_rows(self.panel_, h), calendar)
        if "point" in boosters:
            threads = boosters["threads"]
            mean = boosters["point"].predict(features, num_threads=threads) * scale
            band = np.column_stack([boosters[str(q)].predict(features, num_threads=threads) for q in qs])
            band = band * scale[:, None]
            if self.point == "median":
                mean, band = _rearrange_with_median(mean, band, qs)
        else:
            last = features["lag0"].to_numpy() * scale
            mean, band = last, np.repeat(last[:, None], len(qs), axis=1)
        return make_forecast_frame(
            self.series_, h, self.freq_, mean.reshape(n, h), band.reshape(n, h, -1), qs
        )


def _rearrange_with_median(
    median: np.ndarray, band: np.ndarray, qs: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Sort the median with the other quantile predictions, as one curve, and split them again.

    Separately trained quantile boosters can cross. Sorting every level's prediction together (the
    rearrangement of :func:`forecasting.quantiles.sort_quantiles`, which never raises the pinball loss)
    puts the median between the lower and the upper levels, so the point forecast is never outside a
    band from a level below 0.5 to one above, and it equals the ``p50`` column when 0.5 is requested.
    """
    levels = np.asarray(qs, dtype=float)
    if 0.5 in levels:
        ordered = np.sort(band, axis=1)
        return ordered[:, int(np.flatnonzero(levels == 0.5)[0])], ordered
    at = int(np.searchsorted(levels, 0.5))
    ordered = np.sort(np.insert(band, at, median, axis=1), axis=1)
    return ordered[:, at], np.delete(ordered, at, axis=1)
