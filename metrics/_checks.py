"""Input checks shared by the metric modules: every message says what was received and how to fix it."""

from __future__ import annotations

import numbers
import reprlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "as_float_1d",
    "check_finite",
    "check_k",
    "check_quantiles",
    "check_same_length",
    "check_season_length",
    "column_as_float",
    "require_columns",
    "safe_divide",
]


def as_float_1d(name: str, values: Any) -> np.ndarray:
    """Return ``values`` as a non-empty 1-D float array without NaN or infinity.

    Raises:
        ValueError: On a wrong shape, an empty input, non-numeric values, NaN or infinity.
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric; got {reprlib.repr(values)} ({exc})") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got an array of shape {arr.shape}. Pass one value per row.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass at least one value")
    check_finite(name, arr)
    return arr


def check_finite(name: str, arr: np.ndarray) -> None:
    """Raise when ``arr`` holds NaN or infinity, naming the first bad position."""
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.argwhere(bad)[0]
        pos = tuple(int(i) for i in where) if where.size > 1 else int(where[0])
        raise ValueError(
            f"{name} holds {int(bad.sum())} NaN/infinite value(s) of {arr.size}, the first at position {pos} "
            f"({float(arr[tuple(where)])}); drop or fill them before scoring"
        )


def column_as_float(df: pd.DataFrame, column: str, *, frame: str) -> np.ndarray:
    """Return a numeric column as float64, raising with the first offending row on text or missing values."""
    try:
        values = df[column].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        example = df[column].iloc[0]
        msg = f"{frame} column {column!r} must be numeric; got values such as {example!r}"
        raise ValueError(msg) from None
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.argmax(bad))
        raise ValueError(
            f"{frame} column {column!r} holds {int(bad.sum())} NaN/infinite value(s), the first in row "
            f"{df.index[first]!r} ({df.iloc[first].to_dict()}); drop or fill them before scoring"
        )
    return values


def check_same_length(**arrays: np.ndarray) -> None:
    """Raise when the arrays do not all have the same number of rows."""
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        got = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"inputs must have the same number of rows; {got}")


def check_quantiles(quantiles: Iterable[float]) -> np.ndarray:
    """Return quantile levels as a float array after checking they are increasing and inside (0, 1)."""
    try:
        qs = np.asarray(list(quantiles), dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"quantiles must be numbers in (0, 1); got {reprlib.repr(quantiles)}") from None
    if qs.ndim != 1 or qs.size == 0:
        raise ValueError(f"quantiles must be a non-empty list such as [0.1, 0.5, 0.9]; got {qs.tolist()}")
    if not np.all((qs > 0.0) & (qs < 1.0)):
        raise ValueError(f"quantiles must lie strictly between 0 and 1; got {qs.tolist()}")
    if np.any(np.diff(qs) <= 0.0):
        fix = sorted(set(qs.tolist()))
        raise ValueError(f"quantiles must be distinct and increasing; got {qs.tolist()}, use {fix}")
    return qs


def check_season_length(season_length: object) -> int:
    """Return the seasonal lag as an int after checking it is a positive integer."""
    if (
        isinstance(season_length, bool)
        or not isinstance(season_length, numbers.Integral)
        or int(season_length) < 1
    ):
        raise ValueError(f"season_length must be a positive integer; got {season_length!r}")
    return int(season_length)


def check_k(k: object) -> int:
    """Return ``k`` as an int after checking it is a positive integer (``True`` is rejected)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or int(k) < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}")
    return int(k)


def require_columns(df: pd.DataFrame, columns: Sequence[str], *, frame: str, hint: str = "") -> None:
    """Raise when ``df`` lacks any of ``columns``, listing what it has."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        have = reprlib.repr([str(c) for c in df.columns])
        suffix = f" {hint}" if hint else ""
        raise ValueError(f"{frame} is missing column(s) {missing}; it has {have}.{suffix}")


def safe_divide(numerator: npt.ArrayLike, denominator: npt.ArrayLike) -> np.ndarray:
    """Divide element-wise, giving 0 for 0/0 (a perfect forecast) and NaN for x/0, never inf or a warning."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    num, den = np.broadcast_arrays(num, den)
    out = np.full(num.shape, np.nan)
    nonzero = den != 0.0
    with np.errstate(over="ignore"):
        np.divide(num, den, out=out, where=nonzero)
    # A ratio too large for a float (a subnormal denominator) is as undefined as x / 0.
    out[np.isinf(out)] = np.nan
    out[~nonzero & (num == 0.0)] = 0.0
    return out
