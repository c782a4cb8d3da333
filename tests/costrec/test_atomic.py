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


def test_write_frames_writes_all_outputs_or_none(tmp_path) -> None:
    import pandas as pd

    from costrec.atomic import OutputError, write_frames

    first, second = tmp_path / "a.parquet", tmp_path / "b.csv"
    write_frames({first: pd.DataFrame({"x": [1]}), second: "old\n"})
    before = first.read_bytes()

    class Broken(pd.DataFrame):
        def to_csv(self, *args, **kwargs):  # type: ignore[override]
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        write_frames({first: pd.DataFrame({"x": [2]}), second: Broken({"y": [1]})})
    assert first.read_bytes() == before  # the first output was staged, never renamed over the old one
    assert second.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.parquet", "b.csv"]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        write_frames({first: pd.DataFrame({"x": [3]}), blocker / "r.json": "{}"})
    assert first.read_bytes() == before
