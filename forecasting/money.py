"""Money as text: enough significant digits that a sub-dollar cost never prints as 0.00."""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["SIGNIFICANT_DIGITS", "format_money", "tick_decimals"]

# Four significant digits keep a $0.0333/day key-management fee readable next to a $5,133 instance bill,
# without printing float noise (0.033299999).
SIGNIFICANT_DIGITS = 4


def format_money(value: float, *, significant: int = SIGNIFICANT_DIGITS, sign: bool = False) -> str:
    """An amount with thousands separators, cents, and more decimals only where cents would hide it.

    At least two decimals, and as many more as ``significant`` digits need; trailing zeros beyond the
    cents are dropped. Amounts of 1,000 and more keep their cents, so they show more than
    ``significant`` digits, never fewer.

    Args:
        value: The amount.
        significant: Significant digits to show at least (for amounts below 10**(significant - 2)).
        sign: Prefix positive amounts with ``+`` (for deviations such as an anomaly's impact).

    Returns:
        The text; ``nan`` and ``inf`` as Python prints them.

    Example:
        >>> [format_money(v) for v in (0.0333, 0.033333, 1.5, 29.059352, 174356.1, 0.0, -0.000412)]
        ['0.0333', '0.03333', '1.50', '29.06', '174,356.10', '0.00', '-0.000412']
        >>> format_money(143.492627, sign=True), format_money(-0.05, sign=True)
        ('+143.49', '-0.05')
    """
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0.00"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(2, significant - 1 - magnitude)
    text = f"{value:{'+' if sign else ''},.{decimals}f}"
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


def tick_decimals(ticks: Iterable[float], top: float) -> int:
    """Decimals for money tick labels: whole units from 100, cents below 10, and more where ticks need.

    The axis range ``top`` (its largest absolute value) sets the base: 0 decimals from 100 up, one from
    10, two below. Ticks that the base would round (0.005 steps on a 0-0.05 axis) get the decimals that
    show them exactly, so two ticks never read the same.

    Example:
        >>> tick_decimals([0, 2000, 4000], 5000), tick_decimals([0, 0.5, 1.0, 1.5], 2)
        (0, 2)
        >>> tick_decimals([0.0, 0.005, 0.01, 0.015], 0.02)
        3
    """
    decimals = 0 if top >= 100 else 1 if top >= 10 else 2
    values = [float(t) for t in ticks if math.isfinite(t)]
    tolerance = 1e-9 * max(abs(top), 1e-12)
    while decimals < 10 and any(abs(round(v, decimals) - v) > tolerance for v in values):
        decimals += 1
    return decimals
