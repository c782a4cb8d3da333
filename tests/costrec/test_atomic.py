"""Atomic writes leave either the old or the new output, never a partial one."""

from pathlib import Path

import pandas as pd
import pytest

from costrec.atomic import atomic_dir, atomic_file, write_frame


def test_failed_write_keeps_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_dir_is_swapped_whole(tmp_path: Path) -> None:
    target = tmp_path / "model"
    with atomic_dir(target) as d:
        (d / "a").write_text("1")
    with pytest.raises(KeyError), atomic_dir(target) as d:
        (d / "b").write_text("2")
        raise KeyError("x")
    assert sorted(p.name for p in target.iterdir()) == ["a"]
    with atomic_dir(target) as d:
        (d / "b").write_text("2")
    assert sorted(p.name for p in target.iterdir()) == ["b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


@pytest.mark.parametrize("name", ["f.csv", "f.parquet"])
def test_write_frame_round_trip(tmp_path: Path, name: str) -> None:
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    path = write_frame(df, tmp_path / name)
    back = pd.read_csv(path) if name.endswith(".csv") else pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
