"""Look up the forecast of chosen series and dates in a run's output folder, as a table or a fan chart."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from forecasting.errors import DataError
from forecasting.export import SUMMARY, check_manifest
from forecasting.options import MAX_PANELS
from forecasting.plots import fan_chart, fan_chart_grid
from forecasting.quantiles import quantile_column

__all__ = [
    "ACCOUNT_COLUMNS",
    "MAX_PANELS",
    "SERVICE_COLUMNS",
    "Run",
    "load_run",
    "lookup",
    "lookup_chart",
    "lookup_totals",
    "match_series",
]

# Dimension columns the --service and --account filters look for, in order; series files from other
# tools name them differently.
SERVICE_COLUMNS = ("service", "service_name", "ServiceName", "product_name", "product")
ACCOUNT_COLUMNS = (
    "account",
    "account_id",
    "usage_account_id",
    "sub_account_id",
    "SubAccountId",
    "account_name",
)


@dataclass(frozen=True)
class Run:
    """The outputs of ``forecast run`` needed for lookups."""

    forecasts: pd.DataFrame
    history: pd.DataFrame
    summary: dict[str, Any]

    @property
    def quantiles(self) -> list[float]:
        """The run's quantile levels."""
        return [float(q) for q in self.summary["settings"]["quantiles"]]

    @property
    def freq(self) -> str:
        """The run's frequency."""
        return str(self.summary["settings"]["freq"])

    @property
    def currency(self) -> str:
        """The currency of the costs."""
        return str(self.summary.get("currency") or "USD")


def load_run(out: str | os.PathLike[str]) -> Run:
    """Read ``forecasts.parquet``, ``history.parquet`` and ``summary.json`` from a run folder.

    The three files are checked against the SHA-256 hashes of the run's ``manifest.json`` first, so a
    folder edited, damaged or half-copied after the run is refused rather than read.

    Raises:
        DataError: If the folder is not the output of ``forecast run``, or its files do not match their
            recorded hashes.
    """
    folder = Path(out)
    missing = [n for n in ("forecasts.parquet", "history.parquet", SUMMARY) if not (folder / n).is_file()]
    if missing:
        raise DataError(
            f"{str(folder)!r} is not a forecast run folder (missing {missing}); "
            "pass the -o folder of `forecast run`"
        )
    check_manifest(folder, ("forecasts.parquet", "history.parquet", SUMMARY))
    summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    forecasts = pd.read_parquet(folder / "forecasts.parquet")
    history = pd.read_parquet(folder / "history.parquet")
    return Run(forecasts=forecasts, history=history, summary=summary)


def _match(values: pd.Series, wanted: str, what: str) -> pd.Series:
    """Rows whose value equals ``wanted`` ignoring case; failing that, those that contain it."""
    text = values.astype("str").str.casefold()
    exact = text == wanted.casefold()
    if exact.any():
        return exact
    partial = text.str.contains(wanted.casefold(), regex=False)
    if not partial.any():
        raise DataError(f"no series matches {what} {wanted!r}; the run has {_listing(values)}")
    return partial


def _listing(values: pd.Series, limit: int = 20) -> str:
    """Up to ``limit`` distinct values, sorted, then how many more there are."""
    choices = sorted(values.astype("str").unique())
    more = f" and {len(choices) - limit} more" if len(choices) > limit else ""
    return ", ".join(repr(c) for c in choices[:limit]) + more


def _column(df: pd.DataFrame, candidates: tuple[str, ...]) -> str | None:
    return next((c for c in candidates if c in df.columns), None)


def match_series(
    forecasts: pd.DataFrame,
    *,
    service: str | None = None,
    account: str | None = None,
    unique_id: str | None = None,
) -> list[str]:
    """The ids of the series that pass every given filter.

    ``--service`` and ``--account`` compare with the matching dimension column (``service``, ``account``
    and their usual spellings) ignoring case, exact match first, else substring; without such a column
    they search the series id. ``--id`` must equal a series id.

    Raises:
        DataError: If a filter matches nothing; the message lists what the run holds.
    """
    keep = pd.Series(True, index=forecasts.index)
    for wanted, candidates, what in (
        (service, SERVICE_COLUMNS, "service"),
        (account, ACCOUNT_COLUMNS, "account"),
    ):
        if wanted:
            col = _column(forecasts, candidates) or "unique_id"
            keep &= _match(forecasts[col], wanted, what)
    if unique_id:
        ids = forecasts["unique_id"].astype("str")
        if not (ids == unique_id).any():
            raise DataError(f"no series has id {unique_id!r}; the run has {_listing(ids)}")
        keep &= ids == unique_id
    matched = list(dict.fromkeys(forecasts.loc[keep, "unique_id"].astype("str")))
    if not matched:
        raise DataError("no series matches all the filters together; loosen one of them")
    return matched


def _date(value: str | None, flag: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value)
    except ValueError as exc:
        raise DataError(f"{flag}: {value!r} is not a date; use e.g. 2025-07-01") from exc


def lookup(
    run: Run,
    *,
    service: str | None = None,
    account: str | None = None,
    unique_id: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> pd.DataFrame:
    """The forecast rows of the matched series between ``start`` and ``end`` (both inclusive).

    Returns:
        The rows of ``forecasts.parquet`` (with the dimension columns), sorted by ``unique_id, ds``.

    Raises:
        DataError: If nothing matches or the dates are unreadable or leave no rows.
    """
    ids = match_series(run.forecasts, service=service, account=account, unique_id=unique_id)
    rows = run.forecasts[run.forecasts["unique_id"].astype("str").isin(ids)]
    lo, hi = _date(start, "--from"), _date(end, "--to")
    if lo is not None:
        rows = rows[rows["ds"] >= lo]
    if hi is not None:
        rows = rows[rows["ds"] <= hi]
    if rows.empty:
        first, last = run.forecasts["ds"].min(), run.forecasts["ds"].max()
        raise DataError(
            f"no forecast between {start} and {end}; the forecast covers {first:%Y-%m-%d} to {last:%Y-%m-%d}"
        )
    return rows.sort_values(["unique_id", "ds"], ignore_index=True)


def lookup_totals(rows: pd.DataFrame) -> dict[str, float]:
    """The totals of looked-up rows, named by the column they add up.

    ``mean`` is the expected total: means add up, quantiles do not (the sum of the P90s is far above
    the P90 of the sum). ``p50``, when the run has it, is the sum of the column the table and the fan
    chart show as the forecast; every model's band is centred so that the two agree (naive models,
    the normal bands of Theta, ETS and ARIMA, LightGBM's median), and where they differ (a skewed
    multiplicative ETS) both are printed rather than one passed off as the other.

    Example:
        >>> rows = pd.DataFrame({"p10": [1.0, 2.0], "p50": [2.0, 3.0], "p90": [4.0, 5.0], "mean": [2.0, 3.5]})
        >>> lookup_totals(rows)
        {'mean': 5.5, 'p50': 5.0}
    """
    totals = {"mean": float(rows["mean"].sum())}
    median = quantile_column(0.5)
    if median in rows.columns:
        totals[median] = float(rows[median].sum())
    return totals


def lookup_chart(run: Run, rows: pd.DataFrame) -> Figure:
    """A fan chart of the looked-up rows: one panel per series, the costliest ``MAX_PANELS`` of them."""
    mid = "p50" if "p50" in rows.columns else "mean"
    ids = rows.groupby("unique_id", sort=False)[mid].sum().sort_values(ascending=False).index[:MAX_PANELS]
    panels = []
    for uid in ids:
        fc = rows[rows["unique_id"] == uid]
        hist = run.history[run.history["unique_id"] == uid]
        panels.append((f"{uid}  ({fc['model'].iloc[0]})", hist, fc))
    if len(panels) == 1:
        title, hist, fc = panels[0]
        return fan_chart(hist, fc, run.quantiles, title=title, currency=run.currency, freq=run.freq)
    return fan_chart_grid(panels, run.quantiles, currency=run.currency, freq=run.freq)
