"""User and item metadata: any non-id column is a feature, typed as text, categorical, date or numeric."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from recsys.errors import DataError, DataWarning
from recsys.interactions import read_table, to_utc

__all__ = ["FeatureKinds", "date_column", "infer_kinds", "read_metadata", "prepare_metadata"]

# A string column is categorical when it has few distinct values, in absolute or relative terms...
_MAX_CATEGORIES = 50
_MAX_CATEGORY_RATIO = 0.05
# ...unless its values are lists ("python; sql"), which are text to tokenize.
_LIST_SEPARATORS = re.compile(r"[;,|]")
_LIST_SHARE = 0.2
_DATE_LIKE = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4})")
_DATE_SHARE = 0.95
# Names that say which date is a posting's start and which its end; matched as words in the column name.
_ROLE_WORDS = {
    "posted": ("posted", "post", "created", "published", "start", "open", "opened", "listed"),
    "expires": (
        "expires",
        "expire",
        "expiry",
        "expiration",
        "end",
        "close",
        "closes",
        "closing",
        "deadline",
        "until",
    ),
}


@dataclass(frozen=True)
class FeatureKinds:
    """How each metadata column is used.

    Attributes:
        text: Free text (titles, skill lists): tokenized into a TF-IDF space.
        categorical: Few distinct values (state, industry): one-hot, compared directly across files.
        date: Datetimes (``posted_at``, ``expires_at``): filters and age features.
        numeric: Numbers (salary): numeric features.
    """

    text: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()

    @property
    def strings(self) -> tuple[str, ...]:
        """Text and categorical columns, in that order."""
        return self.text + self.categorical


def _convert(column: pd.Series) -> pd.Series:
    """Turn a text column into datetimes or numbers when every value says so; leave it as text otherwise."""
    if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            return column.dt.tz_convert(None)
        return column
    values = column.dropna().astype(str).str.strip()
    values = values[values != ""]
    if values.empty:
        empty = column.astype("string")
        return empty.mask(empty.str.strip() == "")
    if values.str.match(_DATE_LIKE).mean() >= _DATE_SHARE:
        parsed = to_utc(column)
        if parsed.notna().sum() >= _DATE_SHARE * len(values):
            return _clip_dates(parsed.dt.tz_convert(None), column.name)
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all():
        stripped = column.astype("string").str.strip()
        return pd.Series(pd.to_numeric(stripped.mask(stripped == ""), errors="coerce"), index=column.index)
    text = column.astype("string").str.strip()
    return text.mask(text == "")


def _clip_dates(dates: pd.Series, name: object) -> pd.Series:
    """Nanosecond datetimes, with dates beyond 1677-2262 (``9999-12-31``: never expires) clipped to those."""
    # Whole seconds: the parsed column may hold seconds or microseconds, which cannot take nanoseconds.
    lo, hi = pd.Timestamp.min.ceil("s"), pd.Timestamp.max.floor("s")
    outside = (dates < lo) | (dates > hi)
    if outside.any():
        warnings.warn(
            f"column {name!r}: {int(outside.sum())} date(s) outside 1677-2262 "
            f"(e.g. {dates[outside].iloc[0]}) were clipped to that range; a far-future date still "
            "means 'never'.",
            DataWarning,
            stacklevel=4,
        )
        dates = dates.mask(dates < lo, lo).mask(dates > hi, hi)
    return dates.astype("datetime64[ns]")


def prepare_metadata(frame: pd.DataFrame, *, id_col: str, canonical: str, where: str) -> pd.DataFrame:
    """Rename the id column to ``canonical`` (as strings), type every other column, drop duplicate ids.

    Args:
        frame: Raw metadata.
        id_col: Its id column.
        canonical: ``user_id`` or ``item_id``.
        where: File name for messages.

    Returns:
        One row per id; later rows win for duplicate ids (with a ``DataWarning``).
    """
    if id_col not in frame.columns:
        msg = (
            f"{where} lacks the id column {id_col!r}; it has {list(frame.columns)}. "
            "Name it with --user-col/--item-col (the same name as in the interactions)."
        )
        raise DataError(msg)
    out = pd.DataFrame({canonical: frame[id_col].astype(str).to_numpy()})
    for col in frame.columns:
        if col != id_col and col != canonical:
            out[col] = _convert(frame[col].reset_index(drop=True))
    dupes = out[canonical].duplicated(keep="last")
    if dupes.any():
        warnings.warn(
            f"{where}: {int(dupes.sum())} duplicate ids (e.g. {out.loc[dupes, canonical].iloc[0]!r}); "
            "keeping the last row of each.",
            DataWarning,
            stacklevel=2,
        )
        out = out[~dupes]
    return out.reset_index(drop=True)


def read_metadata(path: str | Path, *, id_col: str, canonical: str) -> pd.DataFrame:
    """Read a user or item metadata file (CSV or Parquet) and type its columns (see ``prepare_metadata``)."""
    return prepare_metadata(read_table(path), id_col=id_col, canonical=canonical, where=str(path))


def infer_kinds(frame: pd.DataFrame, id_col: str) -> FeatureKinds:
    """Classify every non-id column of a prepared metadata frame.

    Example:
        >>> df = pd.DataFrame({"item_id": list("abcdef"), "state": ["CA", "TX"] * 3,
        ...                    "skills": ["python; sql", "excel", "sql; git", "java", "git", "go"]})
        >>> infer_kinds(df, "item_id")
        FeatureKinds(text=('skills',), categorical=('state',), date=(), numeric=())
    """
    text: list[str] = []
    categorical: list[str] = []
    date: list[str] = []
    numeric: list[str] = []
    for col in frame.columns:
        if col == id_col:
            continue
        series = frame[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            date.append(col)
        elif pd.api.types.is_bool_dtype(series):
            categorical.append(col)
        elif pd.api.types.is_numeric_dtype(series):
            numeric.append(col)
        else:
            values = series.dropna().astype(str)
            if values.empty:
                continue
            n_unique = values.nunique()
            is_list = values.str.contains(_LIST_SEPARATORS).mean() >= _LIST_SHARE
            few = n_unique <= _MAX_CATEGORIES or n_unique <= _MAX_CATEGORY_RATIO * len(values)
            (categorical if few and not is_list else text).append(col)
    return FeatureKinds(tuple(text), tuple(categorical), tuple(date), tuple(numeric))


def date_column(frame: pd.DataFrame | None, role: str, override: str | None = None) -> str | None:
    """The date column playing ``role`` (``"posted"`` or ``"expires"``), found by its name's words.

    Args:
        frame: Prepared item metadata (or ``None``).
        role: ``"posted"`` or ``"expires"``.
        override: An explicit column name, which must exist and hold dates.

    Example:
        >>> df = pd.DataFrame({"item_id": ["a"], "posted_at": pd.to_datetime(["2024-01-01"]),
        ...                    "expires_at": pd.to_datetime(["2024-02-01"])})
        >>> date_column(df, "expires"), date_column(df, "posted")
        ('expires_at', 'posted_at')
    """
    if frame is None:
        return None
    if override is not None:
        if override not in frame.columns or not pd.api.types.is_datetime64_any_dtype(frame[override]):
            msg = f"Item metadata has no date column {override!r}; its columns are {list(frame.columns)}."
            raise DataError(msg)
        return override
    words = _ROLE_WORDS[role]
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            parts = re.split(r"[^a-z]+", col.lower())
            if any(w in parts for w in words):
                return str(col)
    return None
