"""FinOps FOCUS 1.x exports (CSV or Parquet): ``ChargePeriodStart``, ``BilledCost``, ``EffectiveCost``, ...

FOCUS has no unblended cost: ``BilledCost`` is what is invoiced (the CUR-to-FOCUS rules derive it from the
net unblended cost, else the unblended cost) and ``EffectiveCost`` is the amortized cost. AWS adds ``x_``
columns (``x_UsageType``, ``x_Operation``, ``x_ServiceCode``) that serve the usage type and operation
dimensions. Tags are a JSON object in ``Tags``.
"""

from __future__ import annotations

from forecasting.billing.formats import Col, ExportFormat, JsonKey, Source

__all__ = ["FOCUS"]


def _tag(key: str) -> tuple[Source, ...]:
    return (JsonKey("Tags", key),)


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
        "provider": (Col("ProviderName"), Col("Provider")),
        "service_category": (Col("ServiceCategory"),),
    },
    tag=_tag,
    costs={"billed": "BilledCost", "effective": "EffectiveCost", "list": "ListCost"},
)
