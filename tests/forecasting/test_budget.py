"""`forecast run` writes the bill totals; `forecast budget` reads them: odds, overrun, crossing dates,
budget files, and one-line errors with exit status 2 for bad requests."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from forecasting.budget import budget_risk, load_totals
from forecasting.cli import main
from forecasting.errors import DataError


@pytest.fixture(scope="module")
def run_out(tmp_path_factory: pytest.TempPathFactory, bill_series: pd.DataFrame) -> tuple[Path, str]:
    """A `forecast run` folder of six service x account series, h=20 from 2025-07-01, two windows."""
    folder = tmp_path_factory.mktemp("budget")
    series = folder / "series.parquet"
    bill_series.to_parquet(series)
    out = folder / "out"
    args = ["run", str(series), "-o", str(out), "--horizon", "20", "--backtest-windows", "2",
            "--models", "naive,seasonal_naive", "--plots", "0"]  # fmt: skip
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(args) == 0
    return out, printed.getvalue()


def _total(out: Path) -> pd.Series:
    table = pd.read_parquet(out / "totals.parquet")
    return table[(table["level"] == "total") & (table["period"] == pd.Timestamp("2025-07-01"))].iloc[0]


def _budget(out: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["budget", str(out), *args])
    got = capsys.readouterr()
    return code, got.out, got.err


def test_run_writes_totals_with_calibration_and_hashes(run_out):
    out, printed = run_out
    table = pd.read_parquet(out / "totals.parquet")
    assert set(table["level"]) == {"total", "service", "account"}
    assert {"level", "key", "period", "actual_to_date", "p10", "p50", "p90", "mean"} <= set(table.columns)
    assert list(table["period"].unique()) == [pd.Timestamp("2025-07-01")]
    july = _total(out)
    # --horizon 20 ends on 20 July: the chosen models forecast on to 31 July so that July is whole.
    assert (july["forecast_steps"], july["missing_steps"], july["actual_to_date"]) == (31, 0, 0.0)
    forecasts = pd.read_parquet(out / "forecasts.parquet")
    assert forecasts.groupby("unique_id").size().eq(20).all()
    daily = pd.read_parquet(out / "totals-daily.parquet")
    assert daily["ds"].max() == pd.Timestamp("2025-07-31")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["totals"]["beyond_horizon_steps"] == 11
    calibration = summary["totals"]["calibration"]
    # Two windows of 20 days end 2025-06-10 and 2025-06-30: May is 21 days observed and 10 forecast in the
    # first, too little forecast to judge a band; June is whole in the second.
    assert calibration["periods"] == ["2025-06-01"]
    assert calibration["rows"] == 1 + 2 + 3
    assert calibration["in_sample"] is False
    assert 0.0 <= calibration["coverage"] <= 1.0
    assert calibration["wql"] > 0
    manifest = json.loads((out / "manifest.json").read_text())["files"]
    assert {"totals.parquet", "totals-daily.parquet", "totals-samples.parquet"} <= set(manifest)
    assert "bill total 2025-07: P50" in printed
    assert "its last 11 step(s) forecast beyond the horizon to close the period" in printed
    assert "totals backtest (1 of 2 windows scored, periods 2025-06-01)" in printed


def test_total_band_is_narrower_than_the_series_bands_added_up(run_out):
    out, _ = run_out
    forecasts = pd.read_parquet(out / "forecasts.parquet")
    daily = pd.read_parquet(out / "totals-daily.parquet")
    # The running total at the horizon's end (20 July) sums the same days as forecasts.parquet.
    at_end = daily[(daily["level"] == "total") & (daily["ds"] == forecasts["ds"].max())].iloc[0]
    summed = (forecasts["p90"] - forecasts["p10"]).sum()
    assert 0 < at_end["p90"] - at_end["p10"] < summed
    assert at_end["p10"] <= forecasts["p50"].sum() <= at_end["p90"]
    july = _total(out)
    assert july["p10"] > at_end["p10"]
    assert july["p90"] > at_end["p90"]


def test_budget_at_the_quantiles_of_the_total_gives_their_odds(run_out, capsys):
    out, _ = run_out
    july = _total(out)
    code, text, _ = _budget(out, capsys, "--amount", str(july["p50"]), "--json")
    at_p50 = json.loads(text)
    assert code == 0
    assert 0.35 <= at_p50["probability_over"] <= 0.65
    assert at_p50["expected_overrun"] > 0
    at_p90 = budget_risk(load_totals(out), july["p90"], period="2025-07")
    assert 0.04 <= at_p90["probability_over"] <= 0.18
    assert at_p90["expected_overrun"] < at_p50["expected_overrun"]
    # The running total's P90 reaches an amount no later than its P50 does.
    assert at_p50["cross_date_p90"] <= at_p50["cross_date_p50"]
    daily = pd.read_parquet(out / "totals-daily.parquet").query("level == 'total'")
    first = daily.loc[daily["p50"] >= july["p50"], "ds"].min()
    assert at_p50["cross_date_p50"] == f"{first:%Y-%m-%d}"


def test_budget_extremes_and_a_service(run_out, capsys):
    out, _ = run_out
    totals = load_totals(out)
    zero = budget_risk(totals, 0)
    assert zero["probability_over"] == 1.0
    assert zero["expected_overrun"] == pytest.approx(zero["mean"])
    assert zero["cross_date_p50"] == "2025-07-01"
    huge = budget_risk(totals, 1e12)
    assert (huge["probability_over"], huge["expected_overrun"], huge["cross_date_p50"]) == (0.0, 0.0, None)
    code, text, _ = _budget(out, capsys, "--amount", "100", "--level", "service", "--key", "AWS Lambda")
    assert code == 0
    assert "for service 'AWS Lambda', 2025-07" in text
    assert "probability over budget" in text


def test_budgets_file_gives_one_row_each_riskiest_first(run_out, capsys, tmp_path):
    out, _ = run_out
    july = _total(out)
    path = tmp_path / "budgets.csv"
    path.write_text(
        "level,key,period,amount\n"
        f"total,total,2025-07,{july['p90'] * 2}\n"
        f"total,total,2025-07,{july['p10'] / 2}\n"
        f"total,total,2025-07,{july['p50']}\n"
        "service,AWS Lambda,2025-07,1\n"
    )
    code, text, _ = _budget(out, capsys, "--budgets", str(path), "--json")
    rows = json.loads(text)
    assert code == 0
    assert len(rows) == 4
    odds = [r["probability_over"] for r in rows]
    assert odds == sorted(odds, reverse=True)
    assert rows[-1]["amount"] == pytest.approx(july["p90"] * 2)
    code, text, _ = _budget(out, capsys, "--budgets", str(path))
    assert "4 budget(s), riskiest first" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--amount", "1000", "--period", "2025-09"], "'2025-09' is outside the forecast horizon"),
        (
            ["--amount", "1000", "--period", "July"],
            "cannot read 'July' as a month; pass YYYY-MM (or a day of the month",
        ),
        (["--amount", "1000", "--level", "servic"], "Did you mean 'service'?"),
        (["--amount", "1000", "--level", "service", "--key", "AWS Lamda"], "Did you mean 'AWS Lambda'?"),
        (["--amount", "1000", "--level", "zzqx"], "not in the run's totals. Known values: 'total', "),
        (["--amount", "-5"], "--amount: got '-5'; pass the budget as a non-negative number"),
        (["--amount", "lots"], "--amount: got 'lots'"),
    ],
)
def test_bad_requests_exit_2_with_one_line(run_out, capsys, args, message):
    out, _ = run_out
    before = sorted(p.name for p in out.rglob("*"))
    code, text, err = _budget(out, capsys, *args)
    assert code == 2
    assert text == ""
    assert message in err
    assert err.count("\n") == 1
    assert sorted(p.name for p in out.rglob("*")) == before


def test_bad_budget_files_and_folders(run_out, capsys, tmp_path):
    out, _ = run_out
    missing = tmp_path / "b.csv"
    missing.write_text("level,key,amount\ntotal,total,5\n")
    code, _, err = _budget(out, capsys, "--budgets", str(missing))
    assert code == 2
    assert "lacks column(s) ['period']" in err
    bad = tmp_path / "c.csv"
    bad.write_text("level,key,period,amount\ntotal,total,2025-07,5\naccount,nope,2025-07,5\n")
    code, _, err = _budget(out, capsys, "--budgets", str(bad))
    assert code == 2
    assert err.startswith("forecast budget: error: --budgets line 3: key 'nope' is not a account")
    code, _, err = _budget(tmp_path, capsys, "--amount", "5")
    assert code == 2
    assert "holds no bill totals" in err


def test_notebook_budget_slider_table_and_chart_agree_with_the_totals(run_out):
    from forecasting.bill_charts import budget_chart, month_end_chart
    from forecasting.budget import budget_frame, budget_slider, load_totals

    out, _ = run_out
    bill = load_totals(out)
    slider = budget_slider(bill)
    total = bill.table[bill.table["level"] == "total"].sort_values("period").iloc[0]
    # The slider spans the band of the first period's total and starts at its median.
    assert slider.min < total["p10"] < slider.value < total["p90"] < slider.max
    assert abs(slider.value - total["p50"]) <= slider.step
    frame = budget_frame(bill, slider.value)
    assert 0.35 <= frame.loc[0, "probability_over"] <= 0.65
    assert budget_frame(bill, slider.max).loc[0, "probability_over"] < 0.05
    fig = budget_chart(bill, frame)
    ax = fig.axes[0]
    assert ax.lines[-1].get_ydata()[0] == pytest.approx(slider.value)  # the budget line
    with pytest.raises(DataError, match="no running totals"):
        month_end_chart(bill.daily, level="service", key="nope")


def test_budgets_file_with_single_budget_flags_is_a_usage_error(run_out, capsys, tmp_path):
    out, _ = run_out
    path = tmp_path / "budgets.csv"
    path.write_text("level,key,period,amount\ntotal,total,2025-07,1000\n")
    for flags, named in [(["--period", "2025-07"], "--period"), (["--amount", "5"], "--amount"),
                         (["--level", "service", "--key", "AWS Lambda"], "--level, --key")]:  # fmt: skip
        code, text, err = _budget(out, capsys, "--budgets", str(path), *flags)
        assert (code, text, err.count("\n")) == (2, "", 1)
        assert f"--budgets takes level, key, period and amount from the file; got {named} as well" in err
    code, _, err = _budget(out, capsys)
    assert code == 2
    assert "pass --amount A (one budget) or --budgets FILE.csv" in err


def test_level_without_key_says_key_is_needed_and_lists_the_keys(run_out, capsys, tmp_path):
    out, _ = run_out
    code, _, err = _budget(out, capsys, "--amount", "100", "--level", "service")
    assert code == 2
    assert (
        "--level 'service' needs --key, one service of the run's totals. Known values: 'AWS Lambda', " in err
    )
    assert "'total'" not in err
    path = tmp_path / "budgets.csv"
    path.write_text("level,key,period,amount\naccount,,2025-07,5\n")
    code, _, err = _budget(out, capsys, "--budgets", str(path))
    assert code == 2
    assert (
        "--budgets line 2: level 'account' needs a key, one account of the run's totals. Known values:" in err
    )


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1234,56", "--amount: got '1234,56'; a comma may only separate thousands (1,234,567.89)"),
        ("1,2345", "got '1,2345'; a comma may only separate thousands"),
        ("12,34.5", "got '12,34.5'"),
    ],
)
def test_a_decimal_comma_is_an_error_not_a_hundred_times_the_budget(run_out, capsys, amount, message):
    out, _ = run_out
    code, text, err = _budget(out, capsys, "--amount", amount)
    assert (code, text, err.count("\n")) == (2, "", 1)
    assert message in err


@pytest.fixture(scope="module")
def weekly_out(tmp_path_factory: pytest.TempPathFactory, bill_series: pd.DataFrame) -> Path:
    """A `forecast run` folder of weekly totals with --quantiles 0.05,0.95 (no median among them)."""
    folder = tmp_path_factory.mktemp("budget-weekly")
    series = folder / "series.parquet"
    bill_series.to_parquet(series)
    out = folder / "out"
    args = ["run", str(series), "-o", str(out), "--horizon", "20", "--backtest-windows", "2",
            "--total-freq", "W", "--quantiles", "0.05,0.95", "--models", "naive,seasonal_naive",
            "--plots", "0"]  # fmt: skip
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        assert main(args) == 0
    return out


def test_weekly_periods_are_read_as_days_of_the_week(weekly_out, capsys):
    bill = load_totals(weekly_out)
    weeks = sorted(pd.DatetimeIndex(bill.table["period"].unique()))
    assert [f"{w:%Y-%m-%d}" for w in weeks] == ["2025-06-30", "2025-07-07", "2025-07-14"]
    # A Wednesday names its week; the risk and the budgets' period say the Monday.
    code, text, _ = _budget(weekly_out, capsys, "--amount", "1000", "--period", "2025-07-09", "--json")
    assert code == 0
    assert json.loads(text)["period"] == "2025-07-07"
    # YYYY-MM once meant the week holding the 1st (2025-06-30 for July): now an error in the weekly format.
    for month in ("2025-07", "2025-08"):
        code, text, err = _budget(weekly_out, capsys, "--amount", "1000", "--period", month)
        assert (code, text, err.count("\n")) == (2, "", 1)
        assert (f"--period: cannot read {month!r} as a week; pass YYYY-MM-DD (the Monday or any day of the "
                "week), one of 2025-06-30, 2025-07-07, 2025-07-14") in err  # fmt: skip
    code, _, err = _budget(weekly_out, capsys, "--amount", "1000", "--period", "2025-08-06")
    assert (
        "'2025-08-06' is outside the forecast horizon; pass one of 2025-06-30, 2025-07-07, 2025-07-14" in err
    )


def test_run_without_a_median_labels_the_mean_and_charts_its_own_band(weekly_out, capsys):
    from forecasting.bill_charts import budget_chart, month_end_chart
    from forecasting.budget import budget_frame, budget_slider

    bill = load_totals(weekly_out)
    assert bill.quantiles == (0.05, 0.95)
    first = bill.table[bill.table["level"] == "total"].sort_values("period").iloc[0]
    code, text, _ = _budget(weekly_out, capsys, "--amount", str(first["mean"]))
    assert code == 0
    total_line = next(line for line in text.splitlines() if "forecast total:" in line)
    assert "P50" not in total_line
    assert total_line.split(":", 1)[1].split()[:2] == ["mean", f"{first['mean']:,.2f}"]
    slider = budget_slider(bill)
    # The outer quantiles the run has (P5, P95) bound the slider, which starts at the mean.
    assert slider.min < first["p5"] < slider.value < first["p95"] < slider.max
    assert abs(slider.value - first["mean"]) <= slider.step
    fig = budget_chart(bill, budget_frame(bill, slider.value))
    ax = fig.axes[0]
    assert ax.get_title() == "Running total of the bill, week of 2025-06-30"
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["P5-P95", "P50"]
    weekly = month_end_chart(bill.daily, period=pd.Timestamp("2025-07-16"))  # total_freq W from the days
    assert weekly.axes[0].get_title() == "Running total of the bill, week of 2025-07-14"
    daily = bill.daily[
        (bill.daily["level"] == "total") & (bill.daily["period"] == pd.Timestamp("2025-07-14"))
    ]
    top = weekly.axes[0].collections[0].get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(daily["p95"].max())
