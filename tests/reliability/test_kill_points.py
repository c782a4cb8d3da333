"""The kill points of ``costrec.atomic``: SIGKILL at each commit point leaves the old or the new output.

The writer runs in a small subprocess (only ``costrec.atomic`` and pandas imported), so every kill point
of a file write and of both folder-swap strategies (one ``renameat2`` exchange, or two renames) is cheap
to test; ``test_forecast_crash`` and ``test_recommend_crash`` kill the real CLIs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from costrec.atomic import atomic_dir

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    import costrec.atomic as atomic
    target, mode, text = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    if mode == "two-renames":
        atomic._exchange = lambda a, b: False  # as on a file system without RENAME_EXCHANGE
    if mode == "file":
        atomic.write_text(text, target)
    else:
        with atomic.atomic_dir(target) as tmp:
            (tmp / "data.txt").write_text(text)
            (tmp / "more.txt").write_text(text * 2)
""")


def _write(target: Path, mode: str, text: str, kill_at: int | None) -> int:
    env = {k: v for k, v in os.environ.items() if k != "COSTREC_TEST_KILL_AT"}
    if kill_at is not None:
        env["COSTREC_TEST_KILL_AT"] = str(kill_at)
    done = subprocess.run([sys.executable, "-c", WRITER, str(target), mode, text], env=env, timeout=120)
    return done.returncode


def _state(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*") if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(folder).parts)}  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "kill_at"), [("file", 1), ("exchange", 1), ("two-renames", 1), ("two-renames", 2)]
)
def test_every_kill_point_leaves_the_old_or_the_new_output(tmp_path: Path, mode: str, kill_at: int) -> None:
    target = tmp_path / ("out.txt" if mode == "file" else "out")
    assert _write(target, mode, "old", None) == 0
    old = _state(tmp_path)
    assert _write(target, mode, "new", kill_at) == -9
    if mode == "two-renames" and kill_at == 2:
        # Killed between the renames: the old folder waits under its aside name; the next write of the
        # folder puts it back before anything else, so nothing is lost.
        assert not target.exists()
        with atomic_dir(target) as tmp:
            assert _state(tmp_path) == old
            (tmp / "data.txt").write_text("newer")
        assert _state(target) == {"data.txt": "newer"}
    else:
        assert _state(tmp_path) == old
    assert _write(target, mode, "new", None) == 0  # and the next run completes normally
    assert "new" in _state(tmp_path).values()


def test_a_killed_first_write_leaves_no_visible_output(tmp_path: Path) -> None:
    assert _write(tmp_path / "out", "exchange", "x", 1) == -9
    assert _write(tmp_path / "f.txt", "file", "x", 1) == -9
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".tmp-")] == []
