"""``recommend`` bad input: one-line errors naming the cause, what was received and the fix; exit 2."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from recsys.cli import main
from recsys.synthetic import JobBoardConfig, generate_job_board, write_job_board


@pytest.fixture(scope="module")
def board_dir(tmp_path_factory) -> Path:
    cfg = JobBoardConfig(n_users=120, n_jobs=60, n_days=20, seed=3)
    return write_job_board(generate_job_board(cfg), tmp_path_factory.mktemp("board") / "jobs", cfg)


@pytest.fixture(scope="module")
def popularity_dir(board_dir: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("models") / "pop"
    args = ["train", str(board_dir / "events.csv"), "--model", "popularity", "--no-progress", "-o", str(out)]
    assert main(args) == 0
    return out


def _error(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "Traceback" not in err
    return err


def test_utf16_interactions_name_the_encoding(board_dir: Path, tmp_path: Path, capsys) -> None:
    # Was DuckDB's dozen-line "Error when sniffing file" listing delimiter candidates.
    path = tmp_path / "events.csv"
    path.write_bytes((board_dir / "events.csv").read_text().encode("utf-16"))
    out = tmp_path / "model"
    err = _error(["train", str(path), "-o", str(out)], capsys)
    assert err.startswith(f"recommend train: error: Cannot read {path}: UTF-16 text")
    assert f"`iconv -f UTF-16 -t UTF-8 {path} > {tmp_path / 'events-utf8.csv'}`" in err
    assert "sniffing" not in err
    assert not out.exists()


def test_empty_interaction_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(b"")
    out = tmp_path / "model"
    err = _error(["train", str(path), "-o", str(out)], capsys)
    assert f"Cannot read {path}: empty file (0 bytes)" in err
    assert "Sniffer" not in err
    assert not out.exists()


def test_header_only_interaction_file_keeps_its_message(tmp_path: Path, capsys) -> None:
    path = tmp_path / "events.csv"
    path.write_text("user_id,item_id,event_type,timestamp\n")
    err = _error(["train", str(path), "-o", str(tmp_path / "model")], capsys)
    assert "has a header but no rows" in err


def test_truncated_gzip_interactions(board_dir: Path, tmp_path: Path, capsys) -> None:
    whole = gzip.compress((board_dir / "events.csv").read_bytes())
    path = tmp_path / "events.csv.gz"
    path.write_bytes(whole[: len(whole) // 3])
    err = _error(["train", str(path), "-o", str(tmp_path / "model")], capsys)
    assert f"Cannot read {path}: damaged gzip: the file is truncated" in err
    assert f"gzip -t {path}" in err


@pytest.mark.parametrize("users", ["-3", "0"])
def test_annotate_users_must_be_positive(popularity_dir: Path, tmp_path: Path, capsys, users: str) -> None:
    # -3 ended in a traceback from the sampler; 0 wrote a sheet without a single user.
    sheet = tmp_path / "sheet.csv"
    err = _error(["annotate", str(popularity_dir), "--users", users, "-o", str(sheet)], capsys)
    assert err == (
        f"recommend annotate: error: --sample must be a positive number of users; got {users}. "
        "Pass e.g. --sample 20."
    )
    assert list(tmp_path.iterdir()) == []


def test_sample_and_ks_are_the_names_and_users_and_k_their_old_spellings() -> None:
    from recsys.cli import build_parser

    parser = build_parser()
    new = parser.parse_args(["annotate", "m", "--sample", "4", "-o", "s.csv"])
    old = parser.parse_args(["annotate", "m", "--users", "4", "-o", "s.csv"])
    assert new.users == old.users == 4
    ev_new = parser.parse_args(["evaluate", "events.csv", "--ks", "5,10"])
    ev_old = parser.parse_args(["evaluate", "events.csv", "--k", "5,10"])
    assert ev_new.k == ev_old.k == "5,10"


def test_annotate_one_user_writes_one_user(popularity_dir: Path, tmp_path: Path, capsys) -> None:
    sheet = tmp_path / "sheet.csv"
    assert main(["annotate", str(popularity_dir), "--users", "1", "--k", "2", "-o", str(sheet)]) == 0
    assert capsys.readouterr().out.startswith("1 users x 1 models")


def test_utf16_profile_file_names_the_encoding(board_dir: Path, tmp_path: Path, capsys) -> None:
    users = tmp_path / "users.csv"
    users.write_bytes((board_dir / "users.csv").read_text().encode("utf-16"))
    argv = ["train", str(board_dir / "events.csv"), "--users", str(users), "-o", str(tmp_path / "model")]
    err = _error(argv, capsys)
    assert f"Cannot read {users}: UTF-16 text (little-endian, with a byte-order mark)" in err
    assert not (tmp_path / "model").exists()
