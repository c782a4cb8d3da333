"""Model-vs-baseline lift: ratio and difference of means with paired bootstrap confidence intervals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from metrics._checks import as_float_1d, check_same_length, require_columns

__all__ = ["Lift", "lift", "lift_table", "mean_interval"]

# Resampled index matrices are built in chunks of at most this many cells, to bound memory on 100k users.
_CHUNK_CELLS = 1 << 22
_VALUE_COLUMNS = (
    "mean",
    "baseline_mean",
    "ratio",
    "ratio_low",
    "ratio_high",
    "diff",
    "diff_low",
    "diff_high",
)


@dataclass(frozen=True)
class Lift:
    """Comparison of a per-unit metric between model A and model B over the same units.

    Attributes:
        mean_a: Mean of A over the units.
        mean_b: Mean of B over the units.
        ratio: ``mean_a / mean_b`` ("x times the baseline"); ``nan`` when ``mean_b == 0``.
        diff: ``mean_a - mean_b``.
        ratio_ci: Percentile bootstrap interval of the ratio; an end is ``nan`` when it cannot be bounded
            because too many resamples have a zero baseline mean.
        diff_ci: Percentile bootstrap interval of the difference.
        n: Number of paired units.
    """

    mean_a: float
    mean_b: float
    ratio: float
    diff: float
    ratio_ci: tuple[float, float]
    diff_ci: tuple[float, float]
    n: int


def _check_options(n_boot: object, ci: object) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer; got {n_boot!r}")
    if not isinstance(ci, int | float) or not 0.0 < float(ci) < 1.0:
        raise ValueError(f"ci must lie strictly between 0 and 1, e.g. 0.95; got {ci!r}")


def _bootstrap_means(a: np.ndarray, b: np.ndarray, n_boot: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Means of A and B over ``n_boot`` resamples of the units, the same resample for both (paired)."""
    rng = np.random.default_rng(seed)
    n = a.size
    per_chunk = max(1, _CHUNK_CELLS // n)
    means_a, means_b = np.empty(n_boot), np.empty(n_boot)
    # Vectorised over the resamples of a chunk; the loop only bounds memory for large n.
    for start in range(0, n_boot, per_chunk):
        stop = min(start + per_chunk, n_boot)
        idx = rng.integers(0, n, size=(stop - start, n))
        means_a[start:stop] = a[idx].mean(axis=1)
        means_b[start:stop] = b[idx].mean(axis=1)
    return means_a, means_b


def _percentile_interval(values: np.ndarray, ci: float) -> tuple[float, float]:
    """Percentile interval of bootstrap values; NaN (undefined) resamples are left out.

    An end that falls among infinite values (ratios over a zero baseline mean) cannot be bounded: NaN.
    """
    values = values[~np.isnan(values)]
    if values.size == 0:
        return (np.nan, np.nan)
    alpha = (1.0 - ci) / 2.0
    with np.errstate(invalid="ignore"):  # interpolating between two infinities gives NaN, handled below
        lo, hi = np.quantile(values, [alpha, 1.0 - alpha])
    return (float(lo) if np.isfinite(lo) else np.nan, float(hi) if np.isfinite(hi) else np.nan)


def _boot_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Resampled ratios: +-inf when only the baseline mean is zero, NaN when both are."""
    out = np.full(a.shape, np.nan)
    np.divide(a, b, out=out, where=b != 0)
    over_zero = (b == 0) & (a != 0)
    out[over_zero] = np.copysign(np.inf, a[over_zero])
    return out


def mean_interval(
    per_unit: Any, *, n_boot: int = 1000, ci: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of a per-unit metric (units resampled with replacement).

    Args:
        per_unit: Metric per unit (user or series); NaN is not allowed.
        n_boot: Number of bootstrap resamples. Defaults to 1000.
        ci: Confidence level. Defaults to 0.95.
        seed: Seed of numpy's random generator. Defaults to 0.

    Returns:
        ``(low, high)``, the percentile interval of the resampled means.

    Example:
        >>> lo, hi = mean_interval([0.0, 1.0] * 50, n_boot=500)
        >>> 0.38 < lo < 0.5 < hi < 0.62
        True
    """
    a = as_float_1d("per_unit", per_unit)
    _check_options(n_boot, ci)
    means, _ = _bootstrap_means(a, a, int(n_boot), seed)
    return _percentile_interval(means, float(ci))


def lift(per_unit_a: Any, per_unit_b: Any, *, n_boot: int = 1000, ci: float = 0.95, seed: int = 0) -> Lift:
    """Ratio and difference of the mean of a metric for A vs B, with paired bootstrap intervals.

    ``per_unit_a[i]`` and ``per_unit_b[i]`` must belong to the same unit (user or series). Units are
    resampled with replacement, the same draw for A and B, and the interval is the percentile interval of
    the resampled ratios and differences. A resample whose baseline mean is zero has an infinite ratio
    (it is left out when both means are zero); when such resamples reach past an end of the interval,
    that end is ``nan``, e.g. the upper end of "x times a baseline that almost never hits".

    Args:
        per_unit_a: Metric of model A per unit.
        per_unit_b: Metric of model B (the baseline) per unit, same order and length.
        n_boot: Number of bootstrap resamples. Defaults to 1000.
        ci: Confidence level of the intervals. Defaults to 0.95.
        seed: Seed of numpy's random generator; the same seed gives the same intervals. Defaults to 0.

    Returns:
        A :class:`Lift`.

    Raises:
        ValueError: On mismatched lengths, empty input, NaN, ``n_boot < 1`` or ``ci`` outside (0, 1).

    Example:
        >>> result = lift([0.3, 0.5, 0.4, 0.6], [0.2, 0.2, 0.25, 0.15], n_boot=200)
        >>> round(result.ratio, 3), round(result.diff, 3), result.n
        (2.25, 0.25, 4)
        >>> result.ratio_ci[0] <= result.ratio <= result.ratio_ci[1]
        True
    """
    a = as_float_1d("per_unit_a", per_unit_a)
    b = as_float_1d("per_unit_b", per_unit_b)
    check_same_length(per_unit_a=a, per_unit_b=b)
    _check_options(n_boot, ci)
    mean_a, mean_b = float(a.mean()), float(b.mean())
    boot_a, boot_b = _bootstrap_means(a, b, int(n_boot), seed)
    return Lift(
        mean_a=mean_a,
        mean_b=mean_b,
        ratio=mean_a / mean_b if mean_b != 0 else np.nan,
        diff=mean_a - mean_b,
        ratio_ci=_percentile_interval(_boot_ratio(boot_a, boot_b), float(ci)),
        diff_ci=_percentile_interval(boot_a - boot_b, float(ci)),
        n=int(a.size),
    )


def lift_table(
    per_unit: pd.DataFrame,
    *,
    baseline: str,
    metrics: Sequence[str],
    model_col: str = "model",
    unit_col: str = "user_id",
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Every model against a baseline, metric by metric: "x times the baseline" with intervals.

    Units are paired on ``unit_col`` with an inner join: a unit counts only when both the model and the
    baseline have it. For each metric, units where either value is NaN (an undefined per-unit metric) are
    left out as well; ``n`` says how many units remain. Every comparison uses the same ``seed``, so models
    scored on the same units are resampled identically.

    Args:
        per_unit: One row per model and unit: ``model_col``, ``unit_col`` and the metric columns
            (e.g. the output of :func:`metrics.frame.rank_scores` with a model column added).
        baseline: Name of the baseline model in ``model_col``, e.g. ``"popularity"``.
        metrics: Metric columns to compare.
        model_col: Model name column. Defaults to ``"model"``.
        unit_col: Unit id column (users or series). Defaults to ``"user_id"``.
        n_boot: Bootstrap resamples per comparison. Defaults to 1000.
        ci: Confidence level. Defaults to 0.95.
        seed: Random seed. Defaults to 0.

    Returns:
        One row per non-baseline model and metric: ``model``, ``baseline``, ``metric``, ``mean``,
        ``baseline_mean``, ``ratio``, ``ratio_low``, ``ratio_high``, ``diff``, ``diff_low``, ``diff_high``,
        ``n``. A metric with no shared defined unit gets ``n = 0`` and NaN values.

    Raises:
        ValueError: On missing columns, an unknown baseline, repeated (model, unit) rows or bad options.

    Example:
        >>> scores = pd.DataFrame({"model": ["als"] * 3 + ["popularity"] * 3, "user_id": [1, 2, 3] * 2,
        ...                        "ndcg_at_k": [0.4, 0.6, 0.5, 0.2, 0.3, 0.25]})
        >>> table = lift_table(scores, baseline="popularity", metrics=["ndcg_at_k"], n_boot=100)
        >>> table[["model", "metric", "mean", "baseline_mean", "ratio", "n"]]
          model     metric  mean  baseline_mean  ratio  n
        0   als  ndcg_at_k   0.5           0.25    2.0  3
    """
    require_columns(per_unit, [model_col, unit_col, *metrics], frame="per_unit")
    _check_options(n_boot, ci)
    if not metrics:
        raise ValueError("metrics is empty; name the metric columns to compare, e.g. ['ndcg_at_k']")
    models = pd.unique(per_unit[model_col])
    if baseline not in set(models):
        raise ValueError(f"baseline {baseline!r} is not in {model_col!r}; the models are {list(models)}")
    repeated = per_unit.duplicated([model_col, unit_col])
    if repeated.any():
        example = per_unit.loc[repeated, [model_col, unit_col]].iloc[0].to_dict()
        raise ValueError(
            f"per_unit has {int(repeated.sum())} repeated ({model_col}, {unit_col}) rows, e.g. {example}; "
            "aggregate to one row per model and unit first"
        )
    base = per_unit.loc[per_unit[model_col] == baseline, [unit_col, *metrics]]
    rows = []
    for model in models:
        if model == baseline:
            continue
        mine = per_unit.loc[per_unit[model_col] == model, [unit_col, *metrics]]
        paired = mine.merge(base, on=unit_col, how="inner", suffixes=("", "__baseline"))
        for metric in metrics:
            a = paired[metric].to_numpy(dtype=np.float64, na_value=np.nan)
            b = paired[f"{metric}__baseline"].to_numpy(dtype=np.float64, na_value=np.nan)
            ok = ~(np.isnan(a) | np.isnan(b))
            row: dict[str, Any] = {"model": model, "baseline": baseline, "metric": metric}
            if ok.any():
                res = lift(a[ok], b[ok], n_boot=n_boot, ci=ci, seed=seed)
                row |= {
                    "mean": res.mean_a, "baseline_mean": res.mean_b, "ratio": res.ratio,
                    "ratio_low": res.ratio_ci[0], "ratio_high": res.ratio_ci[1], "diff": res.diff,
                    "diff_low": res.diff_ci[0], "diff_high": res.diff_ci[1], "n": res.n,
                }  # fmt: skip
            else:
                row |= dict.fromkeys(_VALUE_COLUMNS, np.nan) | {"n": 0}
            rows.append(row)
    columns = ["model", "baseline", "metric", *_VALUE_COLUMNS, "n"]
    return pd.DataFrame(rows, columns=columns).astype({"n": np.int64})
