"""Cost measures: which cost of a line item a series adds up (unblended, amortized, billed, ...).

Amortization follows the FinOps Foundation CUR-to-FOCUS conversion rules for ``EffectiveCost``: Savings
Plan covered usage costs its Savings Plan effective cost, the recurring Savings Plan fee only its unused
commitment, negations and upfront fees nothing, reserved (discounted) usage its reservation effective
cost, the RI fee its unused part, and RI upfront fees nothing; everything else its unblended cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from forecasting.billing.formats import MONEY, Col, Columns, ExportFormat
from forecasting.billing.schema import sql_str
from forecasting.errors import DataError

__all__ = ["MEASURES", "MeasureSQL", "measure_sql", "check_measure"]

MEASURES: dict[str, str] = {
    "unblended": "unblended cost, as charged at the time of usage (FOCUS: BilledCost)",
    "net_unblended": "unblended cost after discounts (CUR lineItem/NetUnblendedCost; FOCUS: BilledCost)",
    "amortized": "amortized cost: commitments spread over the usage they cover (FOCUS: EffectiveCost)",
    "effective": "same as amortized (the FOCUS name)",
    "billed": "invoiced cost: net unblended when present, else unblended (FOCUS: BilledCost)",
}
ZERO = f"CAST(0 AS {MONEY})"


@dataclass(frozen=True)
class MeasureSQL:
    """How one measure reads in one format.

    Attributes:
        expression: SQL giving the line item's cost as ``DECIMAL(38, 12)``.
        columns: Every cost column the expression reads (checked for unparseable values).
        required: Columns every part must have.
        needs: Line item type -> columns whose values that type's cost comes from; a part with rows of the
            type but without the columns cannot be measured.
        label: What is summed, for the report (e.g. ``lineItem/UnblendedCost``).
    """

    expression: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    needs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    label: str = ""


def check_measure(measure: str) -> str:
    """Validate a measure name and return it.

    Raises:
        DataError: Unknown name, listing the known ones.
    """
    if measure not in MEASURES:
        raise DataError(f"unknown measure {measure!r}. Fix: use one of {', '.join(MEASURES)}.")
    return measure


def _cur_amortized(fmt: ExportFormat, cols: Columns, charge_type: str) -> MeasureSQL:
    c = fmt.costs
    m = cols.money

    def when(kind: str, value: str) -> str:
        return f"WHEN {charge_type} = {sql_str(kind)} THEN {value}"

    ri_arn = c["ri_arn"]
    fee_of_reservation = (
        f"WHEN {charge_type} = 'Fee' AND COALESCE({cols.text(Col(ri_arn))}, '') <> '' THEN {ZERO}"
        if ri_arn in cols.types
        else ""
    )
    expression = f"""CASE
        {when("SavingsPlanCoveredUsage", m(c["sp_effective"]))}
        {when("SavingsPlanRecurringFee", f"COALESCE({m(c['sp_total_commitment'])}, {ZERO}) - "
                                         f"COALESCE({m(c['sp_used_commitment'])}, {ZERO})")}
        {when("SavingsPlanNegation", ZERO)}
        {when("SavingsPlanUpfrontFee", ZERO)}
        {when("DiscountedUsage", m(c["ri_effective"]))}
        {when("RIFee", f"COALESCE({m(c['ri_unused_upfront'])}, {ZERO}) + "
                       f"COALESCE({m(c['ri_unused_recurring'])}, {ZERO})")}
        {fee_of_reservation}
        ELSE {m(c["unblended"])}
    END"""  # fmt: skip
    names = ("unblended", "sp_effective", "sp_total_commitment", "sp_used_commitment", "ri_effective",
             "ri_unused_upfront", "ri_unused_recurring")  # fmt: skip
    needs = {
        "SavingsPlanCoveredUsage": (c["sp_effective"],),
        "SavingsPlanRecurringFee": (c["sp_total_commitment"], c["sp_used_commitment"]),
        "DiscountedUsage": (c["ri_effective"],),
        "RIFee": (c["ri_unused_upfront"], c["ri_unused_recurring"]),
    }
    label = "amortized per the CUR-to-FOCUS EffectiveCost rule"
    return MeasureSQL(expression, tuple(c[n] for n in names), (c["unblended"],), needs, label)


def measure_sql(fmt: ExportFormat, measure: str, cols: Columns, charge_type: str) -> MeasureSQL:
    """The SQL of ``measure`` for a part in format ``fmt`` with columns ``cols``.

    Args:
        fmt: The export format.
        measure: One of :data:`MEASURES`.
        cols: The part's columns.
        charge_type: SQL of the line item's charge type (the amortization rule depends on it).
    """
    check_measure(measure)
    c = fmt.costs
    if "billed" in c:  # FOCUS: two cost columns carry every measure
        column = c["effective"] if measure in ("amortized", "effective") else c["billed"]
        return MeasureSQL(cols.money(column), (column,), (column,), label=column)
    if measure == "unblended":
        return MeasureSQL(
            cols.money(c["unblended"]), (c["unblended"],), (c["unblended"],), label=c["unblended"]
        )
    if measure == "net_unblended":
        net = c["net_unblended"]
        return MeasureSQL(cols.money(net), (net,), (net,), label=net)
    if measure == "billed":
        expr = f"COALESCE({cols.money(c['net_unblended'])}, {cols.money(c['unblended'])})"
        label = f"{c['net_unblended']} when present, else {c['unblended']}"
        return MeasureSQL(expr, (c["net_unblended"], c["unblended"]), (c["unblended"],), label=label)
    return _cur_amortized(fmt, cols, charge_type)
