"""The seeded job board: byte-identical regeneration and the latent-taste structure tests rely on."""

from pathlib import Path

import pandas as pd
import pytest

from recsys.synthetic import JobBoardConfig, generate_job_board, main, write_job_board

DATA = Path(__file__).resolve().parents[2] / "data" / "jobs"


def test_committed_sample_regenerates_byte_for_byte(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path / "jobs")]) == 0
    committed = sorted(p.name for p in DATA.iterdir())
    regenerated = sorted(p.name for p in (tmp_path / "jobs").iterdir())
    assert committed == regenerated
    for name in committed:
        assert (DATA / name).read_bytes() == (tmp_path / "jobs" / name).read_bytes(), name


def test_committed_sample_is_small() -> None:
    assert sum(p.stat().st_size for p in DATA.iterdir()) < 1_500_000


@pytest.fixture(scope="module")
def board() -> pd.DataFrame:
    return generate_job_board(JobBoardConfig(n_users=400, n_jobs=300, n_days=60, seed=3))


def test_events_follow_the_latent_tastes(board) -> None:
    views = board.events[board.events["event_type"] == "view"]
    m = views.merge(board.truth_users, on="user_id").merge(
        board.truth_jobs, on="item_id", suffixes=("", "_job")
    )
    m = m.merge(board.jobs[["item_id", "state", "posted_at", "expires_at"]], on="item_id")
    # 12 clusters and 10 states: chance levels are about 8% and 10%.
    assert (m["cluster"] == m["cluster_job"]).mean() > 0.4
    assert (m["home_state"] == m["state"]).mean() > 0.2
    # Every view happens while the job is open.
    assert ((m["timestamp"] >= m["posted_at"]) & (m["timestamp"] < m["expires_at"])).all()


def test_funnel_cold_users_and_sparse_profiles(board) -> None:
    events = board.events
    views = events[events["event_type"] == "view"].groupby(["user_id", "item_id"]).size()
    applies = events[events["event_type"] == "apply"].groupby(["user_id", "item_id"]).size()
    assert applies.index.isin(views.index).all()
    inactive = board.truth_users.loc[~board.truth_users["active"], "user_id"]
    assert len(inactive) > 0
    assert not events["user_id"].isin(inactive).any()
    # Profiles are sparse: every profile column has gaps, and most are mostly empty.
    fill = board.users.drop(columns=["user_id", "signup_date"]).notna().mean()
    assert (fill < 1).all()
    assert (fill < 0.5).sum() >= 3


def test_late_jobs_have_no_events_before_they_are_posted(board) -> None:
    cutoff = board.events["timestamp"].quantile(0.9)
    late = board.jobs.loc[board.jobs["posted_at"] > cutoff, "item_id"]
    assert len(late) > 0
    before = board.events[board.events["timestamp"] < cutoff]
    assert not before["item_id"].isin(late).any()
    after = board.events[board.events["timestamp"] >= cutoff]
    assert after["item_id"].isin(late).any()


def test_same_seed_same_board_other_seed_other_board(tmp_path: Path) -> None:
    cfg = JobBoardConfig(n_users=60, n_jobs=40, n_days=20, seed=5)
    a = write_job_board(generate_job_board(cfg), tmp_path / "a", cfg)
    b = write_job_board(generate_job_board(cfg), tmp_path / "b", cfg)
    assert (a / "events.csv").read_bytes() == (b / "events.csv").read_bytes()
    other = generate_job_board(JobBoardConfig(n_users=60, n_jobs=40, n_days=20, seed=6))
    assert not other.events.equals(pd.read_csv(a / "events.csv", parse_dates=["timestamp"]))


def test_config_rejects_impossible_sizes() -> None:
    with pytest.raises(ValueError, match="n_jobs"):
        JobBoardConfig(n_jobs=3)
