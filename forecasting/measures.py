"""Cost measures: which cost of a line item a series adds up (unblended, amortized, billed, blended, ...).

Amortization follows the FinOps Foundation CUR-to-FOCUS conversion rules for ``EffectiveCost``: Savings
Plan covered usage costs its Savings Plan effective cost, the recurring Savings Plan fee only its unused
commitment, negations and upfront fees nothing, reserved (discounted) usage its reservation effective
cost, the RI fee its unused part, and RI upfront fees nothing; everything else its unblended cost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from costrec.suggest import did_you_mean
from forecasting.billing.formats import MONEY, Col, Columns, ExportFormat, quote
from forecasting.billing.schema import sql_str
from forecasting.errors import DataError
from forecasting.options import MEASURES

__all__ = ["MEASURES", "FOCUS_COLUMNS", "MeasureSQL", "measure_sql", "check_measure", "PICO", "float_money"]

# The FOCUS column each measure reads: FOCUS has two costs an invoice adds up (and no blended cost).
FOCUS_COLUMNS: dict[str, str] = {
    "unblended": "billed", "net_unblended": "billed", "billed": "billed",
    "amortized": "effective", "effective": "effective",
}  # fmt: skip
ZERO = f"CAST(0 AS {MONEY})"
PICO = 10**12  # integer amounts are in 1e-12 units, the precision of DECIMAL(38, 12)
_FLOATS = ("DOUBLE", "FLOAT", "REAL", "FLOAT4", "FLOAT8")


def float_money(cols: Columns, names: tuple[str, ...]) -> bool:
    """Whether every cost column of ``names`` present in ``cols`` holds binary floats (``DOUBLE``/``FLOAT``).

    Their amounts can then be read as ``BIGINT`` multiples of 1e-12 (``pico=True`` in :func:`measure_sql`):
    the same value as a ``DECIMAL(38, 12)`` cast, at a fraction of its cost, as long as each line item is
    below 9.2 million (beyond, DuckDB raises a conversion error and the caller reads decimals instead).
    """
    present = [cols.types[n].upper() for n in names if n in cols.types]
    return bool(present) and all(t in _FLOATS for t in present)


def _pico_money(cols: Columns) -> Callable[[str | None], str]:
    def money(name: str | None) -> str:
        return "NULL" if name is None or name not in cols.types else f"CAST({quote(name)} * 1e12 AS BIGINT)"

    return money


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
        meant = did_you_mean(str(measure), MEASURES, listed=0)  # the fix below lists them all
        raise DataError(f"unknown measure {measure!r}.{meant} Fix: use one of {', '.join(MEASURES)}.")
    return measure


def _cur_amortized(
    fmt: ExportFormat, cols: Columns, charge_type: str, m: Callable[[str | None], str], zero: str
) -> MeasureSQL:
    c = fmt.costs

    def when(kind: str, value: str) -> str:
        return f"WHEN {charge_type} = {sql_str(kind)} THEN {value}"

    ri_arn = c["ri_arn"]
    fee_of_reservation = (
        f"WHEN {charge_type} = 'Fee' AND COALESCE({cols.text(Col(ri_arn))}, '') <> '' THEN {zero}"
        if ri_arn in cols.types
        else ""
    )
    expression = f"""CASE
        {when("SavingsPlanCoveredUsage", m(c["sp_effective"]))}
        {when("SavingsPlanRecurringFee", f"COALESCE({m(c['sp_total_commitment'])}, {zero}) - "
                                         f"COALESCE({m(c['sp_used_commitment'])}, {zero})")}
        {when("SavingsPlanNegation", zero)}
        {when("SavingsPlanUpfrontFee", zero)}
        {when("DiscountedUsage", m(c["ri_effective"]))}
        {when("RIFee", f"COALESCE({m(c['ri_unused_upfront'])}, {zero}) + "
                       f"COALESCE({m(c['ri_unused_recurring'])}, {zero})")}
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


def measure_sql(
    fmt: ExportFormat, measure: str, cols: Columns, charge_type: str, *, pico: bool = False
) -> MeasureSQL:
    """The SQL of ``measure`` for a part in format ``fmt`` with columns ``cols``.

    Args:
        fmt: The export format.
        measure: One of :data:`MEASURES`.
        cols: The part's columns.
        charge_type: SQL of the line item's charge type (the amortization rule depends on it).
        pico: Give the cost as ``BIGINT`` multiples of 1e-12 instead of ``DECIMAL(38, 12)``; only for float
            cost columns (see :func:`float_money`).
    """
    check_measure(measure)
    c = fmt.costs
    money = _pico_money(cols) if pico else cols.money
    zero = "CAST(0 AS BIGINT)" if pico else ZERO
    if "billed" in c:  # FOCUS: two cost columns carry every measure but blended
        if measure not in FOCUS_COLUMNS:
            offered = "; ".join(
                f"{', '.join(m for m, k in FOCUS_COLUMNS.items() if k == key)} ({c[key]})"
                for key in dict.fromkeys(FOCUS_COLUMNS.values())
            )
            raise DataError(
                f"--measure {measure}: a {fmt.label} export has no {measure} cost (FOCUS defines none). "
                f"Fix: use a measure FOCUS offers: {offered}."
            )
        column = c[FOCUS_COLUMNS[measure]]
        return MeasureSQL(money(column), (column,), (column,), label=column)
    if measure == "unblended":
        return MeasureSQL(money(c["unblended"]), (c["unblended"],), (c["unblended"],), label=c["unblended"])
    if measure in ("net_unblended", "blended"):
        # Blended: what AWS Organizations bills each account at the organization's average rate. It
        # reconciles like the others (the series add up to the sum of the column); only the rate differs.
        column = c[measure]
        return MeasureSQL(money(column), (column,), (column,), label=column)
    if measure == "billed":
        expr = f"COALESCE({money(c['net_unblended'])}, {money(c['unblended'])})"
        label = f"{c['net_unblended']} when present, else {c['unblended']}"
        return MeasureSQL(expr, (c["net_unblended"], c["unblended"]), (c["unblended"],), label=label)
    return _cur_amortized(fmt, cols, charge_type, money, zero)
