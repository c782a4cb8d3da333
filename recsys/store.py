"""Model directories: implicit's npz, LightGBM text, Parquet id maps and a hashed JSON manifest; no pickle.

Layout::

    MODEL_DIR/manifest.json      format, versions, model name and parameters, SHA-256 of every other file
    MODEL_DIR/context/           id maps (Parquet), user-item matrices (npz), metadata (Parquet), context.json
    MODEL_DIR/model/             the model's own state (implicit npz, vocabularies, ranker.txt, ...)

The folder is written to a temporary sibling and swapped in whole, so a failed save leaves the old model.
Loading checks the format and costrec versions and every hash before reading anything else.
"""

from __future__ import annotations

import json
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from costrec.atomic import atomic_dir, write_text
from costrec.manifest import compare_digests, file_digests
from recsys.context import Context
from recsys.errors import DataError, DataWarning
from recsys.models import MODELS, Recommender

__all__ = ["FORMAT", "FORMAT_VERSION", "load_model", "read_manifest", "save_model", "write_gate"]

# Written after the model, by a retrain that kept it: the one file outside the hashes.
GATE = "gate.json"

FORMAT = "costrec.recsys.model"
# 2: file entries carry size and digest in the format forecast runs use (costrec.manifest).
FORMAT_VERSION = 2
_LIBRARIES = ("implicit", "lightgbm", "scikit-learn", "numpy", "scipy", "pandas")


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:  # pragma: no cover - a source tree without metadata
        return "unknown"


def _files(folder: Path) -> dict[str, Any]:
    return file_digests(folder, skip=("manifest.json", GATE))


def save_model(
    model: Recommender,
    path: str | Path,
    *,
    data: dict[str, Any] | None = None,
    extras: dict[str, str] | None = None,
    selection: dict[str, Any] | None = None,
) -> Path:
    """Write a fitted model into ``path`` atomically (the folder is replaced as a whole).

    Args:
        model: A fitted recommender from ``MODELS``.
        path: Target folder.
        data: JSON-serializable notes on the training data (e.g. its column names), kept in the manifest.
        extras: Text files to write at the top of the folder (``leaderboard.csv``, ``gate.json``).
        selection: How the model was chosen (metric, validation, winner), kept in the manifest.

    Returns:
        The target folder.
    """
    ctx = model._check_fitted()
    if MODELS.get(model.name) is None:
        msg = f"Only models of the registry can be saved; {type(model).__name__} has name {model.name!r}."
        raise DataError(msg)
    path = Path(path)
    with atomic_dir(path) as tmp:
        ctx.save(tmp / "context")
        (tmp / "model").mkdir()
        model._save(tmp / "model")
        for name, text in (extras or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "costrec_version": _version("costrec"),
            "model": model.name,
            "params": model.get_params(),
            "libraries": {lib: _version(lib) for lib in _LIBRARIES},
            "data": data or {},
            "selection": selection,
            "files": _files(tmp),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return path


def write_gate(path: str | Path, decision: dict[str, Any]) -> Path:
    """Record a retrain's gate decision in an existing model directory (atomically; not hashed)."""
    target = Path(path) / GATE
    write_text(json.dumps(decision, indent=1, sort_keys=True), target)
    return target


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a model directory (format checked, hashes not; :func:`load_model` checks those)."""
    return _manifest(Path(path))


def _manifest(path: Path) -> dict[str, Any]:
    file = path / "manifest.json"
    if not file.is_file():
        msg = f"{path} is not a model directory (no manifest.json); train one with `recommend train -o DIR`."
        raise DataError(msg)
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"{file} is not valid JSON ({exc}); the model directory is damaged. Retrain the model."
        raise DataError(msg) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        msg = f"{file} is not a costrec recommender manifest (format {manifest.get('format')!r})."
        raise DataError(msg)
    return manifest


def load_model(path: str | Path) -> Recommender:
    """Read a model directory written by :func:`save_model`.

    Raises:
        DataError: Not a model directory, written by another format or costrec version, or any file
            added, missing or changed since it was written.
    """
    path = Path(path)
    manifest = _manifest(path)
    found = (manifest.get("format_version"), manifest.get("costrec_version"))
    expected = (FORMAT_VERSION, _version("costrec"))
    if found != expected:
        msg = (
            f"{path} was written by costrec {found[1]} (model format {found[0]}); this is costrec "
            f"{expected[1]} (format {expected[0]}). Retrain the model with this version."
        )
        raise DataError(msg)
    changed, missing, extra = compare_digests(manifest.get("files", {}), _files(path))
    if changed or missing or extra:
        msg = (
            f"{path} has been modified since it was saved (changed: {changed}, missing: {missing}, "
            f"unexpected: {extra}). Retrain or restore the model directory."
        )
        raise DataError(msg)
    libraries = {lib: _version(lib) for lib in _LIBRARIES}
    differ = {k: v for k, v in manifest.get("libraries", {}).items() if libraries.get(k) != v}
    if differ:
        warnings.warn(
            f"{path} was saved with other library versions {differ}; now {libraries}.",
            DataWarning,
            stacklevel=2,
        )
    factory = MODELS.get(manifest["model"])
    if factory is None:
        msg = f"{path} holds an unknown model {manifest['model']!r}; known: {sorted(MODELS)}."
        raise DataError(msg)
    model = factory(**manifest["params"])
    model.context_ = Context.load(path / "context")
    model._load(path / "model")
    return model
