"""Anomalies: the injected anomaly of the sample bills, known answers, causality, export gaps, fees."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from forecasting import DataError
from forecasting.anomalies import AnomalySettings, detect_anomalies, impact_analysis, rolling_band
from forecasting.cli import main

PATTERN = np.array([100.0, 104.0, 103.0, 101.0, 98.0, 60.0, 55.0])


def weekly(n: int, seed: int | None = None, noise: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.tile(PATTERN, n // 7 + 1)[:n] + (rng.normal(0, noise, n) if noise else 0.0)


def test_the_injected_anomaly_of_the_sample_bills_comes_first(bill_series, sample_bills_dir):
    truth = json.loads((sample_bills_dir / "truth.json").read_text())["anomaly"]
    flagged = detect_anomalies(bill_series)
    top = flagged.iloc[0]
    assert (top["service"], top["account"], str(top["ds"].date())) == (
        truth["service"],
        truth["account"],
        truth["date"],
    )
    np.testing.assert_allclose(top["y"], truth["cost"])
    assert top["severity"] >= 90
    np.testing.assert_allclose(top["impact"], truth["cost"] - top["p50"])
    assert top["p50"] == pytest.approx(truth["normal_cost"], rel=0.25)


def test_a_noise_free_weekly_pattern_flags_only_what_was_injected(long_frame):
    y = weekly(140)
    y[100] *= 3.0  # a spike
    y[120] = 10.0  # a drop
    flagged = detect_anomalies(long_frame({"a": y}))
    days = pd.date_range("2023-01-02", periods=140)
    assert flagged["ds"].tolist() == [days[100], days[120]]
    spike, drop = flagged.iloc[0], flagged.iloc[1]
    np.testing.assert_allclose(spike["p50"], y[93])
    np.testing.assert_allclose(spike["impact"], 2 * y[93])
    np.testing.assert_allclose(drop["impact"], 10.0 - y[113])
    # Errors are all zero, so the spread is its floor, 5 % of the forecast over the threshold 3.5.
    np.testing.assert_allclose(spike["zscore"], 2 * y[93] / (0.05 * y[93] / 3.5), atol=0.01)
    for row, t in ((spike, 100), (drop, 120)):
        typical = np.median(np.abs(y[t - 56 : t]))  # the trailing window is 8 weeks
        expected = 100 * (1 - np.exp(-abs(row["zscore"]) / 3.5)) * (1 - np.exp(-abs(row["impact"]) / typical))
        np.testing.assert_allclose(row["severity"], expected, atol=0.05)
    assert spike["severity"] > drop["severity"]
    assert list(flagged["date_rank"]) == [1, 2]


def test_severity_grows_with_the_distance_outside_the_band(long_frame):
    y = weekly(160, seed=1, noise=2.0)
    for k, bump in enumerate((12.0, 20.0, 40.0)):
        y[100 + 14 * k] += bump
    flagged = detect_anomalies(long_frame({"a": y}), settings=AnomalySettings(min_impact=0.0))
    days = pd.date_range("2023-01-02", periods=160)
    bumps = flagged.set_index("ds").loc[[days[100], days[114], days[128]], "severity"].to_numpy()
    assert (np.diff(bumps) > 0).all()
    assert ((flagged["severity"] >= 0) & (flagged["severity"] <= 100)).all()
    assert flagged["severity"].is_monotonic_decreasing


def test_a_small_deviation_is_not_an_alert_unless_min_impact_allows_it(long_frame):
    """Unlikely but cheap: 6 on a 100-a-day series is below the default quarter of a typical day."""
    y = weekly(140)
    y[100] += 6.0
    assert detect_anomalies(long_frame({"a": y})).empty
    flagged = detect_anomalies(long_frame({"a": y}), settings=AnomalySettings(min_impact=5.0))
    assert flagged["ds"].tolist() == [pd.Timestamp("2023-01-02") + pd.Timedelta(days=100)]
    np.testing.assert_allclose(flagged["impact"], 6.0)
    assert detect_anomalies(long_frame({"a": y}), settings=AnomalySettings(min_impact=6.5)).empty


def test_flagged_periods_are_unlikely_and_costly_and_severity_needs_an_impact(long_frame):
    """On noisy random series every flag has |z| >= threshold and an impact of a cent or more."""
    rng = np.random.default_rng(11)
    series = {f"s{k}": rng.gamma(shape, scale, 200) for k, (shape, scale) in enumerate(
        [(0.5, 0.05), (2.0, 0.02), (5.0, 40.0), (1.0, 500.0), (0.3, 3.0)])}  # fmt: skip
    for y in series.values():
        y[rng.integers(60, 200, 3)] *= 8.0
    flagged = detect_anomalies(long_frame(series))
    assert len(flagged) > 0
    assert (flagged["zscore"].abs() >= 3.5).all()
    assert (flagged["impact"].abs() >= 0.01).all()
    assert (
        (flagged["y"] >= flagged["p90"]) | (flagged["y"] <= flagged["p10"])
    ).all()  # never inside the band
    assert ((flagged["severity"] > 0) & (flagged["severity"] <= 100)).all()
    # The typical period is at least a cent, so an impact near zero caps the severity near zero.
    cap = 100 * (1 - np.exp(-flagged["impact"].abs() / 0.01))
    assert (flagged["severity"] <= cap + 0.05).all()
    assert len(flagged) <= 0.03 * sum(map(len, series.values()))  # heavy-tailed noise is not an alert
    # A flat series (zero spread) that moves by a micro-dollar is never an alert.
    flat = np.full(100, 0.0333)
    flat[80] += 1e-6
    assert detect_anomalies(long_frame({"kms": flat})).empty


def test_the_band_of_a_period_uses_only_earlier_periods():
    """No look-ahead: rewriting the future leaves every earlier forecast and band unchanged."""
    rng = np.random.default_rng(3)
    values = np.vstack([weekly(120, seed=4, noise=3.0), rng.gamma(2.0, 10.0, 120)])
    grid = pd.date_range("2024-01-01", periods=120)
    settings = AnomalySettings()
    before = rolling_band(values, grid, "D", settings)
    changed = values.copy()
    changed[:, 80:] = changed[:, 80:] * 5 + 100
    after = rolling_band(changed, grid, "D", settings)
    for old, new in zip(before, after, strict=True):
        np.testing.assert_array_equal(old[:, :81], new[:, :81])  # period 80's band predates period 80
        assert not np.allclose(np.nan_to_num(old[:, 90:]), np.nan_to_num(new[:, 90:]))


def test_a_day_missing_from_the_export_is_a_gap_not_an_anomaly(long_frame):
    """prepare fills an export's missing day with zeros; neither it nor the weeks after are flagged."""
    series = {f"s{i}": weekly(150) * (i + 1) for i in range(4)}
    for y in series.values():
        y[70] = 0.0
    series["fee"] = np.full(150, 3.0)  # a charge spread over the month still shows on that day
    flagged = detect_anomalies(long_frame(series))
    assert flagged.empty


def test_month_start_charges_are_learned(long_frame):
    days = pd.date_range("2024-01-01", periods=240)
    y = np.tile(PATTERN, 35)[:240] + np.where(days.day == 1, 400.0, 0.0)
    flagged = detect_anomalies(long_frame({"a": y}, start="2024-01-01"))
    # The first month starts surprise a forecaster that has not seen one; from the fourth on, none.
    assert flagged["ds"].max() < pd.Timestamp("2024-04-01")


def test_non_negative_series_get_no_band_below_zero(long_frame):
    rng = np.random.default_rng(5)
    y = np.where(rng.random(120) < 0.3, 0.0, rng.gamma(1.0, 20.0, 120))
    y[110] = 500.0
    flagged = detect_anomalies(long_frame({"a": y}), settings=AnomalySettings(min_severity=50))
    assert (flagged["p10"] >= 0).all()
    assert flagged.iloc[0]["y"] == 500.0


def test_credits_keep_negative_bands():
    values = (weekly(100, seed=6, noise=1.0) - 150.0)[None, :]
    band = rolling_band(values, pd.date_range("2024-01-01", periods=100), "D", AnomalySettings())
    judged = np.isfinite(band.median[0])
    assert judged.sum() > 50
    assert (band.lower[0, judged] < 0).all()
    assert (band.median[0, judged] < 0).all()
    assert (band.lower[0, judged] <= band.median[0, judged]).all()
    assert (band.median[0, judged] <= band.upper[0, judged]).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"quantiles": (0.1, 0.5, 0.9)}, "two quantiles"),
        ({"quantiles": (0.9, 0.1)}, "increasing"),
        ({"season_length": 0}, "season_length"),
        ({"window": 2}, "at least 4"),
        ({"min_deviation": 1.5}, "fraction"),
        ({"min_severity": 101}, "between 0 and 100"),
        ({"quantiles": (0.6, 0.9)}, "straddle 0.5"),
        ({"threshold": 0}, "positive z-score"),
        ({"min_impact": -1.0}, "0 or more"),
    ],
)
def test_bad_settings_raise(kwargs, match):
    with pytest.raises(DataError, match=match):
        AnomalySettings(**kwargs)


def test_cli_writes_the_flagged_periods(tmp_path, bill_series, capsys):
    source = tmp_path / "series.parquet"
    bill_series.to_parquet(source)
    out = tmp_path / "anomalies.csv"
    assert (
        main(["anomalies", str(source), "-o", str(out), "--min-severity", "50", "--since", "2025-03-01"]) == 0
    )
    table = pd.read_csv(out, dtype={"account": str})
    assert list(table.columns) == [
        "unique_id", "service", "account", "ds", "y", "p10", "p50", "p90", "severity", "impact", "zscore",
        "date_rank",
    ]  # fmt: skip
    assert (table["severity"] >= 50).all()
    assert (pd.to_datetime(table["ds"]) >= "2025-03-01").all()
    assert table.iloc[0]["ds"] == "2025-03-14"
    assert "wrote" in capsys.readouterr().out
    assert main(["anomalies", str(source), "-o", str(out), "--quantiles", "0.1,0.5,0.9"]) == 2


def test_cli_says_when_the_history_is_too_short_to_judge(tmp_path, long_frame, capsys):
    source = tmp_path / "short.parquet"
    long_frame({"a": weekly(13)}).to_parquet(source)
    out = tmp_path / "flags.parquet"
    assert main(["anomalies", str(source), "-o", str(out)]) == 0
    assert "judged after 18 periods of history; the longest series has 13" in capsys.readouterr().out
    assert pd.read_parquet(out).empty


def test_on_the_sample_bills_the_injected_spike_ranks_first_and_alerts_are_rare(
    tmp_path, sample_bills_dir, capsys
):
    """``forecast anomalies data/bills/cur2``: the Lambda spike is row 1 and at most 1 % is flagged."""
    truth = json.loads((sample_bills_dir / "truth.json").read_text())["anomaly"]
    out = tmp_path / "a.csv"
    assert main(["anomalies", str(sample_bills_dir / "cur2"), "-o", str(out), "-q"]) == 0
    table = pd.read_csv(out, dtype={"account": str})
    top = table.iloc[0]
    assert (top["service"], top["account"], top["ds"]) == (truth["service"], truth["account"], truth["date"])
    assert top["date_rank"] == 1
    # forecast prepare makes 33 series and 17,105 series-days of the sample bills.
    assert 0 < len(table) <= 0.01 * 17_105
    by_date = pd.read_csv(tmp_path / "a_by_date.csv", dtype={"value": str})
    first = by_date[by_date["date_rank"] == 1]
    assert first.set_index("dimension")["value"].to_dict() == {
        "service": truth["service"],
        "account": truth["account"],
    }
    np.testing.assert_allclose(first["share"], 1.0)
    assert capsys.readouterr().out == ""


def test_impact_analysis_splits_a_date_by_dimension_value():
    anomalies = pd.DataFrame(
        {
            "unique_id": ["ec2|a", "s3|a", "ec2|b", "s3|a"],
            "service": ["ec2", "s3", "ec2", "s3"],
            "account": ["a", "a", "b", "a"],
            "ds": pd.to_datetime(["2025-03-14", "2025-03-14", "2025-03-14", "2025-03-20"]),
            "impact": [60.0, -20.0, 20.0, 5.0],
            "severity": [90.0, 40.0, 50.0, 70.0],
            "date_rank": [1, 1, 1, 2],
        }
    )
    table = impact_analysis(anomalies)
    day = table[table["date_rank"] == 1]
    assert day[["dimension", "value"]].values.tolist() == [
        ["service", "ec2"], ["service", "s3"], ["account", "a"], ["account", "b"],
    ]  # fmt: skip
    np.testing.assert_allclose(day["share"], [0.8, 0.2, 0.8, 0.2])  # of |60| + |-20| + |20| = 100
    np.testing.assert_allclose(day["value_impact"], [80.0, -20.0, 40.0, 20.0])
    assert (day["impact"] == 60.0).all()
    assert (day["severity"] == 90.0).all()
    assert (day["series"] == 3).all()
    assert len(impact_analysis(anomalies, top=1)) == 4  # one value per dimension and date
    assert impact_analysis(anomalies, dimensions=["unique_id"])["value"].tolist()[:3] == [
        "ec2|a",
        "ec2|b",  # ties keep the values' order
        "s3|a",
    ]
    with pytest.raises(DataError, match="no column"):
        impact_analysis(anomalies, dimensions=["region"])


def test_sub_dollar_amounts_print_with_four_significant_digits(tmp_path, long_frame, capsys):
    """A $0.0333/day key-management fee that jumps to $0.1998 reads so, not 0.03 and 0.20."""
    y = np.full(100, 0.0333)
    y[80] = 0.1998
    source = tmp_path / "kms.parquet"
    long_frame({"kms": y}).to_parquet(source)
    assert main(["anomalies", str(source), "-o", str(tmp_path / "a.parquet")]) == 0
    printed = capsys.readouterr().out
    assert "0.1998" in printed
    assert "0.0333" in printed
    assert "+0.1665" in printed  # the by-date line
    assert "0.00 " not in printed


def test_the_anomaly_chart_labels_the_worst_period_with_significant_digits(long_frame):
    from forecasting.plots import anomaly_chart

    y = np.full(100, 0.0333)
    y[60] = 0.1998
    history = long_frame({"kms": y})
    fig = anomaly_chart(history, detect_anomalies(history))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["0.1998 vs 0.0333 expected (+0.1665 USD)"]
    fig.canvas.draw()  # ticks are labelled when drawn
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert len(set(ticks)) == len(ticks) > 2  # a 0-0.2 axis does not read 0.00, 0.05, 0.10, 0.10


def test_cli_refuses_an_output_it_cannot_write(tmp_path, bill_series, capsys):
    source = tmp_path / "series.parquet"
    bill_series.to_parquet(source)
    assert main(["anomalies", str(source), "-o", str(tmp_path / "a.xlsx")]) == 2
    assert "-o/--output: cannot write" in capsys.readouterr().err
    for flag, value, message in (
        ("--threshold", "0", "positive z-score"),
        ("--min-impact", "-5", "0 or more"),
    ):
        assert main(["anomalies", str(source), "-o", str(tmp_path / "a.csv"), flag, value]) == 2
        assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [source]
