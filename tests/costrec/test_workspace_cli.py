"""The CLIs under ``--workspace ROOT --tenant ID``: work inside the tenant, refuse every way out of it."""

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from forecasting.cli import main as forecast
from recsys.cli import main as recommend

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two tenants: each uploaded a bill and a small job log, prepared its series and trained a model."""
    root = tmp_path_factory.mktemp("workspaces")
    events = pd.read_csv(DATA / "jobs" / "events.csv").head(3000)
    for tenant in ("tenant-a", "tenant-b"):
        raw = root / tenant / "raw"
        raw.mkdir(parents=True)
        shutil.copy(DATA / "bills" / "cur_legacy.csv.gz", raw / "bill.csv.gz")
        events.to_csv(raw / "events.csv", index=False)
        ws = ["--workspace", str(root), "--tenant", tenant]
        assert forecast(["prepare", "bill.csv.gz", "-o", "daily.parquet", "--no-progress", *ws]) == 0
        assert recommend(["train", "events.csv", "-o", "pop", "--model", "popularity", *ws]) == 0
    return root


def _ws(tenant: str, root: Path) -> list[str]:
    return ["--workspace", str(root), "--tenant", tenant]


def test_bare_names_land_in_the_usual_areas(root: Path) -> None:
    home = root / "tenant-a"
    assert pd.read_parquet(home / "series" / "daily.parquet")["y"].sum() > 0
    assert (home / "models" / "pop" / "manifest.json").is_file()
    assert (
        recommend(["batch", "pop", "-o", "recs.csv", "--k", "5", "--no-progress", *_ws("tenant-a", root)])
        == 0
    )
    recs = pd.read_csv(home / "recommendations" / "recs.csv")
    assert recs.groupby("user_id").size().max() == 5
    # An explicit area prefix is honoured.
    assert (
        forecast(
            ["prepare", "raw/bill.csv.gz", "-o", "raw/copy.csv", "--no-progress", *_ws("tenant-a", root)]
        )
        == 0
    )
    assert (home / "raw" / "copy.csv").is_file()


@pytest.mark.parametrize(
    "argv",
    [
        # reading tenant B's bill through '..', an absolute path, and a symlink planted in A's raw area
        ["prepare", "../../tenant-b/raw/bill.csv.gz", "-o", "x.parquet"],
        ["prepare", "{root}/tenant-b/raw/bill.csv.gz", "-o", "x.parquet"],
        ["prepare", "link-to-b.csv.gz", "-o", "x.parquet"],
        # overwriting B's series, and writing A's output through a symlinked folder into B
        ["prepare", "bill.csv.gz", "-o", "../../tenant-b/series/daily.parquet"],
        ["prepare", "bill.csv.gz", "-o", "b-series/daily.parquet"],
        ["lookup", "../../tenant-b/forecasts/run"],
    ],
)
def test_forecast_refuses_other_tenants(
    root: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    home_a, b_series = root / "tenant-a", root / "tenant-b" / "series" / "daily.parquet"
    link = home_a / "raw" / "link-to-b.csv.gz"
    if not link.is_symlink():
        link.symlink_to(root / "tenant-b" / "raw" / "bill.csv.gz")
    if not (home_a / "series" / "b-series").is_symlink():
        (home_a / "series" / "b-series").symlink_to(root / "tenant-b" / "series")
    before = b_series.stat().st_mtime_ns, b_series.read_bytes()
    argv = [a.format(root=root) for a in argv]
    assert forecast([*argv, *_ws("tenant-a", root)]) == 2
    err = capsys.readouterr().err
    assert "tenant-a" in err
    assert "outside" in err or "absolute" in err or "'..'" in err
    assert (b_series.stat().st_mtime_ns, b_series.read_bytes()) == before
    assert not (home_a / "series" / "x.parquet").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["batch", "../../tenant-b/models/pop", "-o", "recs.csv"],  # loading B's model
        ["batch", "{root}/tenant-b/models/pop", "-o", "recs.csv"],
        ["batch", "pop", "-o", "../../tenant-b/recommendations/recs.csv"],  # writing into B
        ["batch", "pop", "-o", "recs.csv", "--users", "../../tenant-b/raw/events.csv"],  # reading B's users
        ["train", "../../tenant-b/raw/events.csv", "-o", "stolen", "--model", "popularity"],
        [
            "train",
            "events.csv",
            "-o",
            "../../tenant-b/models/pop",
            "--model",
            "popularity",
        ],  # replacing B's model
        ["annotate", "../../tenant-b/models/pop", "--users", "2", "-o", "sheet.csv"],
    ],
)
def test_recommend_refuses_other_tenants(
    root: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    b_manifest = root / "tenant-b" / "models" / "pop" / "manifest.json"
    before = b_manifest.read_bytes()
    argv = [a.format(root=root) for a in argv]
    assert recommend([*argv, *_ws("tenant-a", root)]) == 2
    err = capsys.readouterr().err
    assert "tenant-a" in err
    assert "outside" in err or "absolute" in err or "'..'" in err
    assert b_manifest.read_bytes() == before
    assert not (root / "tenant-a" / "models" / "stolen").exists()
    assert not (root / "tenant-b" / "recommendations" / "recs.csv").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--workspace", "{root}"], "go together"),
        (["--tenant", "tenant-a"], "go together"),
        (["--workspace", "{root}", "--tenant", "../tenant-b"], "invalid tenant id"),
        (["--workspace", "{root}", "--tenant", "tenant-b\x00"], "invalid tenant id"),
    ],
)
def test_flags_are_checked(
    root: Path, flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = [f.format(root=root) for f in flags]
    assert forecast(["prepare", "bill.csv.gz", "-o", "x.parquet", *flags]) == 2
    assert message in capsys.readouterr().err
    assert not (Path.cwd() / "x.parquet").exists()


def test_new_tenant_folders_are_private(root: Path) -> None:
    assert (
        recommend(["batch", "pop", "-o", "r.csv", *_ws("tenant-c", root)]) == 2
    )  # no model yet: a clean error
    home = root / "tenant-c"
    assert sorted(p.name for p in home.iterdir()) == [
        "forecasts",
        "models",
        "raw",
        "recommendations",
        "series",
    ]
    assert all(os.stat(p).st_mode & 0o077 == 0 for p in (home, *home.iterdir()))
