"""Ranking metrics match Amazon Personalize's worked example, scikit-learn's NDCG and reference loops."""

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import ndcg_score

from metrics.ranking import hit_matrix, hit_rate_at_k, mrr_at_k, ndcg_at_k, precision_at_k, recall_at_k

METRICS = (precision_at_k, recall_at_k, mrr_at_k, ndcg_at_k, hit_rate_at_k)


def reference(ranked: list, relevant: set, k: int) -> dict[str, float]:
    """Plain-Python Personalize definitions for one user."""
    top = ranked[:k]
    hits = [item in relevant for item in top]
    dcg = sum(1 / math.log2(1 + i) for i, hit in enumerate(hits, start=1) if hit)
    idcg = sum(1 / math.log2(1 + i) for i in range(1, min(k, len(relevant)) + 1))
    first = next((i for i, hit in enumerate(hits, start=1) if hit), None)
    return {
        "precision_at_k": sum(hits) / k,
        "recall_at_k": sum(hits) / len(relevant),
        "mrr_at_k": 1 / first if first else 0.0,
        "ndcg_at_k": dcg / idcg,
        "hit_rate_at_k": float(any(hits)),
    }


def test_personalize_worked_example() -> None:
    """Five recommendations, two relevant items, hits at ranks 2 and 5."""
    hits, n_relevant = [[False, True, False, False, True]], [2]
    assert ndcg_at_k(hits, n_relevant, k=5)[0] == pytest.approx(0.6241, abs=5e-5)
    assert precision_at_k(hits, n_relevant, k=5)[0] == pytest.approx(0.4)
    assert mrr_at_k(hits, n_relevant, k=5)[0] == pytest.approx(0.5)
    assert recall_at_k(hits, n_relevant, k=5)[0] == 1.0
    assert hit_rate_at_k(hits, n_relevant, k=5)[0] == 1.0


def test_cutoff_uses_only_the_first_k_positions_and_ideal_of_min_k_relevant() -> None:
    """k=3 drops the hit at rank 5; ideal DCG counts min(3, 4) hits."""
    hits, n_relevant = [[False, True, False, False, True]], [4]
    assert precision_at_k(hits, n_relevant, k=3)[0] == pytest.approx(1 / 3)
    assert recall_at_k(hits, n_relevant, k=3)[0] == pytest.approx(1 / 4)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(hits, n_relevant, k=3)[0] == pytest.approx((1 / math.log2(3)) / ideal)


def test_users_without_relevant_items_get_nan_recall_and_ndcg_only() -> None:
    hits, n_relevant = np.zeros((1, 3), dtype=bool), [0]
    assert math.isnan(recall_at_k(hits, n_relevant, k=3)[0])
    assert math.isnan(ndcg_at_k(hits, n_relevant, k=3)[0])
    for metric in (precision_at_k, mrr_at_k, hit_rate_at_k):
        assert metric(hits, n_relevant, k=3)[0] == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_ndcg_matches_sklearn_on_random_rankings(seed: int) -> None:
    """With binary relevance over the whole catalog, sklearn's NDCG@k is Personalize's."""
    rng = np.random.default_rng(seed)
    relevance = rng.random((200, 40)) < 0.15
    relevance[np.arange(200), rng.integers(0, 40, 200)] = True  # every user has something relevant
    scores = rng.random((200, 40))
    ranked = np.argsort(-scores, axis=1)
    hits = np.take_along_axis(relevance, ranked, axis=1)
    for k in (1, 5, 10, 40):
        ours = ndcg_at_k(hits, relevance.sum(axis=1), k=k)
        assert ours.mean() == pytest.approx(ndcg_score(relevance.astype(int), scores, k=k))


@pytest.mark.parametrize("seed", range(4))
def test_all_metrics_match_reference_loops_through_hit_matrix(seed: int) -> None:
    rng = np.random.default_rng(seed)
    items = np.array([f"job{i}" for i in range(60)])
    ranked = [list(rng.choice(items, 12, replace=False)) for _ in range(150)]
    relevant = [set(rng.choice(items, rng.integers(1, 8), replace=True)) for _ in range(150)]
    hits, n_relevant = hit_matrix(ranked, relevant)
    for k in (1, 4, 12):
        expected = [reference(r, s, k) for r, s in zip(ranked, relevant, strict=True)]
        for metric in METRICS:
            got = metric(hits, n_relevant, k=k)
            np.testing.assert_allclose(got, [e[metric.__name__] for e in expected], rtol=1e-12)


def test_hit_matrix_counts_repeats_once_and_skips_empty_slots() -> None:
    hits, n_relevant = hit_matrix(
        [[3, 3, 7, 1], [9, 2, None, None]], [[3, 3, 5, None], [9]]
    )  # relevant 3 twice and a None: two distinct items for user 0
    assert hits.tolist() == [[True, False, False, False], [True, False, False, False]]
    assert n_relevant.tolist() == [2, 1]


# --- properties -------------------------------------------------------------------------------------------


@st.composite
def rankings(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n_users, width = draw(st.integers(1, 20)), draw(st.integers(1, 12))
    hits = draw(hnp.arrays(bool, (n_users, width)))
    extra = draw(hnp.arrays(np.int64, n_users, elements=st.integers(0, 5)))
    return hits, hits.sum(axis=1) + extra


@settings(max_examples=80, deadline=None)
@given(rankings(), st.integers(1, 12))
def test_ndcg_lies_in_unit_interval_and_recall_grows_with_k(data, k: int) -> None:
    hits, n_relevant = data
    k = min(k, hits.shape[1])
    ndcg = ndcg_at_k(hits, n_relevant, k=k)
    defined = n_relevant > 0
    assert np.all((ndcg[defined] >= 0) & (ndcg[defined] <= 1 + 1e-12))
    recalls = np.array([recall_at_k(hits, n_relevant, k=j)[defined] for j in range(1, hits.shape[1] + 1)])
    assert np.all(np.diff(recalls, axis=0) >= 0)


@settings(max_examples=80, deadline=None)
@given(rankings(), st.integers(1, 12))
def test_perfect_ranking_is_optimal(data, k: int) -> None:
    """All relevant items first: NDCG 1 and the best precision and recall any list can reach."""
    hits, n_relevant = data
    k = min(k, hits.shape[1])
    perfect = np.arange(hits.shape[1])[None, :] < n_relevant[:, None]
    defined = n_relevant > 0
    assert np.all(ndcg_at_k(perfect, n_relevant, k=k)[defined] == 1.0)
    best = np.minimum(n_relevant, k)
    np.testing.assert_allclose(precision_at_k(perfect, n_relevant, k=k), best / k)
    np.testing.assert_allclose(
        recall_at_k(perfect, n_relevant, k=k)[defined], best[defined] / n_relevant[defined]
    )
    for metric in METRICS:
        ours, best_possible = metric(hits, n_relevant, k=k), metric(perfect, n_relevant, k=k)
        assert np.all(ours[defined] <= best_possible[defined] + 1e-12)


@settings(max_examples=50, deadline=None)
@given(rankings(), st.randoms(use_true_random=False))
def test_user_order_only_permutes_the_results(data, random) -> None:
    hits, n_relevant = data
    order = list(range(len(hits)))
    random.shuffle(order)
    k = hits.shape[1]
    for metric in METRICS:
        shuffled, original = metric(hits[order], n_relevant[order], k=k), metric(hits, n_relevant, k=k)
        np.testing.assert_array_equal(shuffled, original[order])


# --- bad input -------------------------------------------------------------------------------------------

ONE = [[True, False, True]]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ndcg_at_k(ONE, [2], k=0), r"k must be a positive integer; got 0"),
        (lambda: ndcg_at_k(ONE, [2], k=-1), r"got -1"),
        (lambda: ndcg_at_k(ONE, [2], k=2.5), r"got 2.5"),
        (lambda: ndcg_at_k(ONE, [2], k=True), r"got True"),
        (lambda: recall_at_k(ONE, [2], k=4), r"3 rank positions but k=4; pad"),
        (lambda: recall_at_k([True, False], [1], k=1), r"must be 2-D .* shape \(2,\)"),
        (lambda: mrr_at_k(ONE, [2, 3], k=2), r"shape \(1,\), one count per user; got \(2,\)"),
        (lambda: precision_at_k(ONE, [1], k=2), r"user row 0 has 2 hits but n_relevant=1"),
        (lambda: precision_at_k([[2, 0]], [1], k=2), r"boolean \(or 0/1\); got dtype int64"),
        (lambda: precision_at_k(ONE, [-1.0], k=2), r"whole non-negative counts"),
        (lambda: hit_rate_at_k(np.zeros((0, 3), bool), [], k=2), r"no users"),
        (lambda: hit_matrix([["a"]], [{"a"}, {"b"}]), r"relevant has 2 users but recommended has 1 rows"),
        (lambda: hit_matrix(["a", "b"], [{"a"}]), r"recommended must be 2-D"),
    ],
)
def test_bad_input_raises_with_what_was_received(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
