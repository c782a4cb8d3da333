"""Lift with paired bootstrap intervals, checked against a per-resample loop and known answers."""

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metrics.compare
from metrics.compare import Lift, lift, lift_table


def reference_bootstrap(a: np.ndarray, b: np.ndarray, n_boot: int, ci: float, seed: int) -> tuple:
    """One resample at a time, drawing the same index stream from numpy's Generator."""
    rng = np.random.default_rng(seed)
    ratios, diffs = [], []
    for _ in range(n_boot):
        idx = rng.integers(0, len(a), size=len(a))
        ratios.append(a[idx].mean() / b[idx].mean())
        diffs.append(a[idx].mean() - b[idx].mean())
    alpha = (1 - ci) / 2
    return tuple(np.quantile(ratios, [alpha, 1 - alpha])), tuple(np.quantile(diffs, [alpha, 1 - alpha]))


def test_point_estimates_known_answer() -> None:
    result = lift([0.3, 0.5, 0.4, 0.6], [0.2, 0.2, 0.25, 0.15], n_boot=50)
    assert isinstance(result, Lift)
    assert (result.mean_a, result.mean_b, result.n) == (pytest.approx(0.45), pytest.approx(0.2), 4)
    assert result.ratio == pytest.approx(2.25)
    assert result.diff == pytest.approx(0.25)


@pytest.mark.parametrize(("seed", "n", "ci"), [(0, 30, 0.95), (1, 200, 0.9), (2, 7, 0.8)])
def test_intervals_match_a_per_resample_loop(seed: int, n: int, ci: float) -> None:
    rng = np.random.default_rng(100 + seed)
    a, b = rng.gamma(2.0, 1.0, n), rng.gamma(2.0, 0.8, n)
    result = lift(a, b, n_boot=300, ci=ci, seed=seed)
    ratio_ci, diff_ci = reference_bootstrap(a, b, 300, ci, seed)
    np.testing.assert_allclose(result.ratio_ci, ratio_ci, rtol=1e-12)
    np.testing.assert_allclose(result.diff_ci, diff_ci, rtol=1e-12)


def test_chunking_does_not_change_the_result(monkeypatch) -> None:
    """Large unit counts are resampled in chunks; the draws and the intervals stay the same."""
    rng = np.random.default_rng(5)
    a, b = rng.random(50), rng.random(50)
    whole = lift(a, b, n_boot=101, seed=3)
    monkeypatch.setattr(metrics.compare, "_CHUNK_CELLS", 50 * 7)
    assert lift(a, b, n_boot=101, seed=3) == whole


def test_seed_controls_the_draws() -> None:
    rng = np.random.default_rng(6)
    a, b = rng.random(40), rng.random(40)
    assert lift(a, b, seed=1) == lift(a, b, seed=1)
    assert lift(a, b, seed=1).diff_ci != lift(a, b, seed=2).diff_ci


def test_diff_interval_agrees_with_the_normal_approximation_on_large_samples() -> None:
    rng = np.random.default_rng(7)
    a = rng.normal(1.0, 1.0, 2000)
    b = a - rng.normal(0.1, 0.5, 2000)
    result = lift(a, b, n_boot=2000, seed=0)
    half = 1.96 * np.std(a - b, ddof=1) / np.sqrt(2000)
    assert result.diff_ci[1] - result.diff_ci[0] == pytest.approx(2 * half, rel=0.1)


def test_zero_baseline_mean_gives_nan_ratio_but_a_diff() -> None:
    result = lift([1.0, 2.0], [0.0, 0.0], n_boot=20)
    assert math.isnan(result.ratio)
    assert all(math.isnan(v) for v in result.ratio_ci)
    assert result.diff == 1.5
    assert result.diff_ci[0] <= 1.5 <= result.diff_ci[1]


def test_rarely_nonzero_baseline_bounds_the_ratio_from_below_only() -> None:
    """Many resamples miss the baseline's only hit: the ratio has a lower bound but no upper bound."""
    b = np.zeros(40)
    b[0] = 1.0
    result = lift(np.full(40, 0.5), b, n_boot=500, seed=0)
    assert result.ratio == pytest.approx(20.0)
    assert 0 < result.ratio_ci[0] <= result.ratio
    assert math.isnan(result.ratio_ci[1])


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 25).flatmap(
        lambda n: st.tuples(
            hnp.arrays(np.float64, n, elements=st.floats(0.01, 100)),
            hnp.arrays(np.float64, n, elements=st.floats(0.01, 100)),
        )
    ),
    st.floats(0.5, 0.99),
    st.integers(0, 2**16),
)
def test_intervals_contain_the_point_estimate(data, ci: float, seed: int) -> None:
    a, b = data
    result = lift(a, b, n_boot=200, ci=ci, seed=seed)
    tol = 1e-9 * max(1.0, abs(result.ratio))
    assert result.ratio_ci[0] - tol <= result.ratio <= result.ratio_ci[1] + tol
    tol = 1e-9 * max(1.0, float(np.abs(a).max()))
    assert result.diff_ci[0] - tol <= result.diff <= result.diff_ci[1] + tol


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: lift([1.0, 2.0], [1.0]), r"per_unit_a has 2, per_unit_b has 1"),
        (lambda: lift([1.0, float("nan")], [1.0, 2.0]), r"per_unit_a holds 1 NaN"),
        (lambda: lift([], []), r"per_unit_a is empty"),
        (lambda: lift([1.0], [1.0], n_boot=0), r"n_boot must be a positive integer; got 0"),
        (lambda: lift([1.0], [1.0], ci=95), r"ci must lie strictly between 0 and 1, e.g. 0.95; got 95"),
    ],
)
def test_lift_bad_input(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


# --- lift_table -------------------------------------------------------------------------------------------


def per_user_scores() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    frames = []
    plan = (("popularity", 0.0, range(50)), ("als", 0.1, range(5, 50)), ("bpr", 0.05, range(60)))
    for model, shift, users in plan:
        frames.append(
            pd.DataFrame(
                {
                    "model": model,
                    "user_id": list(users),
                    "ndcg_at_k": rng.random(len(users)) * 0.5 + shift,
                    "recall_at_k": rng.random(len(users)),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out.loc[(out["model"] == "als") & (out["user_id"] == 7), "recall_at_k"] = np.nan
    return out


def test_lift_table_pairs_units_and_matches_lift() -> None:
    scores = per_user_scores()
    table = lift_table(scores, baseline="popularity", metrics=["ndcg_at_k", "recall_at_k"], n_boot=200)
    assert list(table.columns) == [
        "model", "baseline", "metric", "mean", "baseline_mean", "ratio", "ratio_low", "ratio_high",
        "diff", "diff_low", "diff_high", "n",
    ]  # fmt: skip
    assert table[["model", "metric"]].values.tolist() == [
        ["als", "ndcg_at_k"], ["als", "recall_at_k"], ["bpr", "ndcg_at_k"], ["bpr", "recall_at_k"]
    ]  # fmt: skip
    # als covers users 5..49 of the baseline's 0..49 (inner join); its NaN recall for user 7 is dropped.
    assert table["n"].tolist() == [45, 44, 50, 50]
    base = scores[scores["model"] == "popularity"].set_index("user_id")
    als = scores[scores["model"] == "als"].set_index("user_id").drop(index=7)
    expected = lift(als["recall_at_k"], base.loc[als.index, "recall_at_k"], n_boot=200)
    row = table.iloc[1]
    assert row["mean"] == expected.mean_a
    assert row["baseline_mean"] == expected.mean_b
    assert row["ratio"] == expected.ratio
    assert (row["diff_low"], row["diff_high"]) == expected.diff_ci


def test_lift_table_with_no_shared_units_reports_zero_n() -> None:
    scores = pd.DataFrame({"model": ["a", "b"], "user_id": [1, 2], "ndcg_at_k": [0.5, 0.4]})
    table = lift_table(scores, baseline="b", metrics=["ndcg_at_k"], n_boot=10)
    assert table["n"].tolist() == [0]
    assert table[["mean", "ratio", "diff_low"]].isna().all(axis=None)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"baseline": "random"},
            r"'random' is not in 'model'; the models are \['popularity', 'als', 'bpr'\]",
        ),
        ({"metrics": ["mrr_at_k"]}, r"per_unit is missing column\(s\) \['mrr_at_k'\]"),
        ({"metrics": []}, r"metrics is empty"),
        ({"unit_col": "series"}, r"missing column\(s\) \['series'\]"),
        ({"n_boot": -5}, r"n_boot must be a positive integer; got -5"),
    ],
)
def test_lift_table_bad_input(kwargs, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        lift_table(per_user_scores(), **{"baseline": "popularity", "metrics": ["ndcg_at_k"], **kwargs})


def test_lift_table_rejects_repeated_units() -> None:
    scores = pd.concat([per_user_scores(), per_user_scores().iloc[:1]], ignore_index=True)
    with pytest.raises(ValueError, match=r"1 repeated \(model, user_id\) rows, e.g. \{'model': 'popularity'"):
        lift_table(scores, baseline="popularity", metrics=["ndcg_at_k"])
