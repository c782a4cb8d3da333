"""Integer (user, item) keys: distinct values and first matches, with sorts rather than hash tables."""

from __future__ import annotations

import numpy as np

__all__ = ["first_hits", "sorted_unique"]


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """Distinct values, sorted."""
    # Sort-based: numpy's hash-based np.unique is many times slower on millions of int64 keys.
    ordered = np.sort(values)
    keep = np.ones(ordered.size, dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def first_hits(rec_keys: np.ndarray, rel_keys: np.ndarray) -> np.ndarray:
    """Flag recommendation keys found among the sorted, distinct relevant keys, once per key.

    Keys encode (user, item) pairs as ``user * n_items + item``; negative keys never match. Each relevant
    key marks only its first occurrence in ``rec_keys`` order, so an item repeated in a list hits once.
    """
    # Look each relevant key up in the sorted recommendations. The stable sort keeps list order within a
    # key, so the left-most match is the first position.
    order = np.argsort(rec_keys, kind="stable")
    sorted_keys = rec_keys[order]
    at = np.searchsorted(sorted_keys, rel_keys)
    found = at < sorted_keys.size
    found[found] = sorted_keys[at[found]] == rel_keys[found]
    hits = np.zeros(rec_keys.size, dtype=bool)
    hits[order[at[found]]] = True
    return hits
