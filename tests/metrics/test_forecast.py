"""Array-level forecast metrics match their published definitions, reference loops and scikit-learn."""

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import mean_absolute_error, mean_pinball_loss

from metrics.forecast import (
    coverage_score,
    interval_width_loss,
    mape_error,
    mase_error,
    pinball_loss,
    rmse_error,
    smape_error,
    wape_error,
    wql_by_quantile,
    wql_loss,
)

QUANTILES = [0.1, 0.5, 0.9]

# --- plain-Python references, written straight from the definitions -------------------------------------


def ref_pinball(y: list[float], p: list[float], q: float) -> float:
    total = 0.0
    for yt, pt in zip(y, p, strict=True):
        total += q * (yt - pt) if yt >= pt else (1 - q) * (pt - yt)
    return total / len(y)


def ref_wql(y: list[float], p: list[float], q: float) -> float:
    return 2 * ref_pinball(y, p, q) * len(y) / sum(abs(v) for v in y)


def ref_mase(y: list[float], p: list[float], train: list[float], m: int) -> float:
    diffs = [abs(train[t] - train[t - m]) for t in range(m, len(train))]
    mae = sum(abs(a - b) for a, b in zip(y, p, strict=True)) / len(y)
    return mae / (sum(diffs) / len(diffs))


# --- known answers ----------------------------------------------------------------------------------------


def test_wql_hand_computed() -> None:
    """Per quantile 2 * sum pinball / sum |y| on a three-point example worked out by hand."""
    y = [10.0, 20.0, 30.0]
    pred = np.array([[8.0, 10.0, 14.0], [15.0, 20.0, 25.0], [20.0, 35.0, 40.0]])
    # q=0.1: 0.1*(2+5+10) = 1.7; q=0.5: 0.5*5 = 2.5; q=0.9: 0.1*(4+5+10) = 1.9; sum |y| = 60.
    expected = [3.4 / 60, 5.0 / 60, 3.8 / 60]
    np.testing.assert_allclose(wql_by_quantile(y, pred, quantiles=QUANTILES), expected)
    assert wql_loss(y, pred, quantiles=QUANTILES) == pytest.approx(12.2 / 180)


def test_wape_rmse_mape_smape_hand_computed() -> None:
    y, p = [10.0, 20.0, 30.0], [12.0, 18.0, 33.0]
    assert wape_error(y, p) == pytest.approx(7 / 60)
    assert rmse_error(y, p) == pytest.approx(math.sqrt((4 + 4 + 9) / 3))
    assert mape_error(y, p) == pytest.approx((0.2 + 0.1 + 0.1) / 3)
    assert smape_error(y, p) == pytest.approx((4 / 22 + 4 / 38 + 6 / 63) / 3)


def test_mase_hand_computed_seasonal_scale() -> None:
    """Scale over lag 2: |4-1|, |3-2|, |7-4| -> 7/3; MAE 1.5."""
    got = mase_error([5.0, 6.0], [4.0, 8.0], y_train=[1.0, 2.0, 4.0, 3.0, 7.0], season_length=2)
    assert got == pytest.approx(1.5 / (7 / 3))


def test_mase_falls_back_to_lag_one_on_short_history() -> None:
    """Two training points and m=7: no weekly lag exists, so the scale is |3 - 1| = 2."""
    assert mase_error([5.0, 6.0], [4.0, 8.0], y_train=[1.0, 3.0], season_length=7) == pytest.approx(0.75)


def test_coverage_and_width_hand_computed() -> None:
    y = [1.0, 5.0, 9.0, 3.0]
    lower, upper = [0.0, 0.0, 0.0, 3.0], [4.0, 4.0, 9.0, 3.0]
    assert coverage_score(y, lower, upper) == 0.75  # bounds are inclusive: 9 in [0, 9], 3 in [3, 3]
    assert interval_width_loss(lower, upper) == pytest.approx(17 / 4)


@pytest.mark.parametrize(
    ("metric", "actual"),
    [
        (wape_error, 0.0),
        (mape_error, 0.0),
        (lambda y, p: wql_loss(y, p, quantiles=[0.5]), 0.0),
        (lambda y, p: mase_error(y, p, y_train=[4.0, 4.0, 4.0]), 4.0),
    ],
    ids=["wape", "mape", "wql", "mase_flat_history"],
)
def test_zero_denominator_is_zero_when_perfect_and_nan_otherwise(metric, actual: float) -> None:
    """sum |y| = 0 (a flat history for MASE): 0.0 for a perfect forecast, NaN otherwise, never inf."""
    y = np.full(2, actual)
    assert metric(y, y.copy()) == 0.0
    assert math.isnan(metric(y, y + 1.0))


def test_mape_nan_only_from_zero_actuals_with_error() -> None:
    assert mape_error([0.0, 10.0], [0.0, 12.0]) == pytest.approx(0.1)
    assert math.isnan(mape_error([0.0, 10.0], [1.0, 12.0]))
    assert smape_error([0.0, 0.0], [0.0, 0.0]) == 0.0
    assert smape_error([0.0], [5.0]) == 2.0


# --- independent implementations on random inputs --------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_pinball_matches_sklearn_and_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y, p = rng.normal(50, 20, 40), rng.normal(50, 20, 40)
    q = float(rng.uniform(0.01, 0.99))
    assert pinball_loss(y, p, quantile=q) == pytest.approx(mean_pinball_loss(y, p, alpha=q))
    assert pinball_loss(y, p, quantile=q) == pytest.approx(ref_pinball(y.tolist(), p.tolist(), q))
    assert pinball_loss(y, p, quantile=0.5) == pytest.approx(mean_absolute_error(y, p) / 2)


@pytest.mark.parametrize("seed", range(5))
def test_wql_wape_mase_match_reference_loops(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.gamma(2.0, 10.0, 30)
    pred = np.sort(y[:, None] + rng.normal(0, 5, (30, 3)), axis=1)
    train = rng.gamma(2.0, 10.0, 25)
    for j, q in enumerate(QUANTILES):
        assert wql_by_quantile(y, pred, quantiles=QUANTILES)[j] == pytest.approx(
            ref_wql(y.tolist(), pred[:, j].tolist(), q)
        )
    p = pred[:, 1]
    assert wape_error(y, p) == pytest.approx(sum(abs(a - b) for a, b in zip(y, p, strict=True)) / sum(abs(y)))
    assert mase_error(y, p, y_train=train, season_length=7) == pytest.approx(
        ref_mase(y.tolist(), p.tolist(), train.tolist(), 7)
    )


def test_pinball_is_minimised_at_the_empirical_quantile() -> None:
    rng = np.random.default_rng(3)
    y = rng.exponential(10.0, 201)
    for q in (0.1, 0.5, 0.9):
        best = np.quantile(y, q, method="inverted_cdf")
        at_best = pinball_loss(y, np.full_like(y, best), quantile=q)
        for c in np.linspace(y.min(), y.max(), 60):
            assert at_best <= pinball_loss(y, np.full_like(y, c), quantile=q) + 1e-12


# --- properties -------------------------------------------------------------------------------------------

# Zero or at least 1e-3: subnormal values would underflow when rescaled and turn a ratio into 0/0.
values = st.one_of(st.just(0.0), st.floats(1e-3, 1e4))


@st.composite
def forecasts(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 30))
    y = draw(hnp.arrays(np.float64, n, elements=values))
    pred = np.sort(draw(hnp.arrays(np.float64, (n, 3), elements=values)), axis=1)
    train = draw(hnp.arrays(np.float64, draw(st.integers(2, 20)), elements=values))
    return y, pred, train


def _all_metrics(y: np.ndarray, pred: np.ndarray, train: np.ndarray) -> list[float]:
    p = pred[:, 1]
    return [
        *wql_by_quantile(y, pred, quantiles=QUANTILES),
        wape_error(y, p),
        rmse_error(y, p),
        mape_error(y, p),
        smape_error(y, p),
        mase_error(y, p, y_train=train, season_length=3),
        coverage_score(y, pred[:, 0], pred[:, 2]),
        interval_width_loss(pred[:, 0], pred[:, 2]),
    ]


@settings(max_examples=60, deadline=None)
@given(forecasts(), st.randoms(use_true_random=False))
def test_metrics_do_not_depend_on_row_order(data, random) -> None:
    y, pred, train = data
    order = list(range(len(y)))
    random.shuffle(order)
    np.testing.assert_allclose(
        _all_metrics(y[order], pred[order], train), _all_metrics(y, pred, train), rtol=1e-9, atol=1e-9
    )


@settings(max_examples=60, deadline=None)
@given(forecasts())
def test_perfect_forecast_is_optimal(data) -> None:
    y, _, train = data
    perfect = np.repeat(y[:, None], 3, axis=1)
    scores = _all_metrics(y, perfect, train)
    assert scores[:-2] == [0.0] * (len(scores) - 2)
    assert scores[-2:] == [1.0, 0.0]  # full coverage, zero width


@settings(max_examples=60, deadline=None)
@given(forecasts(), st.floats(1e-3, 1e3))
def test_wql_wape_mase_are_scale_invariant(data, c: float) -> None:
    y, pred, train = data
    p = pred[:, 1]
    before = [wql_loss(y, pred, quantiles=QUANTILES), wape_error(y, p), mase_error(y, p, y_train=train)]
    after = [wql_loss(c * y, c * pred, quantiles=QUANTILES), wape_error(c * y, c * p)]
    after.append(mase_error(c * y, c * p, y_train=c * train))
    np.testing.assert_allclose(after, before, rtol=1e-7, atol=1e-12)


# --- bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: wape_error([1.0, 2.0], [1.0]), r"same number of rows; y_true has 2, y_pred has 1"),
        (lambda: rmse_error([1.0, float("nan")], [1.0, 2.0]), r"y_true holds 1 NaN.*position 1"),
        (lambda: mape_error([], []), r"y_true is empty"),
        (lambda: smape_error([[1.0, 2.0]], [[1.0, 2.0]]), r"must be 1-D; got an array of shape \(1, 2\)"),
        (lambda: pinball_loss([1.0], [1.0], quantile=1.5), r"strictly between 0 and 1; got \[1.5\]"),
        (lambda: wql_loss([1.0], [[1.0, 2.0]], quantiles=[0.9, 0.1]), r"increasing; got \[0.9, 0.1\]"),
        (
            lambda: wql_loss([1.0, 2.0], [[1.0, 2.0]], quantiles=[0.1, 0.9]),
            r"shape .* = \(2, 2\); got \(1, 2\)",
        ),
        (lambda: wql_loss([1.0], [[1.0, float("nan")]], quantiles=[0.1, 0.9]), r"y_pred holds 1 NaN"),
        (lambda: mase_error([1.0], [1.0], y_train=[1.0]), r"at least two values.*got 1"),
        (lambda: mase_error([1.0], [1.0], y_train=[1.0, 2.0], season_length=0), r"positive integer; got 0"),
        (lambda: coverage_score([1.0], [2.0], [1.0]), r"lower must not exceed upper.*lower=2.0, upper=1.0"),
        (lambda: interval_width_loss([1.0, 2.0], [3.0]), r"lower has 2, upper has 1"),
        (lambda: wape_error(["a"], [1.0]), r"y_true must be numeric"),
    ],
)
def test_bad_input_raises_with_what_was_received(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
