"""Cost drivers between two periods: known contributions, shares that add up, forecasts, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.cli import main
from forecasting.drivers import cost_drivers, parse_period
from forecasting.errors import DataError


def _bill() -> pd.DataFrame:
    """Two services in two accounts, daily, May and June 2025: EC2 in account A doubles in June."""
    days = pd.date_range("2025-05-01", "2025-06-30", freq="D")
    rows = []
    for service, account, daily in (
        ("EC2", "A", 10.0),
        ("EC2", "B", 5.0),
        ("S3", "A", 1.0),
        ("S3", "B", 2.0),
    ):
        for ds in days:
            y = daily * (2.0 if (service, account) == ("EC2", "A") and ds.month == 6 else 1.0)
            rows.append((f"{service}/{account}", ds, y, service, account))
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y", "service", "account"])


def test_contributions_are_the_known_changes_and_each_dimension_adds_up() -> None:
    bill = _bill()
    d = cost_drivers(bill, parse_period("2025-05"), parse_period("2025-06"), ["service", "account"])
    # May has 31 days, June 30: every series loses a day, EC2/A gains 10 a day over 30 days.
    assert d.before == pytest.approx(18.0 * 31)
    assert d.after == pytest.approx(18.0 * 30 + 10.0 * 30)
    top = d.table.iloc[0]
    assert (top["value"], top["change"]) in {("EC2", 10 * 30 - 15.0), ("A", 10 * 30 - 11.0)}
    by_dim = d.table.groupby("dimension")
    np.testing.assert_allclose(by_dim["change"].sum(), d.change)
    np.testing.assert_allclose(by_dim["share"].sum(), 1.0)
    assert d.table["change"].abs().is_monotonic_decreasing


def test_a_forecast_is_the_later_period_and_its_means_add_up() -> None:
    bill = _bill()
    june = bill[bill["ds"].dt.month == 6]
    forecast = june.assign(ds=june["ds"] + pd.Timedelta(days=30), mean=june["y"] * 1.5).drop(columns="y")
    d = cost_drivers(bill, parse_period("2025-06"), parse_period("2025-07"), ["service"], forecast=forecast)
    assert d.labels == ("2025-06", "2025-07 (forecast)")
    assert d.after == pytest.approx(1.5 * june.loc[june["ds"] < "2025-07-01", "y"].sum() * 30 / 30)


@pytest.mark.parametrize(
    ("before", "after", "dims", "match"),
    [
        ("2025-06", "2025-05", ["service"], "must be later"),
        ("2024-01", "2025-06", ["service"], r"--from 2024-01: no data .* spans 2025-05-01 to 2025-06-30"),
        ("2025-05", "2025-06", ["servce"], r"Did you mean 'service'\? Known dimensions: "),
        # Matching ignores case: the old case-sensitive match offered nothing for this one.
        ("2025-05", "2025-06", ["SERVICE"], r"have no column 'SERVICE'\. Did you mean 'service'\?"),
        ("2025-05", "2025-06", ["zzqx"], r"have no column 'zzqx'\. Known dimensions: "),
    ],
)
def test_bad_requests_say_what_and_how_to_fix(before, after, dims, match) -> None:
    with pytest.raises(DataError, match=match):
        cost_drivers(_bill(), parse_period(before), parse_period(after, "--to"), dims)


@pytest.mark.parametrize("text", ["2025", "June", "2025-13", "2025-06-31"])
def test_periods_are_months_or_days(text) -> None:
    with pytest.raises(DataError, match="write a month as YYYY-MM"):
        parse_period(text)


def test_cli_prints_json_and_writes_rows(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bill.csv"
    _bill().to_csv(path, index=False)
    out = tmp_path / "drivers.csv"
    argv = ["drivers", str(path), "--from", "2025-05", "--to", "2025-06", "--json", "-o", str(out)]
    assert main(argv) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["change"] == pytest.approx(got["after"]["total"] - got["before"]["total"])
    assert got["drivers"][0]["value"] in {"EC2", "A"}
    assert len(pd.read_csv(out)) == 4
    assert main(["drivers", str(path), "--from", "2025-05", "--to", "2024-06"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
