"""Budget risk of a forecast run: the odds that a period's bill exceeds an amount, and when it would.

Everything is read from the run folder that ``forecast run`` wrote, so the answers agree with
``totals.parquet``: the probability and the expected overrun come from the sampled period totals
(``totals-samples.parquet``), the crossing dates from the running totals' quantiles per day
(``totals-daily.parquet``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from costrec.suggest import did_you_mean
from forecasting.errors import DataError
from forecasting.export import SUMMARY, TOTALS, TOTALS_DAILY, TOTALS_SAMPLES, check_manifest
from forecasting.quantiles import DEFAULT_QUANTILES, point_column, quantile_column, quantile_columns
from forecasting.totals import period_starts

__all__ = ["BUDGET_COLUMNS", "PERIOD_FORMATS", "LoadedTotals", "load_totals", "parse_amount", "period_label",
           "read_period", "quantile_levels", "budget_frame", "budget_risk", "budget_slider", "budget_table",
           "read_budgets"]  # fmt: skip

BUDGET_COLUMNS = ("level", "key", "period", "amount")
_FILES = (TOTALS, TOTALS_DAILY, TOTALS_SAMPLES, SUMMARY)

PERIOD_FORMATS: dict[str, str] = {
    "M": "YYYY-MM (or a day of the month, as totals.parquet's period 2025-07-01)",
    "W": "YYYY-MM-DD (the Monday or any day of the week)",
    "Q": "YYYY-Qn, or YYYY-MM or a day (any month or day of the quarter, as totals.parquet's 2025-07-01)",
}
"""How a period is written, per ``total_freq``: what :func:`read_period` reads and error messages show."""

# Only these shapes: pandas alone would read "July" as July of the current year, and "2025-08" as a
# week that starts on 2025-07-28 (the week holding 1 August), a different period from the one meant.
# Months and quarters are also read from one of their days: totals.parquet writes periods as their first
# day, and a budgets file built from it must be accepted. A week is never read from a month (which week?).
_PERIOD_PATTERNS = {
    "M": r"\d{4}-\d{2}(-\d{2})?",
    "W": r"\d{4}-\d{2}-\d{2}",
    "Q": r"\d{4}-(\d{2}(-\d{2})?|Q[1-4])",
}
_NOUNS = {"M": "month", "W": "week", "Q": "quarter"}


@dataclass(frozen=True)
class LoadedTotals:
    """The totals a run folder holds (see :mod:`forecasting.totals`), as :func:`load_totals` read them.

    Attributes:
        table: ``totals.parquet``: one row per level, key and period.
        daily: ``totals-daily.parquet``: the running total of each period per day.
        samples: ``totals-samples.parquet``: the sampled period totals.
        total_freq: ``M``, ``W`` or ``Q``.
        currency: The bill's currency.
        quantiles: The run's quantile levels (``--quantiles``), the columns of ``table``.
    """

    table: pd.DataFrame
    daily: pd.DataFrame
    samples: pd.DataFrame
    total_freq: str
    currency: str
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES


def quantile_levels(columns: Iterable[object]) -> tuple[float, ...]:
    """The quantile levels whose columns (:func:`~forecasting.quantiles.quantile_column`) ``columns`` holds.

    For frames that come without their levels (a run whose summary predates ``settings.quantiles``).

    Example:
        >>> quantile_levels(["level", "p5", "p50", "p97.5", "mean", "pad"])
        (0.05, 0.5, 0.975)
    """
    found = []
    for column in columns:
        match = re.fullmatch(r"p(\d+(?:\.\d+)?)", str(column))
        if match and quantile_column(float(match[1]) / 100) == column:
            found.append(round(float(match[1]) / 100, 8))
    return tuple(sorted(found))


def load_totals(out: str | os.PathLike[str]) -> LoadedTotals:
    """Read the totals of a run folder, after checking them against the run's ``manifest.json``.

    Raises:
        DataError: If the folder has no totals (not a run, or one written before totals existed) or its
            files changed since the run.
    """
    folder = Path(out)
    missing = [name for name in _FILES if not (folder / name).is_file()]
    if missing:
        summary_file = folder / SUMMARY
        note = None
        if summary_file.is_file():
            with contextlib.suppress(ValueError, AttributeError):
                note = (json.loads(summary_file.read_text(encoding="utf-8")).get("totals") or {}).get("note")
        if note:  # the run said why it wrote none: rerunning it the same way will not help
            raise DataError(f"{str(folder)!r} holds no bill totals: {note}")
        raise DataError(
            f"{str(folder)!r} holds no bill totals (missing {missing}); pass the -o folder of "
            "`forecast run`, or run `forecast run` again if the folder predates totals"
        )
    check_manifest(folder, _FILES)
    summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    table = pd.read_parquet(folder / TOTALS)
    levels = summary.get("settings", {}).get("quantiles")
    return LoadedTotals(
        table=table,
        daily=pd.read_parquet(folder / TOTALS_DAILY),
        samples=pd.read_parquet(folder / TOTALS_SAMPLES),
        total_freq=str(summary.get("totals", {}).get("total_freq", "M")),
        currency=str(summary.get("currency") or "USD"),
        quantiles=tuple(float(q) for q in levels) if levels else quantile_levels(table.columns),
    )


def parse_amount(value: object, what: str = "--amount", *, negative: bool = False) -> float:
    """A budget amount: a finite number (``"120000"``, ``"1,234,567.89"``, ``1.2e5``), non-negative unless
    ``negative``.

    Commas count only as thousands separators: ``"1234,56"`` (a decimal comma) is an error rather than
    123456, a hundred times the budget meant, and the message says ``1234.56``.

    Example:
        >>> parse_amount("120,000.50")
        120000.5
    """
    text = str(value).strip()
    if "," in text and not re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", text):
        # One comma before one or two final digits is a decimal comma (1234,56 or 1.234,56): say the number.
        decimal = re.fullmatch(r"[+-]?(\d{1,3}(\.\d{3})+|\d+),\d{1,2}", text)
        fix = (
            text.replace(".", "").replace(",", ".")
            if decimal
            else "the number without commas, such as 1234.56"
        )
        raise DataError(
            f"{what}: got {value!r}; a comma may only separate thousands (1,234,567.89): write {fix}"
        )
    try:
        amount = float(text.replace(",", ""))
    except ValueError:
        amount = math.nan
    if not math.isfinite(amount) or (amount < 0 and not negative):
        raise DataError(f"{what}: got {value!r}; pass the budget as a non-negative number such as 100000")
    return amount


def period_label(start: pd.Timestamp | str, total_freq: str) -> str:
    """How a period of ``total_freq`` is written (:data:`PERIOD_FORMATS`), from its first day.

    Example:
        >>> [period_label("2025-07-01", f) for f in ("M", "W", "Q")]
        ['2025-07', '2025-07-01', '2025-Q3']
    """
    stamp = pd.Timestamp(start)
    if total_freq == "Q":
        return f"{stamp.year}-Q{stamp.quarter}"
    return f"{stamp:%Y-%m}" if total_freq == "M" else f"{stamp:%Y-%m-%d}"


def read_period(text: object, total_freq: str) -> pd.Timestamp:
    """The first day of the period of ``total_freq`` that ``text`` names (:data:`PERIOD_FORMATS`).

    Raises:
        ValueError: ``text`` is not written in the format of ``total_freq`` or is no date.

    Example:
        >>> read_period("2025-07-30", "W"), read_period("2025-Q3", "Q"), read_period("2025-07-01", "M")
        (Timestamp('2025-07-28 00:00:00'), Timestamp('2025-07-01 00:00:00'), Timestamp('2025-07-01 00:00:00'))
    """
    value = str(text).strip().upper()
    if not re.fullmatch(_PERIOD_PATTERNS[total_freq], value):
        raise ValueError(f"{text!r} is not {PERIOD_FORMATS[total_freq]}")
    stamp = pd.Period(value, freq="Q").start_time if "Q" in value else pd.Timestamp(value)
    return pd.Timestamp(period_starts(pd.DatetimeIndex([stamp]), total_freq)[0])


def _period(totals: LoadedTotals, text: object, what: str) -> pd.Timestamp:
    freq = totals.total_freq
    periods = sorted(pd.DatetimeIndex(totals.table["period"].unique()))
    listed = ", ".join(period_label(p, freq) for p in periods)
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return periods[0]
    try:
        start = read_period(text, freq)
    except (ValueError, TypeError) as exc:
        raise DataError(f"{what}: cannot read {text!r} as a {_NOUNS[freq]}; pass {PERIOD_FORMATS[freq]}, "
                        f"one of {listed}") from exc  # fmt: skip
    if start not in periods:
        raise DataError(f"{what}: {text!r} is outside the forecast horizon; pass one of {listed}, or run "
                        "`forecast run` with a longer --horizon")  # fmt: skip
    return start


def _check_key(totals: LoadedTotals, level: str, key: str | None, flags: tuple[str, str]) -> str:
    """The key to use: ``total`` for the whole bill, else ``key`` once it is known to be one of ``level``."""
    table = totals.table
    levels = list(dict.fromkeys(table["level"]))
    if level not in levels:
        raise DataError(f"{flags[0]} {level!r} is not in the run's totals.{did_you_mean(level, levels)}")
    keys = sorted(table.loc[table["level"] == level, "key"].unique())
    if key is None or not str(key).strip():
        if level == "total":
            return "total"
        # A key of "total" by default would be reported as "not a service": say what is missing instead.
        hint = did_you_mean("", keys)  # nothing to match: the known keys
        raise DataError(f"{flags[0]} {level!r} needs {flags[1]}, one {level} of the run's totals.{hint}")
    if key not in keys:
        raise DataError(f"key {key!r} is not a {level} of the run's totals.{did_you_mean(key, keys)}")
    return key


def _cross(daily: pd.DataFrame, column: str, amount: float) -> str | None:
    over = daily[daily[column] >= amount]
    return None if over.empty else f"{over['ds'].min():%Y-%m-%d}"


@dataclass(frozen=True)
class _Request:
    """One budget, checked against the run: amount, first day of the period, level and key."""

    amount: float
    start: pd.Timestamp
    level: str
    key: str


def _request(
    totals: LoadedTotals, amount: object, period: object, level: str, key: str | None, where: str = ""
) -> _Request:
    """Check one budget; ``where`` prefixes the names in messages (``--`` flags, or a budgets file's line)."""
    if where:
        names = (f"{where}: amount", "level", "a key", f"{where}: period")
    else:
        names = ("--amount", "--level", "--key", "--period")
    value = parse_amount(amount, names[0], negative=True)
    key = _check_key(totals, level, key, (names[1], names[2]))
    start = _period(totals, period, names[3])
    request = _Request(value, start, level, key)
    # A negative budget fits only a total that can be negative (a credit or refund line).
    if value < 0 and not (_draws(totals, request) < 0).any():
        parse_amount(amount, names[0])
    return request


def _draws(totals: LoadedTotals, request: _Request) -> np.ndarray:
    draws = totals.samples
    wanted = (
        (draws["level"] == request.level) & (draws["key"] == request.key) & (draws["period"] == request.start)
    )
    return draws.loc[wanted, "total"].to_numpy(float)


def _risk(totals: LoadedTotals, request: _Request) -> dict[str, Any]:
    value, start, level, key = request.amount, request.start, request.level, request.key
    values = _draws(totals, request)
    table = totals.table
    row = table[(table["level"] == level) & (table["key"] == key) & (table["period"] == start)].iloc[0]
    daily = totals.daily
    daily = daily[(daily["level"] == level) & (daily["key"] == key) & (daily["period"] == start)]
    quantiles = {c: float(row[c]) for c in quantile_columns(totals.quantiles) if c in row.index}
    return {
        "level": level,
        "key": key,
        "period": period_label(start, totals.total_freq),
        "amount": value,
        "probability_over": float(np.mean(values > value)),
        "expected_overrun": float(np.mean(np.maximum(values - value, 0.0))),
        # totals-daily.parquet always holds P50 and P90 of the running total, whatever --quantiles.
        "cross_date_p50": _cross(daily, "p50", value),
        "cross_date_p90": _cross(daily, "p90", value),
        **quantiles,
        "mean": float(row["mean"]),
        "actual_to_date": float(row["actual_to_date"]),
        "missing_steps": int(row["missing_steps"]),
        "currency": totals.currency,
    }


def budget_risk(
    totals: LoadedTotals,
    amount: object,
    *,
    period: object = None,
    level: str = "total",
    key: str | None = None,
) -> dict[str, Any]:
    """The risk that one period's total exceeds ``amount``.

    Args:
        totals: :func:`load_totals` output.
        amount: The budget (validated by :func:`parse_amount`); negative only for a total that can be
            negative (credits).
        period: The period as :data:`PERIOD_FORMATS` writes it for the run's ``total_freq`` (``2025-07``,
            ``2025-07-28``, ``2025-Q3``); ``None``: the first period of the horizon.
        level: ``total`` or a dimension (``service``, ``account``...).
        key: A value of ``level``; needed unless ``level`` is ``total``.

    Returns:
        ``level, key, period, amount, probability_over`` (share of sampled totals above the amount),
        ``expected_overrun`` (mean of ``max(total - amount, 0)``), ``cross_date_p50`` and
        ``cross_date_p90`` (first day whose running total reaches the amount at P50 / P90, or ``None``
        if it does not within the period's forecast), the total's quantiles and ``mean``,
        ``actual_to_date``, ``missing_steps`` (steps of the period beyond the horizon, not in the
        total) and ``currency``.
    """
    return _risk(totals, _request(totals, amount, period, level, key))


def budget_frame(totals: LoadedTotals, amount: object, **where: Any) -> pd.DataFrame:
    """:func:`budget_risk` as a one-row frame (the table half of the notebook's budget slider)."""
    return pd.DataFrame([budget_risk(totals, amount, **where)])


def budget_slider(totals: LoadedTotals, *, level: str = "total", key: str | None = None) -> Any:
    """An ipywidgets slider over the first period's total, from below its lowest quantile to above its
    highest, starting at its median (its mean when 0.5 is not among the run's quantiles)."""
    import ipywidgets as widgets  # the notebook's control; the command line never needs it

    key = _check_key(totals, level, key, ("level", "key"))
    rows = totals.table[(totals.table["level"] == level) & (totals.table["key"] == key)]
    row = rows.sort_values("period").iloc[0]
    columns = [c for c in quantile_columns(totals.quantiles) if c in row.index] or ["mean"]
    low, high = float(row[columns[0]]), float(row[columns[-1]])
    mid = float(row[point_column(totals.quantiles)])
    # A tenth of the larger magnitude beyond each end: below a negative (credit) total as well as a cost.
    pad = 0.1 * max(abs(low), abs(high)) or 1.0
    step = float(10 ** np.floor(np.log10(max(high - low, pad) / 50)))
    return widgets.FloatSlider(
        value=round(mid / step) * step,
        min=math.floor((low - pad) / step) * step,
        max=math.ceil((high + pad) / step) * step,
        step=step,
        description=f"Budget ({totals.currency})",
        continuous_update=False,
        style={"description_width": "initial"},
    )


def read_budgets(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a budgets CSV with the columns ``level, key, period, amount`` (all as text).

    Raises:
        DataError: An unreadable file or missing columns; the message names them and the fix.
    """
    try:
        budgets = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"--budgets: cannot read {str(path)!r} ({exc}); pass a CSV with columns "
                        f"{','.join(BUDGET_COLUMNS)}") from exc  # fmt: skip
    budgets.columns = [str(c).strip() for c in budgets.columns]
    missing = [c for c in BUDGET_COLUMNS if c not in budgets.columns]
    if missing:
        header = ",".join(BUDGET_COLUMNS)
        raise DataError(f"--budgets: {str(path)!r} lacks column(s) {missing} (it has "
                        f"{list(budgets.columns)}); write a header line {header}")  # fmt: skip
    if budgets.empty:
        raise DataError(f"--budgets: {str(path)!r} has no rows; add one line per budget under the header")
    return budgets


def budget_table(totals: LoadedTotals, budgets: pd.DataFrame) -> pd.DataFrame:
    """:func:`budget_risk` for each budget row, riskiest first (probability, then expected overrun).

    Every row is checked before any is computed, so one bad row names itself (its line in the file).
    """
    requests = []
    for i, row in enumerate(budgets.itertuples(index=False), start=2):
        where = f"--budgets line {i}"
        try:
            period, level, key = (str(v).strip() or None for v in (row.period, row.level, row.key))
            requests.append(_request(totals, row.amount, period, level or "", key, where))
        except DataError as exc:
            text = str(exc)
            raise DataError(text if text.startswith(where) else f"{where}: {text}") from exc
    out = pd.DataFrame([_risk(totals, request) for request in requests])
    return out.sort_values(["probability_over", "expected_overrun"], ascending=False, ignore_index=True)
