"""rank_scores scores recommendation frames per user like the array metrics; catalog coverage."""

import math

import numpy as np
import pandas as pd
import pytest

from metrics.frame import catalog_coverage_score, rank_scores

COLUMNS = ["user_id", "precision_at_k", "recall_at_k", "mrr_at_k", "ndcg_at_k", "hit_rate_at_k", "n_targets"]


def random_frames(seed: int, n_users: int = 80, width: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    items = [f"job{i}" for i in range(40)]
    recs = pd.DataFrame(
        {
            "user_id": np.repeat([f"u{u}" for u in range(n_users)], width),
            "rank": np.tile(np.arange(1, width + 1), n_users),
            "item_id": np.concatenate([rng.choice(items, width, replace=False) for _ in range(n_users)]),
        }
    )
    targets = pd.DataFrame(
        {"user_id": [f"u{u}" for u in rng.integers(0, n_users + 10, 300)], "item_id": rng.choice(items, 300)}
    )
    return recs, targets


def reference(recs: pd.DataFrame, targets: pd.DataFrame, k: int) -> pd.DataFrame:
    """Per-user loop over the Personalize definitions."""
    rows = []
    for user, tgt in targets.groupby("user_id"):
        relevant = set(tgt["item_id"])
        ranked = recs[recs["user_id"] == user].sort_values("rank")["item_id"].tolist()[:k]
        hits = [item in relevant for item in ranked]
        dcg = sum(1 / math.log2(1 + i) for i, hit in enumerate(hits, start=1) if hit)
        idcg = sum(1 / math.log2(1 + i) for i in range(1, min(k, len(relevant)) + 1))
        first = next((i for i, hit in enumerate(hits, start=1) if hit), None)
        rows.append(
            [user, sum(hits) / k, sum(hits) / len(relevant), 1 / first if first else 0.0, dcg / idcg,
             float(any(hits)), len(relevant)]
        )  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


@pytest.mark.parametrize(("seed", "k"), [(0, 1), (1, 5), (2, 10), (3, 25)])
def test_rank_scores_match_a_per_user_reference(seed: int, k: int) -> None:
    recs, targets = random_frames(seed)
    got = rank_scores(recs, targets, k=k)
    pd.testing.assert_frame_equal(got, reference(recs, targets, k), check_dtype=False)


def test_users_with_targets_but_no_recommendations_score_zero_and_others_are_left_out() -> None:
    recs = pd.DataFrame({"user_id": ["a", "a", "z"], "rank": [1, 2, 1], "item_id": ["x", "y", "x"]})
    targets = pd.DataFrame({"user_id": ["a", "b", "b"], "item_id": ["y", "x", "x"]})
    got = rank_scores(recs, targets, k=2)
    assert got["user_id"].tolist() == ["a", "b"]
    assert got.iloc[1, 1:].tolist() == [0.0, 0.0, 0.0, 0.0, 0.0, 1]  # duplicate target counts once
    assert got.loc[0, "mrr_at_k"] == 0.5


def test_order_comes_from_rank_not_row_order_and_gaps_close() -> None:
    recs = pd.DataFrame({"user_id": ["a"] * 3, "rank": [7, 2, 30], "item_id": ["hit", "miss", "late"]})
    targets = pd.DataFrame({"user_id": ["a", "a"], "item_id": ["hit", "late"]})
    got = rank_scores(recs, targets, k=2)
    assert got.loc[0, "mrr_at_k"] == 0.5  # "hit" is second after sorting by rank
    assert got.loc[0, "recall_at_k"] == 0.5  # "late" is third, outside k=2
    shuffled = rank_scores(recs.sample(frac=1.0, random_state=3), targets.iloc[::-1], k=2)
    pd.testing.assert_frame_equal(shuffled, got)


def test_repeated_recommendation_hits_once() -> None:
    recs = pd.DataFrame({"user_id": ["a"] * 3, "rank": [1, 2, 3], "item_id": ["x", "x", "y"]})
    targets = pd.DataFrame({"user_id": ["a", "a"], "item_id": ["x", "y"]})
    got = rank_scores(recs, targets, k=3)
    assert got.loc[0, "precision_at_k"] == pytest.approx(2 / 3)
    assert got.loc[0, "recall_at_k"] == 1.0


def test_integer_ids_work() -> None:
    recs = pd.DataFrame({"user_id": [1, 1, 2], "rank": [1, 2, 1], "item_id": [10, 11, 10]})
    targets = pd.DataFrame({"user_id": [1, 2], "item_id": [11, 12]})
    got = rank_scores(recs, targets, k=2)
    assert got["user_id"].tolist() == [1, 2]
    assert got["hit_rate_at_k"].tolist() == [1.0, 0.0]


RECS = {"user_id": ["a"], "item_id": ["x"], "rank": [1]}
TARGETS = {"user_id": ["a"], "item_id": ["x"]}


@pytest.mark.parametrize(
    ("recs", "targets", "k", "match"),
    [
        ({"user_id": ["a"], "item_id": ["x"]}, TARGETS, 1, r"recommendations is missing .*\['rank'\]"),
        (RECS, {"user_id": ["a"]}, 1, r"targets is missing column\(s\) \['item_id'\]"),
        (RECS, TARGETS, 0, r"k must be a positive integer; got 0"),
        (RECS, {"user_id": [], "item_id": []}, 1, r"targets has no \(user, item\) rows"),
        ({**RECS, "rank": [None]}, TARGETS, 1, r"column 'rank' holds 1 NaN"),
        ({**RECS, "user_id": [1]}, {**TARGETS, "user_id": ["1"]}, 1, r"'user_id' holds numbers .* but texts"),
    ],
)
def test_bad_frames_raise_with_what_was_received(recs, targets, k, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        rank_scores(pd.DataFrame(recs), pd.DataFrame(targets), k=k)


def test_catalog_coverage_counts_distinct_catalog_items_recommended() -> None:
    assert catalog_coverage_score(["a", "b", "a", "zz", None], ["a", "b", "c", "d", "d"]) == 0.5
    assert catalog_coverage_score([], ["a"]) == 0.0
    assert catalog_coverage_score(np.array([3, 1, 2]), pd.Series([1, 2, 3])) == 1.0
    with pytest.raises(ValueError, match=r"catalog is empty"):
        catalog_coverage_score(["a"], [])
    with pytest.raises(ValueError, match=r"holds texts .* but numbers"):
        catalog_coverage_score(["1"], [1, 2])
