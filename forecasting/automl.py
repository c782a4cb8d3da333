"""Automatic model choice from backtest scores: per series (default) or one model for the dataset."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from forecasting.errors import DataError
from forecasting.models import MODELS
from forecasting.options import SELECT_MODES
from forecasting.quantiles import point_column, quantile_column
from metrics.compare import lift_table
from metrics.frame import forecast_scores

__all__ = [
    "SELECT_MODES",
    "BASELINE",
    "BASELINES",
    "default_candidates",
    "Selection",
    "model_order",
    "score_backtest",
    "select_models",
    "lift_vs_baseline",
]

# The reference every model is compared with in the leaderboard ("0.8x seasonal naive").
BASELINE = "seasonal_naive"
# Reference models: always worth running for the leaderboard, rarely worth choosing. On one or two
# backtest windows a baseline "wins" many series by luck (M3 monthly: a quarter of the series, and the
# per-series choice then lost to ETS alone; daily cost series: the same), so by default they are chosen
# only when nothing else was run.
BASELINES: tuple[str, ...] = ("naive", "seasonal_naive")
# ... unless a baseline is clearly right: its score at most this share of the best candidate's (an
# exactly periodic or constant series). Measured on M3 monthly and daily cost series: 0.5 keeps the
# baselines' few true wins; 0.7 and above let luck back in.
CLEAR_WIN = 0.5
# The "auto" mode keeps the dataset's best model for a series unless another candidate scores at most this
# share of its WQL there. A per-series argmin on one or two windows follows noise: on M3 monthly it scored
# WQL 0.0921 against 0.0895 for one model for all, on the sample bills 0.764x seasonal naive against 0.757x;
# with this rule 0.0899 and 0.730x (and 0.639x against the argmin's 0.631x on synthetic cost series).
SWITCH_RATIO = 0.7
# Scores this close are a tie: floating-point noise must not decide between two equal forecasts.
_RTOL, _ATOL = 1e-9, 1e-12


@dataclass(frozen=True)
class Selection:
    """What the backtest decided.

    Attributes:
        scores: One row per series, window and model: ``unique_id, cutoff, model``, ``wql_<q>`` per
            quantile, ``mean_wql``, ``wape``, ``rmse``, ``mase``, ``coverage``... The point metrics
            score the ``p50`` column when 0.5 is forecast, else ``mean``.
        overall: One row per model, pooled over all series and windows (Amazon Forecast's aggregation),
            on the series and windows that every model forecast.
        choices: One row per backtested series: ``unique_id, model, mean_wql, basis``; ``basis`` says how
            it was chosen: ``wql`` (lowest mean WQL), ``rmse`` (WQL undefined for every model, e.g. an
            all-zero window that no model forecast exactly) or ``dataset`` (the dataset's model: the
            dataset mode, or the auto mode where no candidate was clearly better).
        anchor: The dataset's model in the ``dataset`` and ``auto`` modes, else ``None``.
        candidates: The models that could be chosen, simplest first.
        leaderboard: ``overall`` plus an ``automl`` row (the chosen model of each series), with
            ``relative_wql`` (mean WQL over the baseline's) and ``n_series`` (series that chose it).
    """

    scores: pd.DataFrame
    overall: pd.DataFrame
    choices: pd.DataFrame
    leaderboard: pd.DataFrame
    anchor: str | None = None
    candidates: tuple[str, ...] = ()


def model_order(names: Sequence[str]) -> list[str]:
    """Order model names from simplest to most complex: registry order, unregistered names last.

    Example:
        >>> model_order(["seasonal_naive", "mine", "naive"])
        ['naive', 'seasonal_naive', 'mine']
    """
    registry = list(MODELS)
    ranked = sorted(
        enumerate(names), key=lambda p: (registry.index(p[1]) if p[1] in registry else len(registry), p[0])
    )
    return [name for _, name in ranked]


def default_candidates(names: Sequence[str]) -> list[str]:
    """The models AutoML may choose by default: every model but the baselines, unless only baselines ran.

    Example:
        >>> default_candidates(["naive", "seasonal_naive", "ets", "theta"])
        ['ets', 'theta']
        >>> default_candidates(["naive", "seasonal_naive"])
        ['naive', 'seasonal_naive']
    """
    others = [name for name in names if name not in BASELINES]
    return others or list(names)


def score_backtest(
    cv: pd.DataFrame, *, history: pd.DataFrame, quantiles: Sequence[float], season_length: int
) -> pd.DataFrame:
    """Accuracy of every backtest forecast: one row per series, window (``cutoff``) and model.

    The point metrics (WAPE, RMSE, MASE, MAPE, sMAPE) score ``p50`` when 0.5 is among the quantiles,
    else ``mean`` (:func:`forecasting.quantiles.point_column`), so they judge the same forecast as the
    P50 column and the fan charts show.

    Args:
        cv: Backtest frame ``unique_id, ds, cutoff, model, y``, quantile columns and ``mean``.
        history: The full history ``unique_id, ds, y``; MASE scales use only values up to each cutoff.
        quantiles: The quantile levels forecast.
        season_length: Seasonal lag of the MASE scale.
    """
    cols = {quantile_column(q): float(q) for q in quantiles}
    return forecast_scores(
        cv, quantile_cols=cols, train_df=history, season_length=season_length, level="series",
        by=("model",), point_col=point_column(quantiles),
    )  # fmt: skip


def _first_best(values: np.ndarray) -> np.ndarray:
    """Per row, the first column whose value ties the row minimum (NaN never wins); -1 if all NaN."""
    masked = np.where(np.isnan(values), np.inf, values)
    best = masked.min(axis=1, keepdims=True)
    tie = np.isfinite(masked) & np.isclose(masked, best, rtol=_RTOL, atol=_ATOL)
    return np.where(tie.any(axis=1), tie.argmax(axis=1), -1)


def _clear_wins(values: np.ndarray, pick: np.ndarray, challengers: np.ndarray) -> np.ndarray:
    """``pick``, replaced per row by the best challenger column when it scores at most ``CLEAR_WIN`` times
    the picked column (rows without a pick keep -1)."""
    if not challengers.any():
        return pick
    rows = np.arange(len(pick))
    picked = np.where(pick >= 0, values[rows, np.maximum(pick, 0)], np.nan)
    best = _first_best(np.where(challengers, values, np.nan))
    score = np.where(best >= 0, values[rows, np.maximum(best, 0)], np.nan)
    clear = (pick >= 0) & (best >= 0) & (score <= CLEAR_WIN * picked)
    return np.where(clear, best, pick)


def _per_series_choice(
    scores: pd.DataFrame, order: list[str], candidates: list[str], challengers: list[str]
) -> pd.DataFrame:
    # A window whose WQL is undefined for a model makes that model unrankable on the series:
    # skipna=False keeps the NaN instead of averaging it away.
    grouped = scores.groupby(["unique_id", "model"], sort=True)
    wql = grouped["mean_wql"].mean(skipna=False).unstack("model").reindex(columns=order)
    rmse = grouped["rmse"].mean(skipna=False).unstack("model").reindex(columns=order)
    wql_values, rmse_values = wql.to_numpy(dtype=float), rmse.loc[wql.index].to_numpy(dtype=float)
    # Non-candidates are masked out; they come back only for a series that no candidate could forecast.
    names = np.asarray(order, dtype=object)
    eligible = np.isin(names, candidates)
    pick = _first_best(np.where(eligible, wql_values, np.nan))
    pick = _clear_wins(wql_values, pick, np.isin(names, challengers))
    basis = np.where(pick >= 0, "wql", "rmse")
    fallback = _first_best(np.where(eligible, rmse_values, np.nan))
    fallback = np.where(fallback >= 0, fallback, _first_best(wql_values))
    fallback = np.where(fallback >= 0, fallback, _first_best(rmse_values))
    pick = np.where(pick >= 0, pick, fallback)
    if (pick < 0).any():
        bad = wql.index[pick < 0][0]
        raise DataError(f"no model produced a usable backtest score for series {bad!r}")
    rows = np.arange(len(pick))
    return pd.DataFrame(
        {
            "unique_id": wql.index.astype("str"),
            "model": np.asarray(order, dtype=object)[pick],
            "mean_wql": wql_values[rows, pick],
            "basis": basis,
        }
    )


def _dataset_model(overall: pd.DataFrame, candidates: list[str], challengers: list[str]) -> str:
    """The candidate with the lowest pooled WQL (a challenger if clearly better; RMSE if WQL is undefined)."""
    pool = overall["model"].isin(candidates).to_numpy()
    if not pool.any():
        pool[:] = True
    wql = overall["mean_wql"].to_numpy(dtype=float)
    pick = _first_best(np.where(pool, wql, np.nan)[None, :])
    pick = _clear_wins(wql[None, :], pick, overall["model"].isin(challengers).to_numpy())[0]
    if pick < 0:
        pick = _first_best(np.where(pool, overall["rmse"].to_numpy(dtype=float), np.nan)[None, :])[0]
    return str(overall["model"].iloc[max(int(pick), 0)])


def _common_rows(cv: pd.DataFrame, n_models: int) -> pd.DataFrame:
    """The rows of the (series, window) pairs that every model forecast, so models compare like for like."""
    counts = cv.groupby(["unique_id", "cutoff"], sort=False)["model"].transform("nunique")
    return cv[counts.to_numpy() == n_models]


def select_models(
    cv: pd.DataFrame,
    *,
    history: pd.DataFrame,
    quantiles: Sequence[float],
    season_length: int,
    select: Literal["auto", "series", "dataset"] = "series",
    baseline: str = BASELINE,
    candidates: Sequence[str] | None = None,
) -> Selection:
    """Score a backtest and choose a model per series, or one for all, by the lowest mean WQL.

    Per series, a model's score is its mean WQL (the mean over quantiles of ``2 * sum pinball / sum |y|``)
    averaged over the backtest windows. The lowest score wins; scores equal within floating-point noise are
    a tie, won by the simpler model (earlier in the ``MODELS`` registry). A ``NaN`` score (a window whose
    actuals are all zero and that the model did not forecast exactly) is not rankable. When no model has a
    rankable WQL for a series, the lowest mean RMSE decides (``basis = "rmse"``). In ``"dataset"`` mode, as
    Amazon Forecast does, the model with the lowest WQL pooled over every series and window is used for all.
    In ``"auto"`` mode that dataset model is the default of every series, and a series switches to its own
    best candidate only when that one's WQL is at most ``SWITCH_RATIO`` (0.7) times the dataset model's on
    the series: a per-series choice that needs a clear margin, not a lucky window.

    Only ``candidates`` are chosen; the other models are scored for the leaderboard. By default the
    baselines (``naive``, ``seasonal_naive``) are references, not candidates, unless nothing else ran
    (:func:`default_candidates`), or unless one is clearly right: its score is at most ``CLEAR_WIN`` (half)
    the best candidate's. A series that no candidate could forecast falls back to any model.

    Args:
        cv: Backtest frame ``unique_id, ds, cutoff, model, y``, quantile columns and ``mean``.
        history: The full history, for the MASE scale.
        quantiles: The quantile levels forecast.
        season_length: Seasonal lag of the MASE scale.
        select: ``"series"``, ``"dataset"`` or ``"auto"``.
        baseline: The model the leaderboard's ``relative_wql`` divides by (when it was run).
        candidates: The models that may be chosen; ``None`` for :func:`default_candidates`.

    Returns:
        The scores, the pooled per-model results, the choices and the leaderboard.

    Raises:
        DataError: On an unknown ``select`` mode or an empty backtest.
    """
    if select not in SELECT_MODES:
        raise DataError(f"select must be one of {list(SELECT_MODES)}; got {select!r}")
    if cv.empty:
        raise DataError("the backtest produced no forecasts: every series is too short for its window")
    order = model_order(list(dict.fromkeys(cv["model"].astype(str))))
    if candidates is None:
        eligible = default_candidates(order)
        challengers = [name for name in order if name not in eligible]
    else:
        eligible = [name for name in order if name in set(candidates)]
        challengers = []
        if not eligible:
            raise DataError(
                f"none of the candidates {list(candidates)} was backtested (models run: {order}); "
                "pass candidates among the models"
            )
    scores = score_backtest(cv, history=history, quantiles=quantiles, season_length=season_length)
    cols = {quantile_column(q): float(q) for q in quantiles}
    common = _common_rows(cv, len(order))
    if common.empty:
        # Models failed on disjoint series: pool each model over what it did forecast.
        common = cv
    overall = forecast_scores(
        common,
        quantile_cols=cols,
        train_df=history,
        season_length=season_length,
        level="dataset",
        by=("model",),
        point_col=point_column(quantiles),
    )
    overall = overall.set_index("model").reindex(order).dropna(how="all").reset_index()
    choices = _per_series_choice(scores, order, eligible, challengers)
    anchor = None
    if select in ("dataset", "auto"):
        anchor = _dataset_model(overall, eligible, challengers)
        per_series = scores[scores["model"] == anchor].groupby("unique_id")["mean_wql"].mean(skipna=False)
        anchor_wql = per_series.reindex(choices["unique_id"]).to_numpy(dtype=float)
        if select == "dataset":
            keep = np.ones(len(choices), dtype=bool)
        else:
            own = choices["mean_wql"].to_numpy(dtype=float)
            clear = (
                (choices["basis"].to_numpy() == "wql")
                & (choices["model"].to_numpy() != anchor)
                & (own <= SWITCH_RATIO * anchor_wql)
            )
            # A series the dataset model cannot be scored on keeps its own choice.
            keep = np.isfinite(anchor_wql) & ~clear
        choices = choices.assign(
            model=np.where(keep, anchor, choices["model"].to_numpy(dtype=object)),
            mean_wql=np.where(keep, anchor_wql, choices["mean_wql"].to_numpy(dtype=float)),
            basis=np.where(keep, "dataset", choices["basis"].to_numpy(dtype=object)),
        )
    board = _leaderboard(common, choices, overall, cols, history, season_length, baseline)
    return Selection(
        scores=scores,
        overall=overall,
        choices=choices,
        leaderboard=board,
        anchor=anchor,
        candidates=tuple(eligible),
    )


def _leaderboard(
    common: pd.DataFrame,
    choices: pd.DataFrame,
    overall: pd.DataFrame,
    cols: dict[str, float],
    history: pd.DataFrame,
    season_length: int,
    baseline: str,
) -> pd.DataFrame:
    chosen = common.merge(choices[["unique_id", "model"]], on=["unique_id", "model"], how="inner")
    board = overall.copy()
    if not chosen.empty:
        auto = forecast_scores(
            chosen.assign(model="automl"), quantile_cols=cols, train_df=history, season_length=season_length,
            level="dataset", by=("model",), point_col=point_column(list(cols.values())),
        )  # fmt: skip
        board = pd.concat([board, auto], ignore_index=True)
    counts = choices["model"].value_counts()
    board["n_series"] = board["model"].map(counts).fillna(0).astype(int)
    board.loc[board["model"] == "automl", "n_series"] = len(choices)
    base = board.loc[board["model"] == baseline, "mean_wql"]
    board["relative_wql"] = board["mean_wql"] / float(base.iloc[0]) if len(base) else np.nan
    return board


def lift_vs_baseline(
    selection: Selection, *, baseline: str = BASELINE, n_boot: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """Each model (and the per-series choice, ``automl``) as "x times the baseline", per series.

    Units are series: a series' value is its mean WQL (and MASE) averaged over the windows, and the
    ratio of the means over series comes with a paired bootstrap interval (:func:`metrics.compare.lift`).
    The ``automl`` row is optimistic: its choices were made on these same windows.

    Returns:
        The :func:`metrics.compare.lift_table` rows, or an empty frame when the baseline was not run.
    """
    per_series = (
        selection.scores.groupby(["model", "unique_id"], sort=False)[["mean_wql", "mase"]]
        .mean(skipna=False)
        .reset_index()
    )
    if baseline not in set(per_series["model"]):
        return pd.DataFrame()
    chosen = per_series.merge(selection.choices[["unique_id", "model"]], on=["unique_id", "model"])
    per_unit = pd.concat([per_series, chosen.assign(model="automl")], ignore_index=True)
    return lift_table(
        per_unit,
        baseline=baseline,
        metrics=["mean_wql", "mase"],
        unit_col="unique_id",
        n_boot=n_boot,
        seed=seed,
    )
