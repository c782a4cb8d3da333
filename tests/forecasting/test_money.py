"""Money as text: significant digits for sub-dollar amounts, cents for the rest, distinct tick labels."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.money import format_money, tick_decimals


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0333, "0.0333"),
        (0.03333333, "0.03333"),
        (0.000412, "0.000412"),
        (0.5, "0.50"),
        (1.5, "1.50"),
        (12.3456, "12.35"),
        (5133.0, "5,133.00"),
        (-1234567.891, "-1,234,567.89"),
        (0.0, "0.00"),
        (0.099996, "0.10"),  # rounding up a digit drops the trailing zeros, never the cents
        (float("nan"), "nan"),
    ],
)
def test_format_money_known_answers(value, text):
    assert format_money(value) == text


def test_format_money_keeps_four_significant_digits_and_at_least_the_cents():
    rng = np.random.default_rng(0)
    values = np.concatenate([10.0 ** rng.uniform(-6, 7, 500), -(10.0 ** rng.uniform(-6, 7, 500))])
    for value in values:
        text = format_money(value)
        back = float(text.replace(",", ""))
        assert abs(back - value) <= max(5e-4 * abs(value), 0.005 + 1e-12), (value, text)
        decimals = len(text.split(".")[1])
        assert decimals >= 2


def test_format_money_signs_deviations():
    assert format_money(0.1665, sign=True) == "+0.1665"
    assert format_money(-143.49, sign=True) == "-143.49"
    assert format_money(0.0, sign=True) == "0.00"


def test_tick_decimals_label_every_tick_distinctly():
    for step in (0.0005, 0.001, 0.0025, 0.005, 0.02, 0.025, 0.25, 2.5, 25.0, 250.0):
        ticks = [k * step for k in range(6)]
        decimals = tick_decimals(ticks, ticks[-1])
        labels = [f"{t:,.{decimals}f}" for t in ticks]
        assert len(set(labels)) == len(labels), (step, labels)
    assert tick_decimals([0, 2000, 4000], 5000) == 0
    assert tick_decimals([0, 20, 40], 50) == 1
