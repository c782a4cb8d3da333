"""One path for data into a forecast: :func:`load_series` reads a series table, a billing export or a frame.

``forecast run``, ``forecast anomalies`` and the notebooks all call it, so the same input gives the same
series, frequency and season length whichever way it comes in. The command line only turns flags into
its arguments; everything decided about the data (is it an export? which frequency? which season?
what about series that stopped?) is decided here.

Example:
    >>> df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=6, freq="MS"),
    ...                    "y": [1.0, 2, 3, 4, 5, 6]})
    >>> series = load_series(df)
    >>> series.freq, series.season_length, len(series.df)
    ('MS', 12, 6)
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from forecasting.errors import DataError
from forecasting.frequency import default_season_length, is_auto
from forecasting.interface import setting
from forecasting.prepare import is_billing_export, prepare_series, require_series
from forecasting.reconcile import PrepareReport
from forecasting.series_io import read_series_table
from forecasting.validation import ValidSeries, validate_series

__all__ = ["LoadedSeries", "load_series", "standard_columns", "check_season_length"]

_STANDARD = {"id_col": "unique_id", "time_col": "ds", "target_col": "y"}


@dataclass(frozen=True)
class LoadedSeries:
    """Series ready to forecast: the validated long frame, its frequency and season, and where it came from.

    Attributes:
        valid: The validated series (:class:`~forecasting.validation.ValidSeries`); a
            :class:`~forecasting.forecaster.Forecaster` fitted on this object uses it without checking
            the data a second time.
        df: ``unique_id, ds, y`` plus the dimension columns (``service``, ``account``...), sorted by
            ``unique_id, ds``, on a regular grid, gaps (and, with ``ends="common"``, the periods after a
            series stopped) filled with 0.
        season_length: Periods per season: as given, else derived from the frequency
            (:func:`~forecasting.frequency.default_season_length`).
        ends: How series that stop early were treated (``"common"`` or ``"own"``).
        info: What ``summary.json`` records about the input: ``input``, ``freq_inferred`` (when the
            frequency was inferred), ``prepare`` (the reconciliation, for a billing export) and
            ``timings.prepare_seconds``.
        report: The reconciliation of a billing export (``None`` for a series table or a frame).
    """

    valid: ValidSeries = field(repr=False)
    df: pd.DataFrame = field(repr=False)
    season_length: int
    ends: str
    info: dict[str, Any]
    report: PrepareReport | None = field(default=None, repr=False)

    @property
    def freq(self) -> str:
        """The pandas frequency, anchored on the data (``D``, ``W-MON``, ``MS``, ``QS-JAN``, ``h``)."""
        return self.valid.freq

    @property
    def dims(self) -> pd.DataFrame:
        """One row per series: ``unique_id`` and its dimension columns."""
        return self.valid.dims

    @property
    def ended(self) -> pd.DataFrame:
        """Series filled with 0 from their last date to the common end: ``unique_id, last_ds, filled``."""
        return self.valid.ended

    @property
    def currency(self) -> str:
        """The export's currency, else a single ``currency`` column of the table, else ``USD``."""
        if self.report is not None and not self.report.currency.startswith("("):
            return self.report.currency
        for col in ("currency", "billing_currency"):
            if col in self.dims.columns and self.dims[col].nunique() == 1:
                return str(self.dims[col].iloc[0])
        return "USD"

    def summary(self) -> str:
        """What was loaded: an export's reconciliation, then the series, periods, frequency and season."""
        df = self.valid.df
        lines = [self.report.summary()] if self.report is not None else []
        how = "inferred" if "freq_inferred" in self.info else "given"
        lines.append(
            f"{self.valid.n_series:,} series, {self.valid.history_length:,} periods of {self.freq} ({how}), "
            f"season {self.season_length}, from {df['ds'].min()} to {df['ds'].max()}"
        )
        if len(self.ended):
            lines.append(
                f"{len(self.ended):,} series ended before the last period; their "
                f"{int(self.ended['filled'].sum()):,} missing periods count as 0"
            )
        return "\n".join(lines)


def standard_columns(
    df: pd.DataFrame,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    source: str = "the series frame",
) -> pd.DataFrame:
    """Rename the id, time and target columns to ``unique_id, ds, y`` (outputs always use those names).

    Amazon Forecast exports, for one, name them ``item_id, timestamp, target_value``.

    Raises:
        DataError: A named column is missing, or the frame also has the standard name it would get.
    """
    given = {"id_col": id_col, "time_col": time_col, "target_col": target_col}
    renames = {old: _STANDARD[key] for key, old in given.items() if old != _STANDARD[key]}
    for key, old in given.items():
        new = _STANDARD[key]
        if old == new:
            continue
        if old not in df.columns:
            raise DataError(
                f"{source} has no column {old!r} ({setting(key)}); its columns are "
                f"{list(map(str, df.columns))[:20]}"
            )
        if new in df.columns:
            raise DataError(f"{source} has both {old!r} ({setting(key)}) and {new!r}; rename or drop {new!r}")
    return df.rename(columns=renames) if renames else df


def check_season_length(season_length: int | None, freq: str) -> int:
    """``season_length`` if given (a positive integer), else the usual season of ``freq``.

    Example:
        >>> check_season_length(None, "W-SUN"), check_season_length(4, "D")
        (52, 4)
    """
    if season_length is None:
        return default_season_length(freq)
    if (
        isinstance(season_length, bool)
        or not isinstance(season_length, int | np.integer)
        or season_length < 1
    ):
        raise DataError(
            f"{setting('season_length')} must be a positive whole number of periods (7 for daily data with a "
            f"weekly cycle, 12 for monthly, 1 for none); got {season_length!r}"
        )
    return int(season_length)


def _with_dims(valid: ValidSeries) -> pd.DataFrame:
    """The validated frame with its dimension columns, repeated over each series' rows."""
    dims = valid.dims
    if dims.shape[1] <= 1:
        return valid.df
    codes, uniques = pd.factorize(valid.df["unique_id"], sort=False)
    if len(uniques) == len(dims) and bool(
        (np.asarray(uniques, dtype=object) == dims["unique_id"].to_numpy()).all()
    ):
        rows = dims.iloc[codes].drop(columns="unique_id").reset_index(drop=True)
        return pd.concat([valid.df[["unique_id"]], rows, valid.df[["ds", "y"]]], axis=1)
    merged = valid.df.merge(dims, on="unique_id", how="left", validate="many_to_one")
    return merged[["unique_id", *dims.columns[1:], "ds", "y"]]


def load_series(
    source: str | os.PathLike[str] | pd.DataFrame,
    freq: str | None = "auto",
    *,
    season_length: int | None = None,
    ends: Literal["common", "own"] = "common",
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    **prepare_options: Any,
) -> LoadedSeries:
    """Read and validate series from a table, a raw billing export or a frame, with frequency and season.

    - A **series table** (Parquet file or folder, CSV, CSV.gz, TSV, read by
      :func:`~forecasting.series_io.read_series_table`) or a **DataFrame**: long format, one row per
      series and period; the columns ``id_col``, ``time_col`` and ``target_col`` become
      ``unique_id, ds, y``, other columns constant within a series are its dimensions.
    - A **billing export** (legacy CUR, CUR 2.0, FOCUS; :func:`~forecasting.prepare.is_billing_export`):
      prepared with :func:`~forecasting.prepare.prepare_series` and ``prepare_options``.

    Then the frame is validated (:func:`~forecasting.validation.validate_series`): gaps inside a series
    are periods without cost (0). **Series that stop early** (``ends="common"``, the default): a series
    whose last date is before the dataset's last period is filled with 0 up to that period, because in
    cost data a period without line items cost nothing; it is then forecast from the common end like the
    others (a switched-off service is forecast near 0, and no forecast is dated in the past). One
    :class:`~forecasting.errors.DataWarning` gives their count, and :attr:`LoadedSeries.ended` lists them.
    Pass ``ends="own"`` for series that are not costs and end where they end on purpose (M3).

    Args:
        source: Path of a series table or a billing export, or a DataFrame.
        freq: ``"auto"`` (default) infers the frequency from the dates (the coarsest calendar grid that
            holds them all, :func:`~forecasting.frequency.infer_freq`); a billing export is then prepared
            daily. Or a pandas frequency (``D``, ``W``, ``MS``, ``QS``, ``h``...); for an export, the
            period to add costs up by (``H``, ``D``, ``W``, ``M``).
        season_length: Periods per season; ``None`` derives it from the frequency (7 daily, 52 weekly,
            12 monthly, 4 quarterly, 24 hourly, 1 yearly).
        ends: ``"common"`` or ``"own"``, see above.
        id_col: Series id column of a table or frame.
        time_col: Timestamp column of a table or frame.
        target_col: Value column of a table or frame.
        **prepare_options: Keyword arguments of :func:`~forecasting.prepare.prepare_series` (``dims``,
            ``measure``, ``charges``, ``tz``, ``currency``...), used only when ``source`` is an export.

    Returns:
        The :class:`LoadedSeries`.

    Raises:
        DataError: The source is missing or unreadable, a column is missing, a value or date cannot be
            parsed, the dates lie on no regular grid, or an export holds nothing to forecast.
    """
    info: dict[str, Any] = {}
    report: PrepareReport | None = None
    given_freq = None if is_auto(freq) else str(freq)
    if isinstance(source, pd.DataFrame):
        info["input"] = "DataFrame"
        frame = standard_columns(source, id_col=id_col, time_col=time_col, target_col=target_col)
    else:
        path = Path(source)
        if not path.exists():
            raise DataError(f"INPUT {str(path)!r} does not exist; pass a series file or a billing export")
        info["input"] = str(path)
        if is_billing_export(path):
            start = time.perf_counter()
            result = require_series(prepare_series(path, freq=given_freq or "D", **prepare_options))
            report, frame, given_freq = result.report, result.series, result.freq
            info["prepare"] = report.summary()
            info["timings"] = {"prepare_seconds": round(time.perf_counter() - start, 3)}
        else:
            frame = standard_columns(
                read_series_table(path), id_col=id_col, time_col=time_col, target_col=target_col,
                source=f"INPUT {str(path)!r}",
            )  # fmt: skip
    valid = validate_series(frame, freq=given_freq or "auto", ends=ends)
    if given_freq is None:
        info["freq_inferred"] = valid.freq
    season = check_season_length(season_length, valid.freq)
    return LoadedSeries(valid, _with_dims(valid), season, ends, info, report)
