"""Cost drivers between two periods: known contributions, shares that add up, forecasts, bad input."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.budget import load_totals
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


def _july_totals(levels: tuple[str, ...] = ("service", "account")) -> pd.DataFrame:
    """A run's totals.parquet rows: July 2025 (31 days) of the bill at EC2/A 15 a day, the rest as in June.

    Daily means EC2/A 15, EC2/B 5, S3/A 1, S3/B 2 over 31 days; August holds other numbers, to be ignored.
    """
    daily = {("EC2", "A"): 15.0, ("EC2", "B"): 5.0, ("S3", "A"): 1.0, ("S3", "B"): 2.0}
    rows = []
    for period, days in (("2025-07-01", 31), ("2025-08-01", 1000)):
        rows.append(("total", "total", period, sum(daily.values()) * days))
        for i, level in enumerate(("service", "account")):
            if level in levels:
                for key in sorted({k[i] for k in daily}):
                    rows.append((level, key, period, sum(v for k, v in daily.items() if k[i] == key) * days))
    table = pd.DataFrame(rows, columns=["level", "key", "period", "mean"])
    return table.assign(period=pd.to_datetime(table["period"]), actual_to_date=0.0)


def test_a_forecast_month_is_the_runs_expected_total_of_the_whole_month() -> None:
    """The after side is totals.parquet's mean of the month (all 31 days), not a sum of forecast days."""
    d = cost_drivers(
        _bill(),
        parse_period("2025-06"),
        parse_period("2025-07"),
        ["service", "account"],
        totals=_july_totals(),
    )
    assert d.labels == ("2025-06", "2025-07 (forecast)")
    assert d.before == pytest.approx(18.0 * 30 + 10.0 * 30)
    assert d.after == pytest.approx(23.0 * 31)
    rows = d.table.set_index(["dimension", "value"])
    assert rows.loc[("service", "EC2"), "after"] == pytest.approx(20.0 * 31)
    assert rows.loc[("service", "EC2"), "before"] == pytest.approx(25.0 * 30)
    assert rows.loc[("account", "B"), "change"] == pytest.approx(7.0 * 31 - 7.0 * 30)
    by_dim = d.table.groupby("dimension")
    np.testing.assert_allclose(by_dim["change"].sum(), d.change)
    np.testing.assert_allclose(by_dim["share"].sum(), 1.0)


@pytest.mark.parametrize(
    ("after", "dims", "total_freq", "match"),
    [
        (
            "2025-09",
            ["service"],
            "M",
            r"--to 2025-09: the run's totals cover the month\(s\) 2025-07, 2025-08",
        ),
        ("2025-07-14", ["service"], "M", r"--from 2025-06 is a month and --to 2025-07-14 a day"),
        ("2025-07", ["account"], "M", r"no level 'account'\. Levels: service; .* with --dims"),
        ("2025-07", ["service"], "W", r"totals are by week .* rerun `forecast run` with --total-freq M"),
    ],
)
def test_a_period_or_dimension_the_run_lacks_says_what_it_has(after, dims, total_freq, match) -> None:
    with pytest.raises(DataError, match=match):
        cost_drivers(
            _bill(),
            parse_period("2025-06"),
            parse_period(after, "--to"),
            dims,
            totals=_july_totals(("service",)),
            total_freq=total_freq,
        )


@pytest.fixture(scope="module")
def mid_month_run(tmp_path_factory: pytest.TempPathFactory, bill_series: pd.DataFrame) -> tuple[Path, Path]:
    """A series ending 2025-06-15 and its `forecast run` (h=10: June 16-25 in forecasts.parquet)."""
    folder = tmp_path_factory.mktemp("drivers")
    series = folder / "series.parquet"
    bill_series[bill_series["ds"] <= "2025-06-15"].to_parquet(series)
    out = folder / "out"
    args = ["run", str(series), "-o", str(out), "--horizon", "10", "--backtest-windows", "1",
            "--models", "naive,seasonal_naive", "--plots", "0"]  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(args) == 0
    return series, out


def test_cli_forecast_month_agrees_with_the_runs_totals(mid_month_run, capsys) -> None:
    """June is its observed half plus the forecast to June 30, as in totals.parquet (`forecast budget`)."""
    series, out = mid_month_run
    argv = ["drivers", str(series), "--from", "2025-05", "--to", "2025-06", "--forecast", str(out), "--json"]
    assert main(argv) == 0
    got = json.loads(capsys.readouterr().out)
    table = load_totals(out).table
    june = table[table["period"] == pd.Timestamp("2025-06-01")].set_index(["level", "key"])
    assert got["after"]["total"] == pytest.approx(june.loc[("total", "total"), "mean"])
    for row in got["drivers"]:
        assert row["after"] == pytest.approx(june.loc[(row["dimension"], row["value"]), "mean"])
    actual = pd.read_parquet(series)
    assert got["before"]["total"] == pytest.approx(actual.loc[actual["ds"].dt.month == 5, "y"].sum())
    # A whole month against a whole month: the ten forecast days alone were about a third of May.
    assert june.loc[("total", "total"), "actual_to_date"] > 0
    assert 0.8 < got["after"]["total"] / got["before"]["total"] < 1.25


@pytest.mark.parametrize(
    ("before", "after", "dims", "match"),
    [
        ("2025-06", "2025-05", ["service"], "must be later"),
        # A month against one of its own days: different units, and overlapping.
        ("2025-06", "2025-06-14", ["service"], r"--from 2025-06 is a month and --to 2025-06-14 a day"),
        ("2025-06-14", "2025-07", ["service"], r"--from 2025-06-14 is a day and --to 2025-07 a month"),
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


def _cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(["drivers", *argv])
    got = capsys.readouterr()
    return code, got.out, got.err


def _strict(text: str) -> dict:
    """Parse JSON as other languages do: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_cli_dims_are_used_as_named_and_a_typo_fails(tmp_path: Path, capsys) -> None:
    path = tmp_path / "series.parquet"
    _bill().to_parquet(path)
    period = ["--from", "2025-05", "--to", "2025-06", "--json"]
    code, out, _ = _cli([str(path), *period, "--dims", "account"], capsys)
    assert code == 0
    assert {row["dimension"] for row in _strict(out)["drivers"]} == {"account"}
    code, out, _ = _cli([str(path), *period], capsys)  # not given: service,account
    assert {row["dimension"] for row in _strict(out)["drivers"]} == {"service", "account"}
    code, out, err = _cli([str(path), *period, "--dims", "servce"], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert "no column 'servce'. Did you mean 'service'?" in err


def test_cli_json_is_strict_when_nothing_changed(tmp_path: Path, capsys) -> None:
    """Every day of the bill is alike, so two days have no change and no share of it: null, not NaN."""
    path = tmp_path / "series.parquet"
    _bill().to_parquet(path)
    code, out, _ = _cli([str(path), "--from", "2025-06-01", "--to", "2025-06-02", "--json"], capsys)
    assert code == 0
    got = _strict(out)
    assert got["change"] == 0.0
    assert [row["share"] for row in got["drivers"]] == [None] * 4


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--from", "2025-06", "--to", "2025-06-14"], "--from 2025-06 is a month and --to 2025-06-14 a day"),
        (["--from", "2025-05", "--to", "2025-06", "-o", "{out}/dr.txt"], "name a .csv or .parquet file"),
        (["--from", "2025-05", "--to", "2025-06", "-o", "{out}/dr"], "name a .csv or .parquet file"),
    ],
)
def test_cli_refuses_with_one_line_and_writes_nothing(tmp_path: Path, capsys, extra, message) -> None:
    path = tmp_path / "series.parquet"
    _bill().to_parquet(path)
    out = tmp_path / "out"
    code, printed, err = _cli([str(path), *(a.format(out=out) for a in extra)], capsys)
    assert (code, printed) == (2, "")
    assert err.count("\n") == 1
    assert message in err
    assert not out.exists()


def test_cli_writes_parquet_rows(tmp_path: Path, capsys) -> None:
    path = tmp_path / "series.parquet"
    _bill().to_parquet(path)
    target = tmp_path / "out" / "dr.parquet"
    code, _, _ = _cli([str(path), "--from", "2025-05", "--to", "2025-06", "-o", str(target)], capsys)
    assert code == 0
    rows = pd.read_parquet(target)
    assert len(rows) == 4
    assert rows["change"].abs().is_monotonic_decreasing


def test_a_forecast_month_the_run_did_not_close_is_refused() -> None:
    """A July total that lacks days beyond the horizon would pass for a whole month: refused, with the fix."""
    totals = _july_totals().assign(observed_steps=0, forecast_steps=29, missing_steps=2)
    with pytest.raises(
        DataError, match=r"--to 2025-07: the run's total of that month lacks 2 of its 31 steps"
    ):
        cost_drivers(_bill(), parse_period("2025-06"), parse_period("2025-07"), ["service"], totals=totals)
