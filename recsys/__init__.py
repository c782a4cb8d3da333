"""Job recommendations from implicit feedback, with metadata for cold users and new jobs."""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from recsys.errors import DataError, DataWarning

try:
    __version__ = version("costrec")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

# Public names and their modules. They load on first use, so `recommend --help` and importing
# recsys.errors do not pay for implicit, LightGBM and scikit-learn.
_LAZY = {
    "Dataset": "recsys.dataset",
    "Filters": "recsys.filters",
    "Inputs": "recsys.inputs",
    "load_inputs": "recsys.inputs",
    "MODELS": "recsys.models",
    "Recommender": "recsys.models",
    "save_model": "recsys.store",
    "load_model": "recsys.store",
    "evaluate": "recsys.evaluation",
    "SPLITS": "recsys.split",
}

__all__ = ["DataError", "DataWarning", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    msg = f"module 'recsys' has no attribute {name!r}"
    raise AttributeError(msg)
