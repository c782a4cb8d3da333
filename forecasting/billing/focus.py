"""FinOps FOCUS 1.0 to 1.3 exports (CSV or Parquet): ``ChargePeriodStart``, ``BilledCost``, ...

FOCUS has no unblended (or blended) cost: ``BilledCost`` is what is invoiced (the CUR-to-FOCUS rules
derive it from the net unblended cost, else the unblended cost) and ``EffectiveCost`` is the amortized
cost. AWS adds ``x_`` columns (``x_UsageType``, ``x_Operation``, ``x_ServiceCode``) that serve the usage
type and operation dimensions. Tags are a JSON object in ``Tags`` (text in CSV; a map column in some
Parquet exports, such as AWS Data Exports).

The versions read to the same series: the columns a line item's time, charge category, currency, costs
and usual dimensions come from exist in every version. What differs is told apart by
:func:`focus_version`, from the columns each version adds (FOCUS specification, "Introduced (version)"
of every column): 1.1 capacity reservations, commitment quantities, ``ServiceSubcategory`` and the SKU
meter and price details; 1.2 ``BillingAccountType``, ``SubAccountType``, ``InvoiceId`` and the pricing
currency columns; 1.3 (ratified December 2025) ``ServiceProviderName`` and ``HostProviderName``, which
replace the deprecated ``ProviderName`` and ``PublisherName``, the allocation columns and
``ContractApplied``. The ``provider`` dimension reads ``ServiceProviderName`` where it exists, else
``ProviderName``.
"""

from __future__ import annotations

from collections.abc import Collection

from forecasting.billing.formats import Col, ExportFormat, JsonKey, MapKey, Source

__all__ = ["FOCUS", "FOCUS_ADDED_COLUMNS", "focus_version", "version_key"]

# Columns each version adds to the one before (1.0 is the first ratified version).
FOCUS_ADDED_COLUMNS: dict[str, frozenset[str]] = {
    "1.1": frozenset({
        "CapacityReservationId", "CapacityReservationStatus", "CommitmentDiscountQuantity",
        "CommitmentDiscountUnit", "ServiceSubcategory", "SkuMeter", "SkuPriceDetails",
    }),
    "1.2": frozenset({
        "BillingAccountType", "SubAccountType", "InvoiceId", "PricingCurrency",
        "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost", "PricingCurrencyListUnitPrice",
    }),
    "1.3": frozenset({
        "ServiceProviderName", "HostProviderName", "AllocatedMethodId", "AllocatedMethodDetails",
        "AllocatedResourceId", "AllocatedResourceName", "AllocatedTags", "ContractApplied",
    }),
}  # fmt: skip


def version_key(version: str) -> tuple[int, ...]:
    """Sort key of a version number (``"1.10"`` after ``"1.9"``).

    Example:
        >>> sorted(["1.10", "1.2", "1.0"], key=version_key)
        ['1.0', '1.2', '1.10']
    """
    return tuple(int(part) for part in version.split("."))


def focus_version(columns: Collection[str]) -> str:
    """The newest FOCUS version some of whose own columns are present (``"1.0"`` when none is).

    An export may leave out the columns that do not apply to its charges, so any one column of a
    version is taken as the sign of it.

    Example:
        >>> focus_version(["ChargePeriodStart", "ChargeCategory", "BilledCost", "ProviderName"])
        '1.0'
        >>> focus_version(["ChargePeriodStart", "SkuMeter", "InvoiceId"])
        '1.2'
        >>> focus_version(["ChargePeriodStart", "ServiceProviderName"])
        '1.3'
    """
    present = set(columns)
    found = [version for version, added in FOCUS_ADDED_COLUMNS.items() if added & present]
    return max(found, key=version_key, default="1.0")


def _tag(key: str) -> tuple[Source, ...]:
    return (JsonKey("Tags", key), MapKey("Tags", key))


FOCUS = ExportFormat(
    name="focus",
    label="FOCUS",
    signature=("ChargePeriodStart", "ChargeCategory"),
    start=(Col("ChargePeriodStart"),),
    end=(Col("ChargePeriodEnd"),),
    charge_type=(Col("ChargeCategory"),),
    currency=(Col("BillingCurrency"),),
    dimensions={
        "service": (Col("ServiceName"),),
        "account": (Col("SubAccountId"),),
        "account_name": (Col("SubAccountName"),),
        "payer": (Col("BillingAccountId"),),
        "region": (Col("RegionId"), Col("Region")),
        "usage_type": (Col("x_UsageType"),),
        "operation": (Col("x_Operation"),),
        "product_code": (Col("x_ServiceCode"),),
        "charge_type": (Col("ChargeCategory"),),
        "availability_zone": (Col("AvailabilityZone"),),
        "resource": (Col("ResourceId"),),
        # 1.3 replaces ProviderName (kept as a fallback); "Provider" is its display name in the specification.
        "provider": (Col("ServiceProviderName"), Col("ProviderName"), Col("Provider")),
        "service_category": (Col("ServiceCategory"),),
    },
    tag=_tag,
    costs={"billed": "BilledCost", "effective": "EffectiveCost", "list": "ListCost"},
)
