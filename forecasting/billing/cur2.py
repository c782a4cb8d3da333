"""AWS CUR 2.0 (Data Exports) and Athena-style CUR: Parquet with snake_case columns.

CUR 2.0 keeps product attributes and tags in ``product`` and ``resource_tags`` map columns; exports made
to match the legacy schema (and the Athena integration of legacy CUR) flatten them into columns such as
``product_product_name`` and ``resource_tags_user_team``. Both layouts are read.
"""

from __future__ import annotations

from forecasting.billing.formats import Col, Const, ExportFormat, MapKey, Source, athena_name

__all__ = ["CUR2"]


def _tag(key: str) -> tuple[Source, ...]:
    name = athena_name(key)
    return (
        Col(f"resource_tags_user_{name}"),
        MapKey("resource_tags", f"user_{name}"),
        MapKey("resource_tags", f"user:{key}"),
        MapKey("resource_tags", key),
    )


CUR2 = ExportFormat(
    name="cur2",
    label="AWS CUR 2.0",
    signature=("line_item_usage_start_date", "line_item_line_item_type"),
    start=(Col("line_item_usage_start_date"),),
    end=(Col("line_item_usage_end_date"),),
    charge_type=(Col("line_item_line_item_type"),),
    currency=(Col("line_item_currency_code"),),
    dimensions={
        "service": (
            Col("product_product_name"),
            MapKey("product", "product_name"),
            Col("line_item_product_code"),
        ),
        "account": (Col("line_item_usage_account_id"),),
        "account_name": (Col("line_item_usage_account_name"),),
        "payer": (Col("bill_payer_account_id"),),
        "region": (
            Col("product_region_code"),
            MapKey("product", "region_code"),
            MapKey("product", "region"),
            Col("product_region"),
        ),  # fmt: skip
        "usage_type": (Col("line_item_usage_type"),),
        "operation": (Col("line_item_operation"),),
        "product_code": (Col("line_item_product_code"),),
        "charge_type": (Col("line_item_line_item_type"),),
        "availability_zone": (Col("line_item_availability_zone"),),
        "resource": (Col("line_item_resource_id"),),
        "provider": (Const("AWS"),),
    },
    tag=_tag,
    costs={
        "unblended": "line_item_unblended_cost",
        "blended": "line_item_blended_cost",
        "net_unblended": "line_item_net_unblended_cost",
        "sp_effective": "savings_plan_savings_plan_effective_cost",
        "sp_total_commitment": "savings_plan_total_commitment_to_date",
        "sp_used_commitment": "savings_plan_used_commitment",
        "ri_effective": "reservation_effective_cost",
        "ri_unused_upfront": "reservation_unused_amortized_upfront_fee_for_billing_period",
        "ri_unused_recurring": "reservation_unused_recurring_fee",
        "ri_arn": "reservation_reservation_a_r_n",
    },
)
