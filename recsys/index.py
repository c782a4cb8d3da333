"""Stable id <-> row maps for users and items, saved with a model."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.errors import DataError

__all__ = ["IdIndex"]


class IdIndex:
    """An ordered set of string ids: ``ids[row]`` and ``rows(ids)``.

    Built from sorted unique ids, so the same data gives the same rows; :meth:`extend` appends new ids
    after the existing ones, so rows a model was fit on never move.

    Example:
        >>> index = IdIndex(["b", "a", "b"])
        >>> list(index.ids), index.rows(["a", "zz", "b"]).tolist()
        (['a', 'b'], [0, -1, 1])
        >>> index.extend(["c", "a"]).rows(["c"]).tolist()
        [2]
    """

    def __init__(self, ids: Iterable[str], *, presorted: bool = False) -> None:
        values = pd.Index(
            pd.array(list(ids), dtype="str") if not isinstance(ids, pd.Index) else ids.astype("str")
        )
        if not presorted:
            values = values.unique().sort_values()
        elif not values.is_unique:
            msg = f"Id map holds duplicate ids, e.g. {values[values.duplicated()][0]!r}: the file is corrupt."
            raise DataError(msg)
        self._index = values

    def __len__(self) -> int:
        return len(self._index)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdIndex) and self._index.equals(other._index)

    __hash__ = None  # type: ignore[assignment]

    @property
    def ids(self) -> np.ndarray:
        """The ids in row order, as an object array of ``str``."""
        return self._index.to_numpy(dtype=object)

    def rows(self, ids: Iterable[str]) -> np.ndarray:
        """Rows of ``ids`` (int64), ``-1`` for ids not in the map."""
        query = ids if isinstance(ids, pd.Index | pd.Series | np.ndarray) else list(ids)
        return self._index.get_indexer(pd.Index(query).astype("str")).astype(np.int64)

    def extend(self, ids: Iterable[str]) -> IdIndex:
        """A map with the ids not yet present appended (sorted) after the existing ones."""
        extra = pd.Index(list(ids) if not isinstance(ids, pd.Index) else ids).astype("str").unique()
        extra = extra[self._index.get_indexer(extra) < 0].sort_values()
        return IdIndex(self._index.append(extra), presorted=True) if len(extra) else self

    def save(self, path: str | Path) -> None:
        """Write ``id, row`` as Parquet."""
        pd.DataFrame({"id": self.ids.astype(str), "row": np.arange(len(self), dtype=np.int64)}).to_parquet(
            path, index=False
        )

    @classmethod
    def load(cls, path: str | Path) -> IdIndex:
        """Read a map written by :meth:`save`."""
        frame = pd.read_parquet(path)
        if list(frame.columns) != ["id", "row"] or not np.array_equal(frame["row"], np.arange(len(frame))):
            msg = f"{path} is not an id map written by IdIndex.save (columns id, row 0..n-1)."
            raise DataError(msg)
        return cls(pd.Index(frame["id"].astype(str)), presorted=True)
