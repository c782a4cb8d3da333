"""Legacy AWS Cost and Usage Report (CUR): CSV or CSV.gz with ``lineItem/UsageStartDate`` style columns."""

from __future__ import annotations

from forecasting.billing.formats import Col, Const, ExportFormat, Source

__all__ = ["CUR_LEGACY"]


def _tag(key: str) -> tuple[Source, ...]:
    # User-defined cost allocation tags are "resourceTags/user:<key>", AWS ones "resourceTags/aws:<key>".
    return (Col(f"resourceTags/user:{key}"), Col(f"resourceTags/{key}"))


CUR_LEGACY = ExportFormat(
    name="cur_legacy",
    label="legacy AWS CUR",
    signature=("lineItem/UsageStartDate", "lineItem/LineItemType"),
    start=(Col("lineItem/UsageStartDate"),),
    end=(Col("lineItem/UsageEndDate"),),
    charge_type=(Col("lineItem/LineItemType"),),
    currency=(Col("lineItem/CurrencyCode"),),
    dimensions={
        "service": (Col("product/ProductName"), Col("lineItem/ProductCode")),
        "account": (Col("lineItem/UsageAccountId"),),
        "payer": (Col("bill/PayerAccountId"),),
        "region": (Col("product/regionCode"), Col("product/region")),
        "usage_type": (Col("lineItem/UsageType"),),
        "operation": (Col("lineItem/Operation"),),
        "product_code": (Col("lineItem/ProductCode"),),
        "charge_type": (Col("lineItem/LineItemType"),),
        "availability_zone": (Col("lineItem/AvailabilityZone"),),
        "resource": (Col("lineItem/ResourceId"),),
        "provider": (Const("AWS"),),
    },
    tag=_tag,
    costs={
        "unblended": "lineItem/UnblendedCost",
        "blended": "lineItem/BlendedCost",
        "net_unblended": "lineItem/NetUnblendedCost",
        "sp_effective": "savingsPlan/SavingsPlanEffectiveCost",
        "sp_total_commitment": "savingsPlan/TotalCommitmentToDate",
        "sp_used_commitment": "savingsPlan/UsedCommitment",
        "ri_effective": "reservation/EffectiveCost",
        "ri_unused_upfront": "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
        "ri_unused_recurring": "reservation/UnusedRecurringFee",
        "ri_arn": "reservation/ReservationARN",
    },
)
