"""The recommend command line end to end: train, batch, evaluate, annotate, and its error messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from recsys.cli import main
from recsys.synthetic import JobBoardConfig, generate_job_board, write_job_board


@pytest.fixture(scope="module")
def board_dir(tmp_path_factory) -> Path:
    cfg = JobBoardConfig(n_users=400, n_jobs=200, n_days=45, seed=5)
    return write_job_board(generate_job_board(cfg), tmp_path_factory.mktemp("board") / "jobs", cfg)


@pytest.fixture(scope="module")
def model_dir(board_dir: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("models") / "hybrid"
    args = ["train", str(board_dir / "events.csv"), "--users", str(board_dir / "users.csv")]
    assert main([*args, "--items", str(board_dir / "jobs.csv"), "-o", str(out)]) == 0
    return out


def test_train_then_batch_for_all_users(model_dir, board_dir, tmp_path, capsys) -> None:
    out = tmp_path / "recs.parquet"
    assert main(["batch", str(model_dir), "-o", str(out), "--k", "5", "--no-progress"]) == 0
    recs = pd.read_parquet(out)
    assert list(recs.columns) == ["user_id", "rank", "item_id", "score", "source"]
    assert recs["user_id"].nunique() == 400  # every user of the profile file, with or without history
    assert recs.groupby("user_id").size().eq(5).all()
    assert "400 users" in capsys.readouterr().out


def test_batch_serves_new_users_and_new_jobs_from_files(model_dir, board_dir, tmp_path) -> None:
    jobs = pd.read_csv(board_dir / "jobs.csv")
    as_of = "2024-02-10"
    new_job = {"item_id": "fresh-1", "title": "Registered Nurse", "company": "Mercy",
               "industry": "Healthcare", "city": "Houston", "state": "TX", "posted_at": as_of,
               "expires_at": "2024-03-30"}  # fmt: skip
    catalog = pd.concat([jobs, pd.DataFrame([new_job])], ignore_index=True)
    catalog.to_csv(tmp_path / "catalog.csv", index=False)
    pd.DataFrame({"user_id": ["walk-in"], "occupation": ["Registered Nurse"], "state": ["TX"]}).to_csv(
        tmp_path / "users.csv", index=False
    )
    out = tmp_path / "recs.csv"
    args = ["batch", str(model_dir), "-o", str(out), "--users", str(tmp_path / "users.csv")]
    assert (
        main(
            [*args, "--items", str(tmp_path / "catalog.csv"), "--as-of", as_of, "--k", "10", "--no-progress"]
        )
        == 0
    )
    recs = pd.read_csv(out)
    assert recs["user_id"].unique().tolist() == ["walk-in"]
    assert "fresh-1" in set(recs["item_id"])
    expired = set(
        catalog.loc[pd.to_datetime(catalog["expires_at"], format="mixed") < pd.Timestamp(as_of), "item_id"]
    )
    assert not set(recs["item_id"]) & expired


def test_evaluate_prints_and_writes_lifts_by_segment(board_dir, tmp_path, capsys) -> None:
    out = tmp_path / "evaluation.csv"
    args = ["evaluate", str(board_dir / "events.csv"), "--users", str(board_dir / "users.csv")]
    args += ["--items", str(board_dir / "jobs.csv"), "--models", "popularity,content", "--k", "5,10"]
    assert main([*args, "--n-boot", "50", "--no-progress", "-o", str(out)]) == 0
    table = pd.read_csv(out)
    assert set(table["segment"]) == {"all", "warm_users", "cold_users", "new_items"}
    assert set(table["k"]) == {5, 10}
    content = table[(table["model"] == "content") & (table["segment"] == "all")]
    assert (content["ndcg_at_k_lift_low"] <= content["ndcg_at_k_lift"]).all()
    assert (content["coverage_lift"] > 1).all()
    printed = capsys.readouterr().out
    assert "== cold_users ==" in printed
    assert "temporal split" in printed


def test_annotate_round_trip(model_dir, tmp_path, capsys) -> None:
    sheet_path = tmp_path / "sheet.csv"
    args = ["annotate", str(model_dir), "--users", "4", "--k", "3", "-o", str(sheet_path)]
    # Blind by default: no model names in the sheet, a key file beside it.
    assert main(args) == 0
    assert "model" not in pd.read_csv(sheet_path).columns
    assert (tmp_path / "sheet.key.csv").is_file()
    assert main([*args, "--open"]) == 0
    sheet = pd.read_csv(sheet_path)
    assert sheet["user_id"].nunique() == 4
    assert set(sheet["model"]) == {"hybrid", "popularity"}
    assert sheet["correct"].isna().all()
    sheet["correct"] = (sheet["model"] == "hybrid").map({True: "yes", False: "no"})
    sheet.to_csv(sheet_path, index=False)
    capsys.readouterr()
    assert main(["annotate", "--score", str(sheet_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.split()[:4] == ["hybrid", "4", "12", "1.000"] for line in lines)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--weights", "view=1,apply=5"], "event types without a weight: 'click'"),
        (["--user-col", "member"], "lacks column(s) user='member'"),
        (["--min-user-interactions", "1000"], "Nothing is left after pruning"),
    ],
)
def test_bad_input_exits_2_with_the_fix(board_dir, tmp_path, capsys, extra, message) -> None:
    args = ["train", str(board_dir / "events.csv"), "-o", str(tmp_path / "m"), "--model", "popularity"]
    assert main([*args, *extra]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_batch_refuses_a_tampered_model(model_dir, tmp_path, capsys) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(model_dir, copy)
    (copy / "model" / "ranker.txt").write_text("tampered")
    assert main(["batch", str(copy), "-o", str(tmp_path / "r.csv")]) == 2
    assert "modified since it was saved" in capsys.readouterr().err


@pytest.fixture
def pairs_file(board_dir, tmp_path) -> tuple[Path, pd.DataFrame]:
    # The plain table user_id, item_id, weight: no metadata, so there is no content to match.
    events = pd.read_csv(board_dir / "events.csv")
    pairs = events.groupby(["user_id", "item_id"], as_index=False).size().rename(columns={"size": "weight"})
    path = tmp_path / "pairs.csv"
    pairs.to_csv(path, index=False)
    return path, pairs


@pytest.mark.parametrize("model", ["hybrid", "content"])
def test_models_that_need_metadata_refuse_to_train_without_it(pairs_file, tmp_path, model, capsys) -> None:
    path, _ = pairs_file
    assert main(["train", str(path), "-o", str(tmp_path / model), "--model", model]) == 2
    err = capsys.readouterr().err
    assert "--items" in err
    assert err.count("\n") == 1
    assert not (tmp_path / model).exists()


def test_interactions_alone_choose_among_the_models_they_allow(pairs_file, tmp_path, capsys) -> None:
    path, pairs = pairs_file
    out = tmp_path / "auto"
    assert main(["train", str(path), "-o", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "left out content: needs item metadata" in printed
    assert "left out hybrid:" in printed
    recs_path = tmp_path / "recs.csv"
    assert main(["batch", str(out), "-o", str(recs_path), "--k", "5", "--no-progress"]) == 0
    recs = pd.read_csv(recs_path)
    assert recs["user_id"].nunique() == pairs["user_id"].nunique()
    assert recs.groupby("user_id").size().eq(5).all()
    seen = set(zip(pairs["user_id"], pairs["item_id"], strict=True))
    assert not any((u, i) in seen for u, i in zip(recs["user_id"], recs["item_id"], strict=True))
