"""Budget risk of a forecast run: the odds that a period's bill exceeds an amount, and when it would.

Everything is read from the run folder that ``forecast run`` wrote, so the answers agree with
``totals.parquet``: the probability and the expected overrun come from the sampled period totals
(``totals-samples.parquet``), the crossing dates from the running totals' quantiles per day
(``totals-daily.parquet``).
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from costrec.suggest import did_you_mean
from forecasting.errors import DataError
from forecasting.export import SUMMARY, TOTALS, TOTALS_DAILY, TOTALS_SAMPLES, check_manifest
from forecasting.totals import period_starts

__all__ = ["BUDGET_COLUMNS", "RunTotals", "load_totals", "parse_amount", "budget_frame", "budget_risk",
           "budget_slider", "budget_table", "read_budgets"]  # fmt: skip

BUDGET_COLUMNS = ("level", "key", "period", "amount")
_FILES = (TOTALS, TOTALS_DAILY, TOTALS_SAMPLES, SUMMARY)


@dataclass(frozen=True)
class RunTotals:
    """The totals a run folder holds (see :mod:`forecasting.totals`)."""

    table: pd.DataFrame
    daily: pd.DataFrame
    samples: pd.DataFrame
    total_freq: str
    currency: str


def load_totals(out: str | os.PathLike[str]) -> RunTotals:
    """Read the totals of a run folder, after checking them against the run's ``manifest.json``.

    Raises:
        DataError: If the folder has no totals (not a run, or one written before totals existed) or its
            files changed since the run.
    """
    folder = Path(out)
    missing = [name for name in _FILES if not (folder / name).is_file()]
    if missing:
        raise DataError(
            f"{str(folder)!r} holds no bill totals (missing {missing}); pass the -o folder of "
            "`forecast run`, or run `forecast run` again if the folder predates totals"
        )
    check_manifest(folder, _FILES)
    summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    return RunTotals(
        table=pd.read_parquet(folder / TOTALS),
        daily=pd.read_parquet(folder / TOTALS_DAILY),
        samples=pd.read_parquet(folder / TOTALS_SAMPLES),
        total_freq=str(summary.get("totals", {}).get("total_freq", "M")),
        currency=str(summary.get("currency") or "USD"),
    )


def parse_amount(value: object, what: str = "--amount") -> float:
    """A budget amount: a finite, non-negative number (``"120000"``, ``1.2e5``).

    Example:
        >>> parse_amount("120,000.50")
        120000.5
    """
    try:
        amount = float(str(value).replace(",", "").strip())
    except ValueError:
        amount = math.nan
    if not math.isfinite(amount) or amount < 0:
        raise DataError(f"{what}: got {value!r}; pass the budget as a non-negative number such as 100000")
    return amount


def _period(totals: RunTotals, text: object, what: str) -> pd.Timestamp:
    label = "%Y-%m" if totals.total_freq == "M" else "%Y-%m-%d"
    periods = sorted(pd.DatetimeIndex(totals.table["period"].unique()))
    listed = ", ".join(f"{p:{label}}" for p in periods)
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return periods[0]
    try:
        # Only YYYY-MM or YYYY-MM-DD: pandas would read "July" as July of the current year.
        if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", str(text).strip()):
            raise ValueError(text)
        start = period_starts(pd.DatetimeIndex([pd.Timestamp(str(text).strip())]), totals.total_freq)[0]
    except (ValueError, TypeError) as exc:
        raise DataError(f"{what}: cannot read {text!r} as a period; pass one of {listed} (YYYY-MM)") from exc
    if start not in periods:
        raise DataError(f"{what}: {text!r} is outside the forecast horizon; pass one of {listed}, or run "
                        "`forecast run` with a longer --horizon")  # fmt: skip
    return pd.Timestamp(start)


def _check_key(totals: RunTotals, level: str, key: str) -> None:
    table = totals.table
    levels = list(dict.fromkeys(table["level"]))
    if level not in levels:
        raise DataError(f"level {level!r} is not in the run's totals.{did_you_mean(level, levels)}")
    keys = sorted(table.loc[table["level"] == level, "key"].unique())
    if key not in keys:
        raise DataError(f"key {key!r} is not a {level} of the run's totals.{did_you_mean(key, keys)}")


def _cross(daily: pd.DataFrame, column: str, amount: float) -> str | None:
    over = daily[daily[column] >= amount]
    return None if over.empty else f"{over['ds'].min():%Y-%m-%d}"


def budget_risk(
    totals: RunTotals, amount: object, *, period: object = None, level: str = "total", key: str = "total"
) -> dict[str, Any]:
    """The risk that one period's total exceeds ``amount``.

    Args:
        totals: :func:`load_totals` output.
        amount: The budget (validated by :func:`parse_amount`).
        period: ``YYYY-MM`` (any date of the period); ``None``: the first period of the horizon.
        level: ``total`` or a dimension (``service``, ``account``...).
        key: ``total`` or a value of ``level``.

    Returns:
        ``level, key, period, amount, probability_over`` (share of sampled totals above the amount),
        ``expected_overrun`` (mean of ``max(total - amount, 0)``), ``cross_date_p50`` and
        ``cross_date_p90`` (first day whose running total reaches the amount at P50 / P90, or ``None``
        if it does not within the period's forecast), the total's quantiles and ``mean``,
        ``actual_to_date``, ``missing_steps`` (steps of the period beyond the horizon, not in the
        total) and ``currency``.
    """
    value = parse_amount(amount)
    _check_key(totals, level, key)
    start = _period(totals, period, "--period")
    draws = totals.samples
    wanted = (draws["level"] == level) & (draws["key"] == key) & (draws["period"] == start)
    values = draws.loc[wanted, "total"].to_numpy(float)
    table = totals.table
    row = table[(table["level"] == level) & (table["key"] == key) & (table["period"] == start)].iloc[0]
    daily = totals.daily
    daily = daily[(daily["level"] == level) & (daily["key"] == key) & (daily["period"] == start)]
    quantiles = {
        c: float(row[c]) for c in table.columns if c.startswith("p") and c[1:].replace(".", "").isdigit()
    }
    return {
        "level": level,
        "key": key,
        "period": f"{start:%Y-%m}" if totals.total_freq == "M" else f"{start:%Y-%m-%d}",
        "amount": value,
        "probability_over": float(np.mean(values > value)),
        "expected_overrun": float(np.mean(np.maximum(values - value, 0.0))),
        "cross_date_p50": _cross(daily, "p50", value),
        "cross_date_p90": _cross(daily, "p90", value),
        **quantiles,
        "mean": float(row["mean"]),
        "actual_to_date": float(row["actual_to_date"]),
        "missing_steps": int(row["missing_steps"]),
        "currency": totals.currency,
    }


def budget_frame(totals: RunTotals, amount: object, **where: Any) -> pd.DataFrame:
    """:func:`budget_risk` as a one-row frame (the table half of the notebook's budget slider)."""
    return pd.DataFrame([budget_risk(totals, amount, **where)])


def budget_slider(totals: RunTotals, *, level: str = "total", key: str = "total") -> Any:
    """An ipywidgets slider over the first period's total, from below its P10 to above its P90."""
    import ipywidgets as widgets  # the notebook's control; the command line never needs it

    rows = totals.table[(totals.table["level"] == level) & (totals.table["key"] == key)]
    if rows.empty:
        raise DataError(f"no bill totals for level {level!r}, key {key!r}")
    row = rows.sort_values("period").iloc[0]
    low, mid, high = (float(row[c]) for c in ("p10", "p50", "p90"))
    step = float(10 ** np.floor(np.log10(max(high - low, 1e-9) / 50)))
    return widgets.FloatSlider(
        value=round(mid / step) * step,
        min=round(0.9 * low / step) * step,
        max=round(1.1 * high / step) * step,
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


def budget_table(totals: RunTotals, budgets: pd.DataFrame) -> pd.DataFrame:
    """:func:`budget_risk` for each budget row, riskiest first (probability, then expected overrun).

    Every row is checked before any is computed, so one bad row names itself (its line in the file).
    """
    for i, row in enumerate(budgets.itertuples(index=False), start=2):
        where = f"--budgets line {i}"
        try:
            parse_amount(row.amount, f"{where}: amount")
            _check_key(totals, str(row.level).strip(), str(row.key).strip())
            _period(totals, str(row.period).strip() or None, f"{where}: period")
        except DataError as exc:
            text = str(exc)
            raise DataError(text if text.startswith(where) else f"{where}: {text}") from exc
    rows = [
        budget_risk(
            totals,
            row.amount,
            period=str(row.period).strip() or None,
            level=str(row.level).strip(),
            key=str(row.key).strip(),
        )  # fmt: skip
        for row in budgets.itertuples(index=False)
    ]
    out = pd.DataFrame(rows)
    return out.sort_values(["probability_over", "expected_overrun"], ascending=False, ignore_index=True)
