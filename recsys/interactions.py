"""Interaction logs: read with configurable columns, weight events, parse times, aggregate duplicates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from costrec.textfile import text_file_problem
from recsys.errors import DataError

__all__ = [
    "DEFAULT_WEIGHTS",
    "EventColumns",
    "EventLog",
    "aggregate_events",
    "parse_timestamps",
    "parse_weights",
    "read_events",
    "read_log",
    "revisit_share",
    "read_table",
    "to_utc",
]

DEFAULT_WEIGHTS: dict[str, float] = {"view": 1.0, "click": 2.0, "apply": 5.0}
# Integer timestamps above this are epoch milliseconds, below it epoch seconds (1e11 s is year 5138).
_EPOCH_MS_THRESHOLD = 1e11


@dataclass(frozen=True)
class EventColumns:
    """Column names of an interaction log.

    Attributes:
        user: User id column.
        item: Item id column.
        time: Timestamp column (ISO text or epoch seconds/milliseconds); ``None`` when the log has none.
        event: Event type column (``view``, ``apply``, ...); when absent every row is one event of weight 1.
        value: Optional numeric column (e.g. a rating); rows below ``min_value`` are dropped, as in
            Amazon Personalize's event-value threshold.
        min_value: The threshold for ``value``.
        weight: Numeric column of event weights (e.g. play counts), multiplied by the event type's weight;
            used when present (the canonical ``user_id, item_id, weight`` table), every row weighs 1
            without it. Rows of weight 0 are dropped.
    """

    user: str = "user_id"
    item: str = "item_id"
    time: str | None = "timestamp"
    event: str | None = "event_type"
    value: str | None = None
    min_value: float | None = None
    weight: str | None = "weight"


def parse_weights(text: str) -> dict[str, float]:
    """Parse ``"view=1,click=2,apply=5"`` into event weights (event names are lower-cased).

    A weight of 0 drops that event type.

    Example:
        >>> parse_weights("view=1, Apply=5")
        {'view': 1.0, 'apply': 5.0}
    """
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = float("nan")
        if not sep or not name.strip() or not np.isfinite(weight) or weight < 0:
            msg = f"Bad event weight {part!r} in {text!r}: write EVENT=WEIGHT pairs (view=1,click=2,apply=5)."
            raise DataError(msg)
        weights[name.strip().lower()] = weight
    if not weights or max(weights.values()) <= 0:
        msg = f"No positive event weight in {text!r}: write e.g. view=1,click=2,apply=5."
        raise DataError(msg)
    return weights


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file (or a folder of Parquet files) with DuckDB, every CSV column as text.

    Text keeps ids such as ``00123`` intact; callers convert the columns they understand.
    """
    path = Path(path)
    if not path.exists():
        msg = f"File not found: {path}."
        raise DataError(msg)
    target = str(path / "*.parquet") if path.is_dir() else str(path)
    try:
        if path.is_dir() or path.suffix.lower() in {".parquet", ".pq"}:
            rel = duckdb.read_parquet(target)
        else:
            rel = duckdb.read_csv(target, all_varchar=True, header=True)
        return rel.df()
    except duckdb.Error as exc:
        parquet = path.is_dir() or path.suffix.lower() in {".parquet", ".pq"}
        problem = "empty file (0 bytes)" if parquet and path.stat().st_size == 0 else None
        if not parquet:
            problem = text_file_problem(path)  # UTF-16, a damaged gzip, an empty file: name the cause
        if problem is not None:
            raise DataError(f"Cannot read {path}: {problem}.") from exc
        # DuckDB's sniffer explains itself over a dozen lines; its first line names the failure.
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        msg = f"Cannot read {path}: {detail}. Give a CSV file (UTF-8, with a header row) or Parquet."
        raise DataError(msg) from exc


def _require(frame: pd.DataFrame, columns: Mapping[str, str | None], where: str) -> None:
    missing = [
        f"{role}={col!r}" for role, col in columns.items() if col is not None and col not in frame.columns
    ]
    if missing:
        msg = (
            f"{where} lacks column(s) {', '.join(missing)}; it has {list(frame.columns)}. "
            "Name the right columns with --user-col/--item-col/--time-col/--event-col."
        )
        raise DataError(msg)


def to_utc(values: pd.Series) -> pd.Series:
    """Parse text to UTC datetimes, ``NaT`` where a value does not parse.

    ISO 8601 parses vectorized; ``format="mixed"`` (one format guess per value) runs only when that fails.
    """
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
    if (parsed.isna() & values.notna()).any():
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    return parsed


def parse_timestamps(values: pd.Series, where: str) -> pd.Series:
    """Parse timestamps (ISO text, datetimes, or epoch seconds/milliseconds) to naive UTC ``datetime64[ns]``.

    Raises:
        DataError: Naming the column, a few bad values and their rows, when any value does not parse.
    """
    try:
        if pd.api.types.is_datetime64_any_dtype(values):
            parsed = pd.to_datetime(values, utc=True)
        else:
            numeric = pd.to_numeric(values, errors="coerce")
            if values.notna().any() and numeric.notna().sum() == values.notna().sum():
                big = numeric.abs().max() > _EPOCH_MS_THRESHOLD
                parsed = pd.to_datetime(numeric, unit="ms" if big else "s", utc=True)
            else:
                parsed = to_utc(values)
        # Nanosecond datetimes end in 2262: the conversion below is where far-off dates overflow.
        parsed = parsed.dt.tz_convert(None).astype("datetime64[ns]")
    except (ValueError, OverflowError, TypeError) as exc:  # OutOfBoundsDatetime is a ValueError
        sample = values.dropna()
        example = f" (e.g. {sample.iloc[0]!r})" if len(sample) else ""
        msg = (
            f"{where}: timestamps out of range{example}: {str(exc).splitlines()[0]}. Use ISO 8601 dates "
            "between 1677 and 2262 or epoch seconds/milliseconds, or point --time-col at the right column."
        )
        raise DataError(msg) from exc
    bad = parsed.isna() & values.notna() | values.isna()
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())[:3]
        examples = ", ".join(f"row {r + 1}: {values.iloc[r]!r}" for r in rows)
        msg = (
            f"{where}: {int(bad.sum())} timestamp(s) cannot be parsed ({examples}). Use ISO 8601 "
            "(2024-03-01 12:00:00) or epoch seconds, or point --time-col at the right column."
        )
        raise DataError(msg)
    return parsed


def _event_weights(events: pd.Series, weights: Mapping[str, float], where: str) -> np.ndarray:
    names = events.astype("string").str.strip().str.lower()
    unknown = names[~names.isin(list(weights))].value_counts(dropna=False)
    if len(unknown):
        found = ", ".join(f"{name!r} ({n} rows)" for name, n in unknown.head(5).items())
        allowed = ",".join(f"{k}={v:g}" for k, v in weights.items())
        extra = ",".join(f"{name}=1" for name in unknown.head(3).index if isinstance(name, str))
        msg = (
            f"{where} has event types without a weight: {found}. Allowed: {', '.join(weights)}. "
            f"Map them with --weights {allowed},{extra} (weight 0 drops an event type)."
        )
        raise DataError(msg)
    return names.map(dict(weights)).to_numpy(dtype=float)


@dataclass(frozen=True)
class EventLog:
    """An interaction log as read: the events to learn from, and every pair the users touched.

    Attributes:
        events: One row per kept event: ``user_id, item_id, weight[, timestamp][, event_type]``.
        seen: Distinct ``user_id, item_id`` pairs of every row of the input, including rows dropped by the
            value threshold or a zero event weight: what ``--exclude seen`` removes from a user's lists.
        revisit_share: Share of the input's events that return to an item the user had left for another
            one (consecutive events on the same item are one visit), or ``None`` without timestamps.
    """

    events: pd.DataFrame
    seen: pd.DataFrame
    revisit_share: float | None


def revisit_share(events: pd.DataFrame) -> float | None:
    """Share of events that come back to an item the user already saw, after having moved on to another.

    A view followed by an apply on the same job is one visit; viewing job A, then B, then A again is a
    revisit. Users who rarely revisit should not be shown what they already saw.

    Example:
        >>> ev = pd.DataFrame({"user_id": list("aaaa"), "item_id": list("xxyx"),
        ...                    "timestamp": pd.date_range("2024-01-01", periods=4, freq="h")})
        >>> revisit_share(ev)
        0.25
    """
    if "timestamp" not in events.columns or events.empty:
        return None
    ordered = events.sort_values(["user_id", "timestamp"], kind="stable")
    same_user = ordered["user_id"].eq(ordered["user_id"].shift())
    same_item = ordered["item_id"].eq(ordered["item_id"].shift())
    first = ~ordered.duplicated(["user_id", "item_id"])
    return float((~first & ~(same_user & same_item)).mean())


def read_events(
    source: str | Path | pd.DataFrame,
    *,
    columns: EventColumns | None = None,
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Read an interaction log into canonical events: ``user_id, item_id, weight[, timestamp][, event_type]``.

    The events of :func:`read_log`; see there for the arguments.
    """
    return read_log(source, columns=columns, weights=weights).events


def read_log(
    source: str | Path | pd.DataFrame,
    *,
    columns: EventColumns | None = None,
    weights: Mapping[str, float] | None = None,
) -> EventLog:
    """Read an interaction log: canonical events, every touched pair, and how often users revisit items.

    Args:
        source: A CSV/Parquet path or a frame.
        columns: Column names; defaults to ``user_id, item_id, timestamp, event_type``. A default time or
            event column that is absent is simply not used; a named one that is absent is an error.
        weights: Weight per event type; defaults to ``view=1,click=2,apply=5``. Weight 0 drops an event type.

    Returns:
        The kept events (one row per event, in file order, ids as strings), the seen pairs and the
        revisit share.

    Raises:
        DataError: Missing columns, unparseable timestamps, unknown event types, or no rows left.
    """
    cols = columns or EventColumns()
    where = str(source) if not isinstance(source, pd.DataFrame) else "interactions"
    frame = read_table(source) if not isinstance(source, pd.DataFrame) else source
    if frame.empty:
        msg = f"{where} has a header but no rows; give a log with at least one user-item event."
        raise DataError(msg)
    defaults = EventColumns()
    time_col = cols.time if cols.time in frame.columns or cols.time != defaults.time else None
    event_col = cols.event if cols.event in frame.columns or cols.event != defaults.event else None
    _require(frame, {"user": cols.user, "item": cols.item, "time": time_col, "event": event_col}, where)
    _require(frame, {"value": cols.value}, where)
    ids = frame[[cols.user, cols.item]]
    if ids.isna().any().any():
        msg = f"{where}: {int(ids.isna().any(axis=1).sum())} rows have an empty user or item id; drop them."
        raise DataError(msg)
    out = pd.DataFrame(
        {
            "user_id": frame[cols.user].astype(str).to_numpy(),
            "item_id": frame[cols.item].astype(str).to_numpy(),
        }
    )
    if event_col is not None:
        out["event_type"] = frame[event_col].astype("string").str.strip().str.lower().to_numpy()
        out["weight"] = _event_weights(
            frame[event_col], weights or DEFAULT_WEIGHTS, f"{where} column {event_col!r}"
        )
    else:
        out["weight"] = 1.0
    weight_col = cols.weight if cols.weight in frame.columns or cols.weight != defaults.weight else None
    if weight_col is not None:
        _require(frame, {"weight": weight_col}, where)
        given = pd.to_numeric(frame[weight_col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(given) | (given < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            msg = (
                f"{where} column {weight_col!r} needs finite non-negative numbers (event weights such as "
                f"play counts); row {row + 1} has {frame[weight_col].iloc[row]!r}. Fix the value, or name "
                "another column with --weight-col."
            )
            raise DataError(msg)
        out["weight"] = out["weight"].to_numpy() * given
    if time_col is not None:
        out["timestamp"] = parse_timestamps(
            frame[time_col].reset_index(drop=True), f"{where} column {time_col!r}"
        )
    seen = out[["user_id", "item_id"]].drop_duplicates().reset_index(drop=True)
    revisits = revisit_share(out)
    n_rows = len(out)
    below = np.zeros(n_rows, dtype=bool)
    if cols.value is not None:
        value = pd.to_numeric(frame[cols.value], errors="coerce").to_numpy()
        if np.isnan(value).any():
            msg = f"{where} column {cols.value!r} has non-numeric values; --value-col needs numbers."
            raise DataError(msg)
        if cols.min_value is not None:
            below = value < cols.min_value
    zero = (out["weight"] <= 0).to_numpy()
    out = out[~below & ~zero].reset_index(drop=True)
    if out.empty:
        reasons = []
        if below.any():
            reasons.append(f"{int(below.sum())} below --min-value {cols.min_value:g} in {cols.value!r}")
        if zero.any():
            reasons.append(f"{int(zero.sum())} of event types with weight 0")
        msg = (
            f"{where}: all {n_rows} events were dropped ({'; '.join(reasons)}). Lower --min-value or give "
            "the dropped event types a positive weight with --weights."
        )
        raise DataError(msg)
    return EventLog(out, seen, revisits)


def aggregate_events(events: pd.DataFrame) -> pd.DataFrame:
    """Aggregate duplicate (user, item) events: summed weight, last timestamp, strongest event type.

    Args:
        events: Canonical events from :func:`read_events` (or any frame with ``user_id, item_id, weight``).

    Returns:
        ``user_id, item_id, weight[, timestamp][, event_type]`` sorted by user and item.

    Example:
        >>> ev = pd.DataFrame({"user_id": ["a", "a", "b"], "item_id": ["x", "x", "x"],
        ...                    "weight": [1.0, 5.0, 1.0], "event_type": ["view", "apply", "view"]})
        >>> aggregate_events(ev).to_dict("list")
        {'user_id': ['a', 'b'], 'item_id': ['x', 'x'], 'weight': [6.0, 1.0], 'event_type': ['apply', 'view']}
    """
    has_time = "timestamp" in events.columns
    has_event = "event_type" in events.columns
    select = ["user_id", "item_id", "SUM(weight) AS weight"]
    if has_time:
        select.append("MAX(timestamp) AS timestamp")
    if has_event:
        # The strongest event names the pair; ties go to the alphabetically first name, for determinism.
        select.append("FIRST(event_type ORDER BY weight DESC, event_type) AS event_type")
    query = f"SELECT {', '.join(select)} FROM events GROUP BY user_id, item_id ORDER BY user_id, item_id"  # noqa: S608
    con = duckdb.connect()
    try:
        con.register("events", events)
        out = con.execute(query).df()
    finally:
        con.close()
    out["user_id"] = out["user_id"].astype(str)
    out["item_id"] = out["item_id"].astype(str)
    if has_time:
        out["timestamp"] = out["timestamp"].astype("datetime64[ns]")
    return out
