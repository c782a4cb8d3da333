"""Charge types: which line items a cost series adds up, with documented defaults.

A charge type is the CUR line item type (``Usage``, ``DiscountedUsage``, ``SavingsPlanCoveredUsage``,
``Tax``, ``Credit``, ``Refund``, ``Fee``, ``RIFee``, ``SavingsPlanRecurringFee``, ...) or the FOCUS charge
category (``Usage``, ``Purchase``, ``Tax``, ``Credit``, ``Adjustment``). CUR types also belong to a FOCUS
category per the CUR-to-FOCUS rules (``Fee``, ``RIFee`` and Savings Plan fees are ``Purchase``; discounts
and negations are ``Usage``), and a pattern matches a line item when it matches either name, so
``--exclude-charges Purchase`` works on both formats. Patterns are case-insensitive globs
(``SavingsPlan*``).

Default (``usage``): every charge except ``Tax``, ``Credit``, ``Refund`` and ``Adjustment``. Forecasts
then follow the run rate of what is consumed, including discounts, Savings Plan and RI fees and support
fees, while tax, promotional credits and refunds (one-off or set by contract, not by usage) are left out
and reported. ``all`` sums every line item, as a plain "total bill" does.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

from forecasting.errors import DataError

__all__ = ["CHARGE_CATEGORY", "DEFAULT_EXCLUDED", "ChargeSelection", "charge_category", "parse_patterns"]

# lineItem/LineItemType -> FOCUS ChargeCategory, from the CUR-to-FOCUS rules; FOCUS 1.0 adds "Credit".
CHARGE_CATEGORY: dict[str, str] = {
    "Usage": "Usage", "DiscountedUsage": "Usage", "SavingsPlanCoveredUsage": "Usage",
    "SavingsPlanNegation": "Usage", "BundledDiscount": "Usage", "Discount": "Usage",
    "PrivateRateDiscount": "Usage", "EdpDiscount": "Usage", "Tax": "Tax", "Fee": "Purchase",
    "RIFee": "Purchase", "SavingsPlanUpfrontFee": "Purchase", "SavingsPlanRecurringFee": "Purchase",
    "Credit": "Credit", "Refund": "Adjustment",
}  # fmt: skip
DEFAULT_EXCLUDED: tuple[str, ...] = ("Tax", "Credit", "Refund", "Adjustment")
PRESETS = ("usage", "all")


def charge_category(charge_type: str) -> str:
    """FOCUS charge category of a CUR line item type; FOCUS categories map to themselves.

    Example:
        >>> charge_category("RIFee"), charge_category("Purchase"), charge_category("SomethingNew")
        ('Purchase', 'Purchase', 'SomethingNew')
    """
    return CHARGE_CATEGORY.get(charge_type, charge_type)


def parse_patterns(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """Split comma-separated patterns (``"Tax, SavingsPlan*"``) into a tuple, dropping blanks."""
    if text is None:
        return ()
    items = text.split(",") if isinstance(text, str) else [p for t in text for p in t.split(",")]
    return tuple(p.strip() for p in items if p.strip())


def _matches(pattern: str, charge_type: str) -> bool:
    names = {charge_type.lower(), charge_category(charge_type).lower()}
    return any(fnmatch.fnmatchcase(n, pattern.lower()) for n in names)


@dataclass(frozen=True)
class ChargeSelection:
    """Which charge types a series adds up.

    Attributes:
        charges: ``"usage"`` (default: all but tax, credits, refunds and adjustments), ``"all"``, or
            comma-separated patterns naming exactly the types to keep.
        include: Patterns added to the selection (e.g. ``("Tax",)`` on top of ``usage``).
        exclude: Patterns removed from the selection, applied last (e.g. ``("SavingsPlan*", "RIFee")``).

    Example:
        >>> sel = ChargeSelection(exclude=("SavingsPlan*",))
        >>> [sel.selects(t) for t in ("Usage", "Tax", "SavingsPlanRecurringFee", "Fee")]
        [True, False, False, True]
        >>> ChargeSelection("Usage,Fee").selects("DiscountedUsage")  # category Usage matches
        True
    """

    charges: str = "usage"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.charges.strip():
            raise DataError("empty --charges. Fix: use usage, all, or a list such as Usage,Fee.")

    def selects(self, charge_type: str) -> bool:
        """Whether line items of ``charge_type`` are summed into the series."""
        preset = self.charges.strip().lower()
        if preset == "all":
            chosen = True
        elif preset == "usage":
            chosen = not any(_matches(p, charge_type) for p in DEFAULT_EXCLUDED)
        else:
            chosen = any(_matches(p, charge_type) for p in parse_patterns(self.charges))
        chosen = chosen or any(_matches(p, charge_type) for p in self.include)
        return chosen and not any(_matches(p, charge_type) for p in self.exclude)

    def describe(self) -> str:
        """One line for the report, e.g. ``usage (all but Tax, Credit, Refund, Adjustment) minus Fee``."""
        preset = self.charges.strip().lower()
        text = {"usage": f"usage (all but {', '.join(DEFAULT_EXCLUDED)})", "all": "all"}.get(
            preset, self.charges
        )
        if self.include:
            text += f" plus {', '.join(self.include)}"
        if self.exclude:
            text += f" minus {', '.join(self.exclude)}"
        return text
