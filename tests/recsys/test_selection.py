"""Validation splits, EASE, and model selection on the user's own data (known answers and properties)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys.dataset import Dataset
from recsys.errors import DataError
from recsys.interactions import aggregate_events
from recsys.models.ease import EASE, ease_weights
from recsys.selection import Metric, candidates, select
from recsys.validation import holdout


def _blocks(n_users: int = 120, n_blocks: int = 4, per_block: int = 6, seed: int = 0) -> Dataset:
    """Users each like most items of one block of items, in random order over time."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        block = u % n_blocks
        items = rng.permutation(per_block)[: per_block - 1]
        for t, i in enumerate(items):
            when = pd.Timestamp("2024-01-01") + pd.Timedelta(hours=t)
            rows.append((f"u{u:03d}", f"b{block}-i{i}", 1.0, when))
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "weight", "timestamp"])
    return Dataset(aggregate_events(frame))


def test_ease_weights_solve_the_constrained_least_squares() -> None:
    rng = np.random.default_rng(3)
    x = (rng.random((40, 7)) < 0.4).astype(np.float64)
    l2 = 2.0
    b = ease_weights((x.T @ x).astype(np.float32), l2)
    # Reference: per column j, ridge regression of x[:, j] on the other columns (zero diagonal).
    for j in range(7):
        others = [c for c in range(7) if c != j]
        a = x[:, others]
        ref = np.linalg.solve(a.T @ a + l2 * np.eye(6), a.T @ x[:, j])
        np.testing.assert_allclose(b[others, j], ref, rtol=1e-3, atol=1e-4)
        assert b[j, j] == 0.0


def test_ease_recommends_the_missing_item_of_the_users_block() -> None:
    data = _blocks()
    model = EASE(l2=1.0).fit(data)
    have = data.interactions[data.interactions["user_id"] == "u000"]["item_id"]
    block = {f"b0-i{i}" for i in range(6)}
    recs = model.recommend(["u000"], k=1)
    assert recs["item_id"].iloc[0] == (block - set(have)).pop()
    assert recs["source"].iloc[0] == "ease"


def test_ease_rejects_a_non_positive_penalty() -> None:
    with pytest.raises(DataError, match="l2 must be a positive"):
        EASE(l2=0.0).fit(_blocks())


@pytest.mark.parametrize(
    ("text", "column", "k"),
    [("mrr@25", "mrr_at_k", 25), ("NDCG@10", "ndcg_at_k", 10), ("recall @ 5", "recall_at_k", 5)],
)
def test_metric_parse_known_forms(text, column, k) -> None:
    parsed = Metric.parse(text)
    assert (parsed.column, parsed.k) == (column, k)


@pytest.mark.parametrize("text", ["auc@10", "ndcg", "mrr@0", "mrr@x"])
def test_metric_parse_rejects_with_the_flag_and_the_fix(text) -> None:
    with pytest.raises(DataError, match=r"--metric .* e\.g\. mrr@25"):
        Metric.parse(text)


def test_user_holdout_takes_each_users_newest_items_and_new_users_whole() -> None:
    frame = pd.DataFrame(
        {
            "user_id": ["a"] * 5 + ["b"] * 2 + ["c"],
            "item_id": ["x1", "x2", "x3", "x4", "x5", "y1", "y2", "z1"],
            "weight": 1.0,
            "timestamp": pd.to_datetime(
                ["2024-01-05", "2024-01-01", "2024-01-03", "2024-01-02", "2024-01-04",
                 "2024-01-02", "2024-01-01", "2024-01-01"]
            ),
        }
    )  # fmt: skip
    split = holdout(Dataset(frame), "auto")
    assert split.mode == "user"
    held = set(zip(split.targets["user_id"], split.targets["item_id"], strict=True))
    # a: newest 20% of 5 = 1 (x1); b: at least one (y1); c: a single item, held out as a new user.
    assert held == {("a", "x1"), ("b", "y1"), ("c", "z1")}
    assert "c" not in set(split.data.interactions["user_id"])
    assert "(2 returning, 1 new)" in split.describe()


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    pairs=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 9)), min_size=2, max_size=60, unique=True),
    mode=st.sampled_from(["random", "user"]),
)
def test_holdout_never_leaks_a_target_into_training(pairs, mode) -> None:
    frame = pd.DataFrame(pairs, columns=["user_id", "item_id"]).astype(str).assign(weight=1.0)
    if mode == "user":
        frame["timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(frame)), unit="min")
    seen = frame[["user_id", "item_id"]]
    data = Dataset(frame, seen=seen)
    if frame.groupby("user_id")["item_id"].transform("size").eq(1).all():
        # Every pair belongs to a single-item user: all are held out and nothing is left to learn from.
        with pytest.raises(DataError, match="nothing to learn from"):
            holdout(data, mode)
        return
    split = holdout(data, mode)
    train = set(zip(split.data.interactions["user_id"], split.data.interactions["item_id"], strict=True))
    held = set(zip(split.targets["user_id"], split.targets["item_id"], strict=True))
    assert not train & held
    assert train | held == set(pairs_to_str(pairs))
    assert split.data.seen is not None
    assert not set(zip(split.data.seen["user_id"], split.data.seen["item_id"], strict=True)) & held


def pairs_to_str(pairs: list[tuple[int, int]]) -> list[tuple[str, str]]:
    return [(str(u), str(i)) for u, i in pairs]


def test_holdout_errors_name_the_flag() -> None:
    frame = pd.DataFrame({"user_id": ["a", "a"], "item_id": ["x", "y"], "weight": 1.0})
    with pytest.raises(DataError, match="--validation 'weekly'"):
        holdout(Dataset(frame), "weekly")
    with pytest.raises(DataError, match="--validation temporal needs timestamps"):
        holdout(Dataset(frame), "temporal")


def test_candidates_leave_out_what_the_inputs_cannot_feed() -> None:
    pool, skipped = candidates(_blocks())
    labels = {c.model for c in pool}
    assert {"popularity", "ease", "als", "item_knn"} <= labels
    assert "content" not in labels
    assert "item metadata" in skipped["content"]
    with pytest.raises(DataError, match="--model nope"):
        candidates(_blocks(), ["nope"])


def test_selection_keeps_the_best_candidate_and_scores_every_one() -> None:
    sel = select(_blocks(), names=["popularity", "ease", "item_knn"], metric="mrr@5", n_boot=50)
    board = sel.leaderboard
    assert board["value"].is_monotonic_decreasing
    assert sel.chosen.label == board["label"].iloc[0]
    # Never below the best single candidate on the split, and the block structure beats popularity.
    assert board.loc[board["label"] == sel.chosen.label, "value"].iloc[0] == board["value"].max()
    assert sel.chosen.model in {"ease", "item_knn"}
    assert (board["low"] <= board["value"]).all()
    assert (board["value"] <= board["high"]).all()
    ease = board[board["model"] == "ease"].iloc[0]
    assert ease["lift"] > 2.0
    per_user = sel.per_user[sel.per_user["label"] == ease["label"]]
    assert per_user["value"].mean() == pytest.approx(ease["value"])


def test_popularity_is_only_a_reference_when_other_models_are_named() -> None:
    # One interaction per user besides the held-out one: nothing to learn item to item, popularity wins
    # the board, but the named model is the one kept.
    sel = select(_blocks(), names=["bpr"], metric="mrr@5", n_boot=20)
    assert set(sel.leaderboard["model"]) == {"popularity", "bpr"}
    assert sel.chosen.model == "bpr"


@pytest.mark.parametrize(("mode", "inner"), [("user", "user"), ("random", "user"), ("temporal", "temporal")])
def test_the_hybrid_candidate_learns_its_ranker_on_a_split_shaped_like_the_selections(mode, inner) -> None:
    from recsys.selection import _grid

    assert dict(_grid(mode)["hybrid"][0].params) == {"validation": inner}
