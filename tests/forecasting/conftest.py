"""Shared fixtures of the forecasting tests: seeded series frames and small test-double models."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecasting.quantiles import quantile_columns


def _long_frame(series: dict[str, np.ndarray], freq: str = "D", start: str = "2023-01-02") -> pd.DataFrame:
    parts = [
        pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=len(y), freq=freq), "y": y})
        for uid, y in series.items()
    ]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def long_frame() -> Callable[..., pd.DataFrame]:
    """Build a long frame ``unique_id, ds, y`` from ``{id: values}`` (all series start on one date)."""
    return _long_frame


@pytest.fixture
def weekly_frame() -> pd.DataFrame:
    """Four noisy daily series with a weekly cycle and a slow trend, 120 days each, seeded."""
    rng = np.random.default_rng(7)
    t = np.arange(120)
    series = {
        f"s{i}": 50.0 * (i + 1) + 0.1 * t + 8.0 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1.5, t.size)
        for i in range(4)
    }
    return _long_frame(series)


class LastValuePlus:
    """Test double: forecast the last value plus ``shift``; quantiles deliberately cross (reversed).

    ``fail_on`` makes ``fit`` raise when a series id contains it, to exercise failure handling.
    """

    def __init__(self, shift: float = 0.0, alias: str = "last_plus", fail_on: str | None = None) -> None:
        self.shift = shift
        self.alias = alias
        self.fail_on = fail_on

    def fit(self, df: pd.DataFrame, *, freq: str = "D", season_length: int = 7) -> LastValuePlus:
        if self.fail_on is not None and df["unique_id"].astype(str).str.contains(self.fail_on).any():
            raise RuntimeError(f"cannot fit series containing {self.fail_on!r}")
        self.last_ = df.groupby("unique_id", sort=True).agg(ds=("ds", "max"), y=("y", "last"))
        self.freq_ = freq
        return self

    def predict(self, h: int, quantiles: Sequence[float]) -> pd.DataFrame:
        rows: list[dict[str, Any]] = []
        for uid, (last_ds, last_y) in self.last_.iterrows():
            dates = pd.date_range(last_ds, periods=h + 1, freq=self.freq_)[1:]
            for ds in dates:
                row: dict[str, Any] = {"unique_id": uid, "ds": ds, "mean": last_y + self.shift}
                # Reversed on purpose: the highest level gets the lowest value.
                for col, q in zip(quantile_columns(quantiles), quantiles, strict=True):
                    row[col] = last_y + self.shift + (0.5 - q)
                rows.append(row)
        return pd.DataFrame(rows)


@pytest.fixture
def last_value_model() -> type[LastValuePlus]:
    """The ``LastValuePlus`` test-double class."""
    return LastValuePlus


# --- Billing exports and synthetic bills -------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
SHARED_COST = REPO.parent / "shared" / "data" / "cost"


@pytest.fixture(scope="session")
def sample_bills_dir() -> Path:
    """The committed sample bills (``data/bills``: ``cur2/``, ``cur_legacy.csv.gz``, ``focus.csv.gz``)."""
    return REPO / "data" / "bills"


@pytest.fixture(scope="session")
def shared_cost_dir() -> Path:
    """Real billing samples (legacy CUR, FOCUS 1.0, FOCUS spec examples); tests skip when absent."""
    if not SHARED_COST.is_dir():
        pytest.skip(f"real billing samples not found at {SHARED_COST}")
    return SHARED_COST


@pytest.fixture(scope="session")
def synthetic_bills() -> pd.DataFrame:
    """Canonical line items of the seed-0 synthetic bill (the one written to ``data/bills``)."""
    from forecasting.synthetic import generate_bills

    return generate_bills(seed=0)


LEGACY_NAMES = {
    "start": "lineItem/UsageStartDate",
    "end": "lineItem/UsageEndDate",
    "account": "lineItem/UsageAccountId",
    "type": "lineItem/LineItemType",
    "service": "product/ProductName",
    "cost": "lineItem/UnblendedCost",
    "currency": "lineItem/CurrencyCode",
    "region": "product/region",
    "usage_type": "lineItem/UsageType",
}


def _write_cur_csv(path: Path, rows: list[dict[str, Any]], **extra_columns: str) -> Path:
    frame = pd.DataFrame(rows)
    frame = frame.rename(columns={**LEGACY_NAMES, **extra_columns})
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def cur_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write a small legacy CUR CSV: ``cur_csv(rows, name="cur.csv", **renames)``.

    Rows are dicts with short keys (``start``, ``end``, ``account``, ``type``, ``service``, ``cost``,
    ``currency``, ``region``, ``usage_type``) renamed to ``lineItem/...`` columns; other keys are kept.
    """

    def write(rows: list[dict[str, Any]], name: str = "cur.csv", **renames: str) -> Path:
        return _write_cur_csv(tmp_path / name, rows, **renames)

    return write


def usage_row(day: str, cost: float | str, **fields: Any) -> dict[str, Any]:
    """A daily Usage line item (00:00 to 24:00 UTC on ``day``), as in a daily-granularity CUR."""
    start = pd.Timestamp(day)
    end = start + pd.Timedelta(days=1)
    row = {"start": f"{start:%Y-%m-%dT%H:%M:%SZ}", "end": f"{end:%Y-%m-%dT%H:%M:%SZ}",
           "account": "012345678901", "type": "Usage", "service": "Amazon S3", "cost": cost,
           "currency": "USD"}  # fmt: skip
    row.update(fields)
    return row


@pytest.fixture
def usage() -> Callable[..., dict[str, Any]]:
    """:func:`usage_row`: a daily Usage line item; ``usage(day, cost, **other_columns)``."""
    return usage_row


# --- Forecast runs (series, fitted forecasters, output folders) ---------------------------------------


@pytest.fixture(scope="session")
def bill_series(sample_bills_dir: Path) -> pd.DataFrame:
    """Daily usage cost per service and account of the sample FOCUS bill: six series, the last 150 days."""
    import duckdb

    focus = (sample_bills_dir / "focus.csv.gz").as_posix()
    df = duckdb.sql(
        f"""
        SELECT ServiceName AS service, CAST(SubAccountId AS VARCHAR) AS account,
               ServiceName || '|' || CAST(SubAccountId AS VARCHAR) AS unique_id,
               CAST(CAST(ChargePeriodStart AS TIMESTAMP) AS DATE) AS ds, SUM(EffectiveCost) AS y
        FROM read_csv('{focus}', types={{'SubAccountId': 'VARCHAR'}})
        WHERE ChargeCategory = 'Usage'
          AND ServiceName IN ('Amazon Elastic Compute Cloud', 'AWS Lambda')
        GROUP BY ALL ORDER BY unique_id, ds
        """
    ).df()
    df["ds"] = pd.to_datetime(df["ds"])
    return df[df["ds"] > df["ds"].max() - pd.Timedelta(days=150)].reset_index(drop=True)


@pytest.fixture(scope="session")
def fitted_run(bill_series: pd.DataFrame):
    """A Forecaster fitted on ``bill_series`` (h=14, two backtest windows) and its forecasts."""
    from forecasting.forecaster import Forecaster

    fc = Forecaster(models=["naive", "seasonal_naive"], n_windows=2).fit(bill_series, h=14)
    return fc, fc.predict(14)


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory: pytest.TempPathFactory, fitted_run) -> Path:
    """An output folder written by ``write_run`` from ``fitted_run`` (two charts, no CSV)."""
    from forecasting.export import write_run

    out = tmp_path_factory.mktemp("run") / "out"
    fc, forecasts = fitted_run
    return write_run(out, fc, forecasts, n_plots=2, extra={"currency": "USD"})
