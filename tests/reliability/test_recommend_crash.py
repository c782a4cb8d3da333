"""``recommend train``/``batch`` in two processes give identical models and lists; a killed batch keeps
the previous recommendations.

Determinism: factor models are seeded (``random_state=0``) and, for a fixed thread count, implicit's ALS
and the LightGBM ranker are deterministic, so two trainings write byte-identical model files. BPR is the
exception: its Hogwild SGD is deterministic only on one thread (``num_threads=1``).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / "data" / "jobs"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, rel: SimpleNamespace) -> Path:
    """Two ALS models trained by two processes at once, then top-10 lists from each, in two processes."""
    root = tmp_path_factory.mktemp("recsys")
    train = ("train", DATA / "events.csv", "--users", DATA / "users.csv", "--items", DATA / "jobs.csv",
             "--model", "als")  # fmt: skip
    for proc in [rel.start("recommend", *train, "-o", root / f"model-{n}") for n in "ab"]:
        rel.finish(proc)
    batch = ("--k", "10", "--items", DATA / "jobs.csv", "--as-of", "2024-04-30", "--no-progress")
    procs = [rel.start("recommend", "batch", root / f"model-{n}", "-o", root / f"recs-{n}.parquet", *batch)
             for n in "ab"]  # fmt: skip
    for proc in procs:
        rel.finish(proc)
    return root


def test_training_and_recommendations_are_identical_across_processes(trained: Path) -> None:
    files = [json.loads((trained / f"model-{n}" / "manifest.json").read_text())["files"] for n in "ab"]
    assert files[0] == files[1]  # every file of the model, byte for byte (SHA-256)
    a, b = (pd.read_parquet(trained / f"recs-{n}.parquet") for n in "ab")
    assert a["user_id"].nunique() > 1000
    assert (a.groupby("user_id").size() <= 10).all()
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_sigkill_before_the_rename_keeps_the_previous_recommendations(
    trained: Path, rel: SimpleNamespace
) -> None:
    out = trained / "recs-a.parquet"
    before = out.read_bytes()
    proc = rel.start("recommend", "batch", trained / "model-a", "-o", out, "--k", "3", "--no-progress",
                     env={"COSTREC_TEST_KILL_AT": "1"})  # fmt: skip
    rel.finish(proc, -9)
    assert out.read_bytes() == before
    assert len(pd.read_parquet(out)) > 0
    # The fsynced temporary copy stays behind as a hidden file no reader globs (*.parquet, *.csv).
    assert rel.visible(trained) == ["model-a", "model-b", "recs-a.parquet", "recs-b.parquet"]
    left = [p.name for p in trained.iterdir() if p.name.startswith(".")]
    assert len(left) == 1
    assert left[0].startswith(".tmp-recs-a.parquet.")
