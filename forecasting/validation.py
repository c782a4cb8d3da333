"""Validate a series frame at the boundary: columns, types, duplicates, the time grid, gaps, ended series."""

from __future__ import annotations

import logging
import reprlib
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from forecasting.errors import DataError, DataWarning
from forecasting.frequency import infer_freq, is_auto, resolve_freq
from forecasting.horizon import check_backtest, check_horizon, max_horizon  # re-exported
from forecasting.interface import on_command_line, setting
from forecasting.options import ENDS

__all__ = [
    "ENDS",
    "ValidSeries",
    "validate_series",
    "resolve_freq",
    "frame_freq",
    "max_horizon",
    "check_horizon",
    "check_backtest",
]

log = logging.getLogger(__name__)


def _empty_ended() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": pd.Series(dtype="str"),
            "last_ds": pd.Series(dtype="datetime64[ns]"),
            "filled": pd.Series(dtype="int64"),
        }
    )


@dataclass(frozen=True)
class ValidSeries:
    """A validated series frame and what was learned while checking it.

    Attributes:
        df: ``unique_id`` (string), ``ds`` (datetime64), ``y`` (float64), sorted by ``unique_id, ds``,
            on a regular grid of ``freq`` from each series' first to its last date, no NaN.
        dims: One row per series: ``unique_id`` plus the extra columns that are constant within each
            series (dimensions such as ``service`` or ``account``).
        freq: The pandas frequency, anchored from the data (``W`` on Mondays becomes ``W-MON``).
        filled: One flag per row of ``df``: True where the row was added to fill a gap (``y = 0``).
        ended: One row per series that ended before the dataset's last period and was filled with zeros
            up to it (``ends="common"``): ``unique_id``, ``last_ds`` (its last date in the input) and
            ``filled`` (periods added). Empty with ``ends="own"``.
    """

    df: pd.DataFrame
    dims: pd.DataFrame
    freq: str
    filled: np.ndarray
    ended: pd.DataFrame = field(default_factory=_empty_ended)

    @property
    def n_filled(self) -> int:
        """Number of rows added to fill gaps."""
        return int(self.filled.sum())

    @property
    def n_series(self) -> int:
        """Number of series."""
        return len(self.dims)

    @property
    def history_length(self) -> int:
        """Number of periods of the longest series: the history length of the horizon rule."""
        return int(self.df.groupby("unique_id", sort=False).size().max())


def _prepare() -> str:
    """What turns a billing export into series, in the caller's terms."""
    return "`forecast prepare`" if on_command_line() else "forecasting.load_series (or prepare_series)"


def _check_columns(df: pd.DataFrame, names: dict[str, str]) -> None:
    repeated = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
    if repeated:
        # df[col] would be a frame, not a column: every later check would be wrong.
        raise DataError(
            f"the series frame has column(s) {repeated} more than once; give every column a distinct name"
        )
    missing = [col for col in names.values() if col not in df.columns]
    if missing:
        raise DataError(
            f"the series frame lacks column(s) {missing}; got columns {reprlib.repr(list(df.columns))}. "
            f"A series table needs {list(names.values())} (an id, a timestamp and a numeric value); "
            f"pass a raw billing export through {_prepare()} first"
        )
    if df.empty:
        raise DataError("the series frame has no rows; pass at least one row per series")


def _to_datetime(values: pd.Series, col: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        # pandas would read 1, 2, 3 as nanoseconds after 1970: a silent, wrong calendar.
        raise DataError(
            f"column {col!r} holds numbers (e.g. {values.iloc[0]!r}), not dates; give each period its date, "
            "e.g. 2024-01-31 (for a plain index, start from any date at the series' frequency)"
        )
    try:
        with warnings.catch_warnings():
            # pandas warns when it falls back to parsing value by value; that fallback is what we want.
            warnings.filterwarnings("ignore", "Could not infer format", UserWarning)
            try:
                ds = pd.to_datetime(values)
            except ValueError:
                # pandas infers one format from the first value; dates with and without a time part need
                # "mixed"; utc=True lets values with different offsets (or some without) share a column.
                ds = pd.to_datetime(values, format="mixed", utc=True)
        if ds.isna().any():
            raise DataError(f"column {col!r} has {int(ds.isna().sum())} missing dates; drop those rows first")
        if getattr(ds.dt, "tz", None) is not None:
            # Billing exports are in UTC; a naive UTC grid keeps date arithmetic simple.
            ds = ds.dt.tz_convert("UTC").dt.tz_localize(None)
        return ds.astype("datetime64[ns]")
    except DataError:
        raise
    except (ValueError, TypeError, OverflowError, AttributeError) as exc:
        # OutOfBoundsDatetime is a ValueError: nanosecond dates span the years 1677 to 2262 only.
        raise DataError(
            f"column {col!r} must hold dates between 1677 and 2262; could not read e.g. "
            f"{values.iloc[0]!r} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}). "
            "Use ISO dates such as 2024-01-31"
        ) from exc


def _to_float(values: pd.Series, col: str) -> np.ndarray:
    y = pd.to_numeric(values, errors="coerce")
    unreadable = y.isna() & values.notna()
    if unreadable.any():
        raise DataError(
            f"column {col!r} must be numeric; {int(unreadable.sum())} value(s) are not, "
            f"e.g. {values[unreadable].iloc[0]!r}. Remove currency signs or thousands separators"
        )
    out = y.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(out).any():
        raise DataError(f"column {col!r} holds infinite values; replace or drop them")
    n_missing = int(np.isnan(out).sum())
    if n_missing:
        warnings.warn(
            f"column {col!r} has {n_missing} missing value(s); they are treated as 0 (no cost that period)",
            DataWarning,
            stacklevel=3,
        )
        out = np.nan_to_num(out, nan=0.0)
    return out


def _dimension_columns(df: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    """One row per series with the extra columns that are constant within every series."""
    groups = df.groupby("unique_id", sort=True)
    if not extra:
        return pd.DataFrame({"unique_id": pd.Series(sorted(map(str, groups.groups)), dtype="str")})
    varying = [c for c in extra if (groups[c].nunique(dropna=False) > 1).any()]
    if varying:
        warnings.warn(
            f"column(s) {varying} vary within a series, so they are not dimensions of it and are dropped; "
            "aggregate or include them in unique_id if they matter",
            DataWarning,
            stacklevel=3,
        )
    keep = [c for c in extra if c not in varying]
    dims = groups[keep].first().reset_index() if keep else groups.size().reset_index()[["unique_id"]]
    return dims.reset_index(drop=True)


def _own_freq(ds: pd.Series) -> str | None:
    try:
        return infer_freq(ds)
    except DataError:
        return None


def frame_freq(df: pd.DataFrame, freq: str | None = None, time_col: str = "ds") -> str:
    """``freq`` as given, or when it is ``None``/``"auto"`` the one inferred from ``df[time_col]``.

    A missing or unparseable column gives ``"D"`` or the parse error that :func:`validate_series` would
    raise, so callers can settle the frequency (and what depends on it) before validating.

    A bare ``M``, ``Q`` or ``Y`` (as ``forecast prepare --freq M`` spells it) means calendar periods
    labelled the way the dates are: ``MS`` when every date is a period start (what ``prepare`` writes),
    else ``ME``; likewise ``QS``/``QE`` and ``YS``/``YE``.

    Example:
        >>> frame_freq(pd.DataFrame({"ds": ["2024-01-31", "2024-02-29"]}))
        'ME'
        >>> frame_freq(pd.DataFrame({"ds": ["2024-01-01", "2024-02-01"]}), "M")
        'MS'
    """
    if not is_auto(freq):
        bare = {"M": ("MS", "ME"), "Q": ("QS", "QE"), "Y": ("YS", "YE"), "A": ("YS", "YE")}
        text = str(freq).strip()
        if text.upper() in bare and text != "min" and time_col in df.columns and not df.empty:
            dates = _to_datetime(pd.Series(pd.unique(df[time_col].dropna())), time_col)
            start, end = bare[text.upper()]
            return start if all(to_offset(start).is_on_offset(d) for d in dates) else end
        return str(freq)
    if time_col not in df.columns or df.empty:
        return "D"
    # Series share their dates: the distinct values are enough. Missing ones are left to validate_series,
    # which parses every row and reports how many there are.
    return infer_freq(_to_datetime(pd.Series(pd.unique(df[time_col].dropna())), time_col))


def validate_series(
    df: pd.DataFrame,
    *,
    freq: str | None = "D",
    ends: Literal["common", "own"] = "own",
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
) -> ValidSeries:
    """Check a long frame and return it sorted, typed and on a regular grid.

    Rules, each with a message that says what was found and how to fix it:

    - the id, time and target columns exist and the frame is not empty;
    - ``ds`` parses as dates (time zones are converted to naive UTC); ``y`` is numeric and finite;
      missing ``y`` values are treated as 0 with a :class:`DataWarning`;
    - no two rows share ``unique_id, ds`` (aggregate first);
    - every date lies on the grid of ``freq`` (daily data at midnight for ``D``, month starts for ``MS``);
    - periods missing inside a series are added with ``y = 0``: for cost data a period with no line item
      cost nothing. Series are never extended before their first date;
    - with ``ends="common"``, a series whose last date is before the dataset's last period (a service
      that was switched off) gets ``y = 0`` up to that period, so it is forecast from the common end like
      the others, never into the past; one :class:`DataWarning` gives the count. With ``ends="own"``
      (the default here) every series keeps its own end.

    Extra columns that are constant within each series (``service``, ``account``) are kept in ``dims``.

    Args:
        df: The long frame.
        freq: Frequency of the series (``D``, ``W``, ``MS``, ``QS``, ``h``...), or ``"auto"`` (or None)
            to infer it from the dates (:func:`~forecasting.frequency.infer_freq`).
        ends: ``"common"`` fills series that end early with zeros up to the dataset's last period;
            ``"own"`` leaves each series ending where it does (series on unrelated calendars, e.g. M3).
        id_col: Name of the series id column.
        time_col: Name of the timestamp column.
        target_col: Name of the value column.

    Returns:
        The validated frame with columns renamed to ``unique_id, ds, y``, and the series' dimensions.

    Raises:
        DataError: If any rule above is broken.
    """
    if ends not in ENDS:
        raise DataError(f"ends must be one of {list(ENDS)}; got {ends!r}")
    names = {"unique_id": id_col, "ds": time_col, "y": target_col}
    _check_columns(df, names)
    ids = df[id_col]
    if ids.isna().any():
        raise DataError(
            f"column {id_col!r} has {int(ids.isna().sum())} missing ids; every row needs a series id"
        )
    extra = [c for c in df.columns if c not in names.values()]
    frame = pd.DataFrame(
        {
            "unique_id": ids.astype("str"),
            "ds": _to_datetime(df[time_col], time_col),
            "y": _to_float(df[target_col], target_col),
        }
    )
    for col in extra:
        frame[col] = df[col].to_numpy()
    inferred = is_auto(freq)
    freq = resolve_freq(infer_freq(frame["ds"]) if inferred else str(freq), frame["ds"].min())
    dup = frame.duplicated(["unique_id", "ds"])
    if dup.any():
        first = frame.loc[dup].iloc[0]
        raise DataError(
            f"{int(dup.sum())} row(s) repeat a ({id_col}, {time_col}) pair, e.g. "
            f"({first['unique_id']!r}, {first['ds']}); sum them per period first (or use {_prepare()})"
        )
    dims = _dimension_columns(frame, extra)
    grid = pd.date_range(frame["ds"].min(), frame["ds"].max(), freq=freq)
    pos = grid.get_indexer(pd.DatetimeIndex(frame["ds"]))
    off = pos < 0
    if off.any():
        example = frame["ds"][off].iloc[0]
        raise DataError(
            f"{int(off.sum())} date(s) are not on the {freq!r} grid, e.g. {example} in series "
            f"{frame['unique_id'][off].iloc[0]!r}; pass the data's frequency with {setting('freq')} "
            "(D, W, MS, QS, h) or aggregate it to that frequency first"
        )
    out, filled, ended = _fill_gaps(
        frame["unique_id"].to_numpy(), pos, frame["y"].to_numpy(), grid, common_end=ends == "common"
    )
    if filled.any():
        log.info("filled %d missing period(s) with 0 inside %d series", int(filled.sum()), len(dims))
    if len(ended):
        _warn_ended(ended, len(dims), grid[-1])
    if not inferred and filled.mean() > 0.5 and (own := _own_freq(frame["ds"])) not in (None, freq):
        # Weekly data read as daily is mostly zeros: say so rather than forecast a sawtooth.
        warnings.warn(
            f"{int(filled.sum())} of {len(filled)} periods ({filled.mean():.0%}) were missing at frequency "
            f"{freq!r} and filled with 0, but every date lies on the coarser grid {own!r}; if that is the "
            f"data's frequency, pass {setting('freq', own)} (or leave the frequency to be inferred)",
            DataWarning,
            stacklevel=2,
        )
    return ValidSeries(df=out, dims=dims, freq=freq, filled=filled, ended=ended)


def _stamp(ts: pd.Timestamp) -> str:
    return str(ts.date()) if ts == ts.normalize() else str(ts)


def _warn_ended(ended: pd.DataFrame, n_series: int, end: pd.Timestamp) -> None:
    first = ended.iloc[int(np.argmin(ended["last_ds"].to_numpy()))]
    warnings.warn(
        f"{len(ended)} of {n_series} series end before the dataset's last period {_stamp(end)} (e.g. "
        f"{first['unique_id']!r} ends {_stamp(first['last_ds'])}); their {int(ended['filled'].sum())} "
        f"missing periods up to it count as 0 (no cost), so they are forecast from {_stamp(end)} like the "
        f"others. If these series did not stop, pass {setting('ends', 'own')} to forecast each from its "
        "own last date",
        DataWarning,
        stacklevel=3,
    )


def _fill_gaps(
    ids: np.ndarray, pos: np.ndarray, y: np.ndarray, grid: pd.DatetimeIndex, *, common_end: bool = False
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Spread every series over its span of the grid (to the grid's end with ``common_end``), zeros
    where a period had no row; also return the series that were extended to the common end."""
    codes, uniques = pd.factorize(ids, sort=True)
    n = len(uniques)
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, -1)
    np.minimum.at(first, codes, pos)
    np.maximum.at(last, codes, pos)
    ended = _empty_ended()
    if common_end:
        early = last < len(grid) - 1
        if early.any():
            ended = pd.DataFrame(
                {
                    "unique_id": pd.Series(np.asarray(uniques, dtype=object)[early], dtype="str"),
                    "last_ds": grid[last[early]].as_unit("ns"),
                    "filled": (len(grid) - 1 - last[early]).astype("int64"),
                }
            )
        last = np.full(n, len(grid) - 1)
    lengths = last - first + 1
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    values = np.zeros(int(lengths.sum()))
    filled = np.ones(len(values), dtype=bool)
    at = starts[codes] + pos - first[codes]
    values[at] = y
    filled[at] = False
    series_code = np.repeat(np.arange(n), lengths)
    grid_pos = np.arange(len(values)) - np.repeat(starts, lengths) + np.repeat(first, lengths)
    out = pd.DataFrame(
        {
            "unique_id": pd.Series(np.asarray(uniques, dtype=object)[series_code], dtype="str"),
            "ds": grid[grid_pos].as_unit("ns").to_numpy(),
            "y": values,
        }
    )
    return out, filled, ended
