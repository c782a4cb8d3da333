"""Tenant A can never read, list, overwrite, delete or load anything of tenant B."""

import os
import stat
from pathlib import Path

import pytest

from costrec.atomic import write_text
from costrec.workspace import AREAS, Workspace, WorkspaceError


@pytest.fixture
def two_tenants(tmp_path: Path) -> tuple[Workspace, Workspace]:
    a, b = Workspace(tmp_path, "tenant-a"), Workspace(tmp_path, "tenant-b")
    write_text("secret", b.path("raw", "bill.csv"))
    (b.path("models") / "m1").mkdir()
    write_text("{}", b.path("models", "m1", "manifest.json"))
    return a, b


@pytest.mark.parametrize(
    "tenant", ["", "..", ".", "a/b", "a\\b", "a\x00b", "/abs", "A", "-x", "a" * 64, "a b"]
)
def test_invalid_tenant_ids_are_rejected(tmp_path: Path, tenant: str) -> None:
    with pytest.raises(WorkspaceError, match="invalid tenant id"):
        Workspace(tmp_path, tenant)


def test_folders_are_private(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, "acme")
    for folder in (ws.home, *(ws.home / a for a in AREAS)):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    "trick",
    [
        "../../tenant-b/raw/bill.csv",
        "../tenant-b/raw/bill.csv",
        "x/../../../tenant-b/raw/bill.csv",
        "bill.csv\x00.txt",
    ],
)
def test_relative_tricks_fail(two_tenants: tuple[Workspace, Workspace], trick: str) -> None:
    a, _ = two_tenants
    with pytest.raises(WorkspaceError):
        a.path("raw", trick)


def test_absolute_path_to_other_tenant_fails(two_tenants: tuple[Workspace, Workspace]) -> None:
    a, b = two_tenants
    with pytest.raises(WorkspaceError, match="absolute path"):
        a.path("raw", str(b.path("raw", "bill.csv")))
    with pytest.raises(WorkspaceError, match="absolute path"):
        a.resolve(str(b.home))


def test_symlink_to_other_tenant_cannot_be_read_listed_or_deleted(
    two_tenants: tuple[Workspace, Workspace],
) -> None:
    a, b = two_tenants
    link = a.home / "raw" / "link.csv"
    os.symlink(b.path("raw", "bill.csv"), link)
    dir_link = a.home / "models" / "stolen"
    os.symlink(b.path("models", "m1"), dir_link)
    with pytest.raises(WorkspaceError, match="outside tenant"):
        a.path("raw", "link.csv")
    with pytest.raises(WorkspaceError, match="outside tenant"):
        a.path("models", "stolen", "manifest.json")
    assert a.list("raw") == []
    assert a.list("models") == []
    with pytest.raises(WorkspaceError):
        a.remove("models", "stolen")
    assert b.path("models", "m1", "manifest.json").read_text() == "{}"


def test_overwrite_and_delete_stay_inside(two_tenants: tuple[Workspace, Workspace]) -> None:
    a, b = two_tenants
    with pytest.raises(WorkspaceError):
        write_text("pwned", a.path("raw", "../../tenant-b/raw/bill.csv"))
    with pytest.raises(WorkspaceError):
        a.remove("raw", "../../tenant-b/raw/bill.csv")
    with pytest.raises(WorkspaceError, match="whole"):
        a.remove("raw")
    assert b.path("raw", "bill.csv").read_text() == "secret"
    own = a.path("forecasts", "f.csv")
    write_text("mine", own)
    assert a.list("forecasts") == [own]
    a.remove("forecasts", "f.csv")
    assert not own.exists()


def test_symlinked_home_is_refused(tmp_path: Path) -> None:
    b = Workspace(tmp_path / "root", "tenant-b")
    os.symlink(b.home, tmp_path / "root" / "tenant-a")
    with pytest.raises(WorkspaceError, match="symlink"):
        Workspace(tmp_path / "root", "tenant-a")


def test_unknown_area(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="unknown workspace area"):
        Workspace(tmp_path, "acme").path("etc", "passwd")
