"""Per-tenant workspaces: every path a tenant uses is resolved inside that tenant's own folder.

Layout: ``ROOT/<tenant>/{raw,series,models,forecasts}``, folders created with mode 0700. A path that
would leave the tenant's folder (``..``, an absolute path, a symlink pointing outside, a NUL byte) is
rejected with :class:`WorkspaceError` before anything is read, listed, written or deleted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

__all__ = [
    "AREAS",
    "TENANT_PATTERN",
    "Workspace",
    "WorkspaceError",
    "add_workspace_arguments",
    "confine_paths",
]

# What the tenant uploads, prepared series, trained models, forecast runs and recommendation lists.
AREAS: tuple[str, ...] = ("raw", "series", "models", "forecasts", "recommendations")
# Lower-case letters, digits, '-' and '_', starting with a letter or digit: no separators, no dots,
# nothing a shell or a file system could read as a path of its own.
TENANT_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


class WorkspaceError(PermissionError):
    """A tenant id or path that is not allowed: it would reach outside the tenant's workspace."""


class Workspace:
    """The folder tree of one tenant under a shared root.

    Args:
        root: The shared root folder; it is created (mode 0700) when missing.
        tenant: The tenant id; must match ``TENANT_PATTERN`` (e.g. ``acme-prod``).

    Raises:
        WorkspaceError: If the tenant id is not valid.

    Example:
        >>> import tempfile
        >>> ws = Workspace(tempfile.mkdtemp(), "acme")
        >>> ws.path("series", "daily.parquet").relative_to(ws.home).as_posix()
        'series/daily.parquet'
    """

    def __init__(self, root: str | os.PathLike[str], tenant: str) -> None:
        if not isinstance(tenant, str) or not TENANT_PATTERN.fullmatch(tenant):
            raise WorkspaceError(
                f"invalid tenant id {tenant!r}: use 1-63 characters of a-z, 0-9, '-' and '_', "
                "starting with a letter or digit (no '/', '.', spaces or NUL)"
            )
        self.tenant = tenant
        self.root = Path(root).resolve()
        self.home = self.root / tenant
        if self.home.is_symlink():
            raise WorkspaceError(f"workspace folder of tenant {tenant!r} is a symlink; refusing to use it")
        for folder in (self.root, self.home, *(self.home / a for a in AREAS)):
            folder.mkdir(mode=0o700, exist_ok=True)
            if folder != self.root:
                # mkdir's mode is filtered by the umask; set it explicitly so other users never read it.
                os.chmod(folder, 0o700)

    def __repr__(self) -> str:
        return f"Workspace(root={str(self.root)!r}, tenant={self.tenant!r})"

    def path(self, area: str, *parts: str | os.PathLike[str]) -> Path:
        """Return a path inside one area of this tenant's workspace.

        Args:
            area: One of ``AREAS``.
            *parts: Relative path components below the area.

        Returns:
            The absolute path, guaranteed (after resolving symlinks) to lie inside the area.

        Raises:
            WorkspaceError: For an unknown area, an absolute part, ``..``, a NUL byte, or a symlink
                that leads outside the tenant's workspace.
        """
        if area not in AREAS:
            raise WorkspaceError(f"unknown workspace area {area!r}; use one of {list(AREAS)}")
        return self._inside(self.home / area, *parts)

    def resolve(self, relpath: str | os.PathLike[str]) -> Path:
        """Resolve a path given relative to the tenant's folder, e.g. ``series/daily.parquet``."""
        return self._inside(self.home, relpath)

    def locate(self, default_area: str, relpath: str | os.PathLike[str]) -> Path:
        """Resolve a command-line path: ``raw/cur2`` names an area; a bare ``cur2`` goes in ``default_area``.

        Example:
            >>> import tempfile
            >>> ws = Workspace(tempfile.mkdtemp(), "acme")
            >>> [ws.locate("series", p).relative_to(ws.home).as_posix() for p in ("d.parquet", "raw/cur2")]
            ['series/d.parquet', 'raw/cur2']
        """
        first = PurePosixPath(os.fspath(relpath)).parts[:1]
        if first and first[0] in AREAS:
            return self.resolve(relpath)
        return self.path(default_area, relpath)

    def _inside(self, base: Path, *parts: str | os.PathLike[str]) -> Path:
        for part in parts:
            text = os.fspath(part)
            if "\x00" in text:
                raise WorkspaceError(f"path {text!r} contains a NUL byte (tenant {self.tenant!r})")
            pure = PurePosixPath(text)
            if pure.is_absolute() or Path(text).is_absolute():
                raise WorkspaceError(
                    f"absolute path {text!r} is not allowed in tenant {self.tenant!r}'s workspace; "
                    "give a path relative to the workspace"
                )
            if ".." in pure.parts:
                raise WorkspaceError(
                    f"path {text!r} uses '..'; paths must stay inside tenant {self.tenant!r}'s workspace"
                )
        candidate = base.joinpath(*(os.fspath(p) for p in parts))
        # resolve() follows every symlink on the way, so a link pointing to another tenant is caught here.
        resolved = candidate.resolve()
        if not resolved.is_relative_to(self.home):
            raise WorkspaceError(
                f"path {candidate} resolves to {resolved}, outside tenant {self.tenant!r}'s workspace "
                f"{self.home}; a symlink or path leads elsewhere"
            )
        return resolved

    def list(self, area: str) -> list[Path]:
        """List the files of an area (recursively), sorted, skipping entries that resolve outside."""
        base = self.path(area)
        found = []
        for p in sorted(base.rglob("*")):
            try:
                inside = self._inside(self.home, p.relative_to(self.home))
            except WorkspaceError:
                continue
            if inside.is_file():
                found.append(inside)
        return found

    def remove(self, area: str, *parts: str | os.PathLike[str]) -> None:
        """Delete a file or folder inside one area of this tenant's workspace.

        Raises:
            WorkspaceError: If the path leaves the workspace or names the area itself.
            FileNotFoundError: If nothing is there.
        """
        target = self.path(area, *parts)
        if target == self.path(area):
            raise WorkspaceError(f"refusing to delete the whole {area!r} area; name a file or folder in it")
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()


def add_workspace_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--workspace ROOT`` and ``--tenant ID`` to a command's parser."""
    group = parser.add_argument_group(
        "tenant workspace",
        "With both flags every file argument is a path inside ROOT/ID (e.g. raw/cur2, series/daily.parquet; "
        "a bare name goes in the command's usual area); paths that lead outside it are refused.",
    )
    group.add_argument("--workspace", metavar="ROOT", help="root folder shared by the tenants")
    group.add_argument("--tenant", metavar="ID", help="tenant id: 1-63 of a-z, 0-9, '-', '_'")


def confine_paths(
    args: argparse.Namespace, areas: Mapping[str, str], *, keep: frozenset[str] = frozenset({"all"})
) -> Workspace | None:
    """Rewrite the file arguments of ``args`` into the tenant's workspace, in place.

    Args:
        args: Parsed arguments with ``workspace`` and ``tenant`` (both None: nothing is changed).
        areas: Argument name -> the area a bare file name goes to (e.g. ``{"input": "raw"}``). Values
            may be a path or a list of paths; None is left alone.
        keep: Literal values that are not paths (``--users all``).

    Returns:
        The workspace, or None without ``--workspace``.

    Raises:
        WorkspaceError: If only one of the two flags is given, the tenant id is invalid, or a path leads
            outside the tenant's folder.

    Example:
        >>> import tempfile
        >>> ns = argparse.Namespace(workspace=tempfile.mkdtemp(), tenant="acme", input="cur2", users="all")
        >>> ws = confine_paths(ns, {"input": "raw", "users": "raw"})
        >>> Path(ns.input).relative_to(ws.home).as_posix(), ns.users
        ('raw/cur2', 'all')
    """
    root, tenant = getattr(args, "workspace", None), getattr(args, "tenant", None)
    if root is None and tenant is None:
        return None
    if root is None or tenant is None:
        raise WorkspaceError("--workspace ROOT and --tenant ID go together; give both or neither")
    ws = Workspace(root, tenant)
    for name, area in areas.items():
        value = getattr(args, name, None)
        if isinstance(value, list):
            setattr(args, name, [str(ws.locate(area, v)) for v in value])
        elif isinstance(value, str) and value not in keep:
            setattr(args, name, str(ws.locate(area, value)))
    return ws
