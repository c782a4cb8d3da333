"""``recommend train`` chooses on a validation split, gates replacements, and filters what users saw."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.cli import main
from recsys.store import load_model


@pytest.fixture(scope="module")
def ratings(tmp_path_factory) -> Path:
    """Ratings of 150 users on 3 genres of 8 movies: each user likes (>= 4) most of one genre, and rates a few
    movies of the next genre low."""
    rng = np.random.default_rng(7)
    rows = []
    for u in range(150):
        genre = u % 3
        liked = rng.permutation(8)[:6]
        disliked = rng.permutation(8)[:2]
        t = 0
        for i in liked:
            rows.append((f"u{u}", f"g{genre}m{i}", 5.0, 1_700_000_000 + 3600 * t))
            t += 1
        for i in disliked:
            rows.append((f"u{u}", f"g{(genre + 1) % 3}m{i}", 1.0, 1_700_000_000 + 3600 * t))
            t += 1
    path = tmp_path_factory.mktemp("ratings") / "ratings.csv"
    pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"]).to_csv(path, index=False)
    return path


def _train(ratings: Path, out: Path, *extra: str) -> int:
    return main(["train", str(ratings), "--value-col", "rating", "--min-value", "4", "-o", str(out),
                 "--no-progress", *extra])  # fmt: skip


def test_train_prints_and_keeps_the_leaderboard(ratings, tmp_path, capsys) -> None:
    out = tmp_path / "model"
    assert _train(ratings, out, "--model", "popularity,ease,item_knn", "--metric", "ndcg@5") == 0
    printed = capsys.readouterr().out
    assert "validation 'user'" in printed
    board = pd.read_csv(out / "leaderboard.csv")
    assert set(board["model"]) == {"popularity", "ease", "item_knn"}
    assert board["value"].is_monotonic_decreasing
    chosen = json.loads((out / "selection.json").read_text())["chosen"]
    assert chosen == board["label"].iloc[0]
    assert f"* {chosen}" in printed
    assert "ndcg@5" in printed
    assert load_model(out).name == board["model"].iloc[0]


def test_exclude_seen_holds_items_rated_below_the_threshold(ratings, tmp_path, capsys) -> None:
    out = tmp_path / "model"
    assert _train(ratings, out, "--model", "item_knn") == 0
    assert "'seen'" in capsys.readouterr().out  # ratings are never revisited: auto chooses 'seen'
    for exclude in ("seen", "auto"):
        recs_path = tmp_path / f"recs-{exclude}.csv"
        assert main(["batch", str(out), "-o", str(recs_path), "--k", "20", "--exclude", exclude,
                     "--no-progress"]) == 0  # fmt: skip
        recs = pd.read_csv(recs_path)
        rated = pd.read_csv(ratings)
        touched = set(zip(rated["user_id"], rated["item_id"], strict=True))
        assert not any((u, i) in touched for u, i in zip(recs["user_id"], recs["item_id"], strict=True))
        assert recs.groupby("user_id").size().eq(16).all()  # 24 movies minus the 8 each user rated
    # "converted" (no event types: every kept interaction) lets low-rated movies back in.
    conv = tmp_path / "recs-conv.csv"
    args = ["batch", str(out), "-o", str(conv), "--k", "20", "--exclude", "converted", "--no-progress"]
    assert main(args) == 0
    recs = pd.read_csv(conv)
    low_rated = pd.read_csv(ratings).query("rating < 4")
    low = set(zip(low_rated["user_id"], low_rated["item_id"], strict=True))
    assert any((u, i) in low for u, i in zip(recs["user_id"], recs["item_id"], strict=True))


def test_gate_keeps_a_better_model_unless_forced(ratings, tmp_path, capsys) -> None:
    out = tmp_path / "model"
    assert _train(ratings, out, "--model", "ease") == 0
    first = (out / "manifest.json").read_text()
    capsys.readouterr()
    # Popularity alone is worse on the same split: the existing EASE model stays, the decision is kept.
    assert _train(ratings, out, "--model", "popularity") == 0
    printed = capsys.readouterr().out
    assert "kept the existing model" in printed
    assert (out / "manifest.json").read_text() == first
    gate = json.loads((out / "gate.json").read_text())
    assert gate["replaced"] is False
    assert gate["old"]["value"] > gate["new"]["value"]
    assert load_model(out).name == "ease"  # the record does not break the model's integrity check
    assert _train(ratings, out, "--model", "popularity", "--force") == 0
    assert "(--force)" in capsys.readouterr().out
    assert load_model(out).name == "popularity"
    assert json.loads((out / "gate.json").read_text())["forced"] is True


def test_gate_replaces_a_model_that_is_not_better(ratings, tmp_path, capsys) -> None:
    out = tmp_path / "model"
    assert _train(ratings, out, "--model", "popularity") == 0
    assert _train(ratings, out, "--model", "ease") == 0
    assert "-> replaced the existing model" in capsys.readouterr().out
    assert load_model(out).name == "ease"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--metric", "auc@5"], "--metric 'auc@5'"),
        (["--validation", "weekly"], "--validation 'weekly'"),
        (["--model", "nope"], "--model nope"),
        (["--model", " , "], "names no model"),
    ],
)
def test_bad_flags_are_one_line_errors_and_write_nothing(ratings, tmp_path, capsys, flags, message) -> None:
    out = tmp_path / "model"
    assert _train(ratings, out, *flags) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert not out.exists()


def test_a_model_of_other_items_is_replaced_without_the_gate(ratings, tmp_path, capsys) -> None:
    out = tmp_path / "model"
    assert _train(ratings, out, "--model", "ease") == 0
    other = tmp_path / "other.csv"
    frame = pd.read_csv(ratings)
    frame.assign(item_id="new-" + frame["item_id"]).to_csv(other, index=False)
    capsys.readouterr()
    # Popularity loses to EASE on these ratings, but the existing model knows none of the new items.
    assert _train(other, out, "--model", "popularity") == 0
    assert "holds a model of other items (0% of these known); replacing it" in capsys.readouterr().out
    assert load_model(out).name == "popularity"
