"""Write canonical line items as real AWS exports: CUR 2.0 Parquet, legacy CUR CSV and FOCUS 1.0 CSV.

The three writers carry the same costs. FOCUS columns are derived with the FinOps Foundation CUR-to-FOCUS
conversion rules (``BilledCost`` from the unblended cost, ``EffectiveCost`` from the Savings Plan and
reservation columns, ``ChargeCategory`` from the line item type), so a reader that follows the same rules
gets identical series from each format. Output bytes depend only on the input frame: Parquet is written
without pandas metadata and with fixed settings, CSV values are formatted here, and gzip comes from
pyarrow's bundled zlib with a zero timestamp.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from forecasting.charges import charge_category

__all__ = [
    "LINE_ITEM_COLUMNS",
    "write_cur2",
    "write_cur_legacy_csv",
    "write_focus_csv",
    "cur2_table",
    "effective_cost",
    "focus_charge_category",
]

# Canonical line items (one row per CUR line item); money in dollars, times naive UTC.
LINE_ITEM_COLUMNS: tuple[str, ...] = (
    "usage_start", "usage_end", "account_id", "payer_account_id", "line_item_type", "product_code",
    "product_name", "service_category", "region", "usage_type", "operation", "pricing_unit", "usage_amount",
    "unblended_rate", "unblended_cost", "currency", "legal_entity", "sp_arn", "sp_effective_cost", "sp_rate",
    "sp_total_commitment", "sp_used_commitment", "tag_team", "tag_env",
)  # fmt: skip

EXPORT_NAME = "costrec-demo"
REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "eu-west-1": "Europe (Ireland)",
                "ca-central-1": "Canada (Central)"}  # fmt: skip
CHARGE_FREQUENCY = {"Usage": "Usage-Based", "Purchase": "Recurring", "Tax": "Recurring",
                    "Credit": "One-Time", "Adjustment": "One-Time"}  # fmt: skip


def effective_cost(items: pd.DataFrame) -> np.ndarray:
    """Amortized cost (FOCUS ``EffectiveCost``) per line item, by the CUR-to-FOCUS ``EffectiveCost`` rule."""
    kind = items["line_item_type"].to_numpy()
    unblended = items["unblended_cost"].to_numpy(dtype=float)
    sp_eff = items["sp_effective_cost"].to_numpy(dtype=float)
    total, used = items["sp_total_commitment"], items["sp_used_commitment"]
    unused = total.to_numpy(dtype=float) - used.to_numpy(dtype=float)
    out = np.select(
        [kind == "SavingsPlanCoveredUsage", kind == "SavingsPlanRecurringFee",
         np.isin(kind, ["SavingsPlanNegation", "SavingsPlanUpfrontFee"])],
        [sp_eff, unused, 0.0],
        unblended,
    )  # fmt: skip
    return np.round(out, 6)


def focus_charge_category(line_item_type: pd.Series) -> pd.Series:
    """FOCUS ``ChargeCategory`` of CUR line item types (per the CUR-to-FOCUS rules)."""
    return line_item_type.map(charge_category)


def _money_text(x: pd.Series) -> pd.Series:
    # Plain decimals with at most six places ("12.5", "-0.013", "0"), never exponent notation; empty for NaN.
    values = x.to_numpy(dtype=float)
    micro = np.rint(np.nan_to_num(values) * 1e6).astype(np.int64)
    whole, frac = np.divmod(np.abs(micro), 1_000_000)
    text = np.char.add(np.where(micro < 0, "-", ""), whole.astype(str))
    frac_text = np.char.rstrip(np.char.zfill(frac.astype(str), 6), "0")
    text = np.where(frac > 0, np.char.add(np.char.add(text, "."), frac_text), text)
    return pd.Series(np.where(np.isnan(values), "", text).astype(object), index=x.index, dtype=object)


def _time_text(x: pd.Series, fmt: str) -> pd.Series:
    # Only the two ISO layouts CUR and FOCUS use; numpy formats them much faster than strftime.
    text = np.datetime_as_string(x.to_numpy(dtype="datetime64[s]"), unit="s")
    suffix = {"%Y-%m-%dT%H:%M:%SZ": "Z", "%Y-%m-%dT%H:%M:%S.000Z": ".000Z"}[fmt]
    return pd.Series(np.char.add(text, suffix).astype(object), index=x.index, dtype=object)


def _interval(items: pd.DataFrame) -> pd.Series:
    iso = "%Y-%m-%dT%H:%M:%SZ"
    return _time_text(items["usage_start"], iso) + "/" + _time_text(items["usage_end"], iso)


def _billing_period(items: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    start = items["usage_start"].dt.to_period("M").dt.start_time
    return start, start + pd.offsets.MonthBegin(1)


def _description(items: pd.DataFrame) -> pd.Series:
    kind = items["line_item_type"]
    rate = items["unblended_rate"].map(lambda r: f"{r:.6g}")
    usage = "$" + rate + " per " + items["pricing_unit"] + " for " + items["usage_type"]
    plan = kind.str.startswith("SavingsPlan")
    text = np.select(
        [kind == "Tax", kind == "Fee", kind == "Credit", kind == "Refund", plan],
        ["Tax for product code " + items["product_code"], items["product_name"] + " monthly fee",
         "AWS Promotional Credit", "Refund for " + items["product_name"],
         "Savings Plan " + kind.str.removeprefix("SavingsPlan") + " for " + items["usage_type"]],
        usage,
    )  # fmt: skip
    return pd.Series(text, index=items.index, dtype=object)


def _text(x: pd.Series) -> pd.Series:
    return pd.Series(x.fillna("").astype(str).to_numpy(dtype=object), index=x.index, dtype=object)


def _write_csv_gz(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    data = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    with pa.CompressedOutputStream(str(path), "gzip") as out:
        out.write(data)


def _legacy_frame(items: pd.DataFrame) -> pd.DataFrame:
    iso = "%Y-%m-%dT%H:%M:%S.000Z"
    p0, p1 = _billing_period(items)
    kind = items["line_item_type"]
    cols: dict[str, Any] = {
        "identity/TimeInterval": _interval(items),
        "bill/InvoicingEntity": _text(items["legal_entity"]),
        "bill/BillingEntity": "AWS",
        "bill/BillType": np.where(kind == "Refund", "Refund", "Anniversary"),
        "bill/PayerAccountId": _text(items["payer_account_id"]),
        "bill/BillingPeriodStartDate": _time_text(p0, iso),
        "bill/BillingPeriodEndDate": _time_text(p1, iso),
        "lineItem/UsageAccountId": _text(items["account_id"]),
        "lineItem/LineItemType": _text(kind),
        "lineItem/UsageStartDate": _time_text(items["usage_start"], iso),
        "lineItem/UsageEndDate": _time_text(items["usage_end"], iso),
        "lineItem/ProductCode": _text(items["product_code"]),
        "lineItem/UsageType": _text(items["usage_type"]),
        "lineItem/Operation": _text(items["operation"]),
        "lineItem/UsageAmount": _money_text(items["usage_amount"]),
        "lineItem/CurrencyCode": _text(items["currency"]),
        "lineItem/UnblendedRate": _money_text(items["unblended_rate"]),
        "lineItem/UnblendedCost": _money_text(items["unblended_cost"]),
        "lineItem/BlendedRate": _money_text(items["unblended_rate"]),
        "lineItem/BlendedCost": _money_text(items["unblended_cost"]),
        "lineItem/LineItemDescription": _description(items),
        "lineItem/TaxType": np.where(kind == "Tax", "VAT", ""),
        "lineItem/LegalEntity": _text(items["legal_entity"]),
        "product/ProductName": _text(items["product_name"]),
        "product/region": _text(items["region"]),
        "product/servicecode": _text(items["product_code"]),
        "pricing/publicOnDemandCost": _money_text(items["usage_amount"] * items["unblended_rate"]),
        "pricing/publicOnDemandRate": _money_text(items["unblended_rate"]),
        "pricing/term": np.where(kind == "Usage", "OnDemand", ""),
        "pricing/unit": _text(items["pricing_unit"]),
        "savingsPlan/SavingsPlanARN": _text(items["sp_arn"]),
        "savingsPlan/SavingsPlanRate": _money_text(items["sp_rate"]),
        "savingsPlan/SavingsPlanEffectiveCost": _money_text(items["sp_effective_cost"]),
        "savingsPlan/TotalCommitmentToDate": _money_text(items["sp_total_commitment"]),
        "savingsPlan/UsedCommitment": _money_text(items["sp_used_commitment"]),
        "resourceTags/user:environment": _text(items["tag_env"]),
        "resourceTags/user:team": _text(items["tag_team"]),
    }
    return pd.DataFrame(cols)


def write_cur_legacy_csv(items: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a legacy CUR CSV (``.csv.gz`` when the name ends so) with ``lineItem/...`` style columns."""
    frame = _legacy_frame(items)
    if str(path).endswith(".gz"):
        _write_csv_gz(frame, path)
    else:
        frame.to_csv(path, index=False, lineterminator="\n")
    return Path(path)


def _focus_frame(items: pd.DataFrame) -> pd.DataFrame:
    iso = "%Y-%m-%dT%H:%M:%SZ"
    p0, p1 = _billing_period(items)
    category = focus_charge_category(items["line_item_type"])
    sp = items["sp_arn"].fillna("") != ""
    covered = items["line_item_type"] == "SavingsPlanCoveredUsage"
    tags = [
        json.dumps({k: v for k, v in (("team", t), ("environment", e)) if v}) if (t or e) else ""
        for t, e in zip(items["tag_team"], items["tag_env"], strict=True)
    ]
    return pd.DataFrame(
        {
            "BilledCost": _money_text(items["unblended_cost"]),
            "BillingAccountId": _text(items["payer_account_id"]),
            "BillingAccountName": "costrec-payer",
            "BillingCurrency": _text(items["currency"]),
            "BillingPeriodEnd": _time_text(p1, iso),
            "BillingPeriodStart": _time_text(p0, iso),
            "ChargeCategory": category.to_numpy(dtype=object),
            "ChargeClass": "",
            "ChargeDescription": _description(items),
            "ChargeFrequency": category.map(CHARGE_FREQUENCY).to_numpy(dtype=object),
            "ChargePeriodEnd": _time_text(items["usage_end"], iso),
            "ChargePeriodStart": _time_text(items["usage_start"], iso),
            "CommitmentDiscountCategory": np.where(sp, "Spend", ""),
            "CommitmentDiscountId": _text(items["sp_arn"]),
            "CommitmentDiscountStatus": np.where(covered, "Used", ""),
            "CommitmentDiscountType": np.where(sp, "Savings Plan", ""),
            "ConsumedQuantity": _money_text(items["usage_amount"]),
            "ConsumedUnit": _text(items["pricing_unit"]),
            "ContractedCost": _money_text(items["unblended_cost"]),
            "EffectiveCost": _money_text(pd.Series(effective_cost(items), index=items.index)),
            "InvoiceIssuerName": _text(items["legal_entity"]),
            "ListCost": _money_text(items["usage_amount"] * items["unblended_rate"]),
            "ListUnitPrice": _money_text(items["unblended_rate"]),
            "PricingCategory": np.where(covered, "Committed", np.where(category == "Usage", "Standard", "")),
            "PricingQuantity": _money_text(items["usage_amount"]),
            "PricingUnit": _text(items["pricing_unit"]),
            "ProviderName": "AWS",
            "PublisherName": "Amazon Web Services, Inc.",
            "RegionId": _text(items["region"]),
            "RegionName": items["region"].map(REGION_NAMES).fillna("").to_numpy(dtype=object),
            "ServiceCategory": _text(items["service_category"]),
            "ServiceName": _text(items["product_name"]),
            "SubAccountId": _text(items["account_id"]),
            "SubAccountName": ("account-" + items["account_id"].str[-4:]).to_numpy(dtype=object),
            "Tags": tags,
            "x_Operation": _text(items["operation"]),
            "x_ServiceCode": _text(items["product_code"]),
            "x_UsageType": _text(items["usage_type"]),
        }
    )


def write_focus_csv(items: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a FOCUS 1.0 CSV (``.csv.gz`` when the name ends so) with AWS ``x_`` columns for usage type."""
    frame = _focus_frame(items)
    if str(path).endswith(".gz"):
        _write_csv_gz(frame, path)
    else:
        frame.to_csv(path, index=False, lineterminator="\n")
    return Path(path)


def _str_map(keys: list[str], values: list[pd.Series]) -> pa.Array:
    # Only keys with a value appear in CUR 2.0 map columns, as AWS documents.
    rows = [[(k, v) for k, v in zip(keys, vals, strict=True) if v] for vals in zip(*values, strict=True)]
    return pa.array(rows, type=pa.map_(pa.string(), pa.string()))


def cur2_table(items: pd.DataFrame) -> pa.Table:
    """CUR 2.0 (Data Exports) columns: snake_case, ``product`` and ``resource_tags`` map columns."""
    p0, p1 = _billing_period(items)
    kind = items["line_item_type"]

    def ts(x: pd.Series) -> pa.Array:
        return pa.array(x.to_numpy(dtype="datetime64[ms]"), type=pa.timestamp("ms"))

    def num(x: pd.Series) -> pa.Array:
        return pa.array(np.round(x.to_numpy(dtype=float), 6) + 0.0, type=pa.float64(), from_pandas=True)

    def txt(x: Any) -> pa.Array:
        arr = np.asarray(x, dtype=object)
        return pa.array(arr, type=pa.string(), from_pandas=True)

    columns = {
        "bill_bill_type": txt(np.where(kind == "Refund", "Refund", "Anniversary")),
        "bill_billing_entity": txt(np.full(len(items), "AWS", dtype=object)),
        "bill_billing_period_end_date": ts(p1),
        "bill_billing_period_start_date": ts(p0),
        "bill_invoicing_entity": txt(items["legal_entity"]),
        "bill_payer_account_id": txt(items["payer_account_id"]),
        "identity_time_interval": txt(_interval(items)),
        "line_item_blended_cost": num(items["unblended_cost"]),
        "line_item_currency_code": txt(items["currency"]),
        "line_item_legal_entity": txt(items["legal_entity"]),
        "line_item_line_item_description": txt(_description(items)),
        "line_item_line_item_type": txt(kind),
        "line_item_net_unblended_cost": num(items["unblended_cost"]),
        "line_item_operation": txt(items["operation"]),
        "line_item_product_code": txt(items["product_code"]),
        "line_item_unblended_cost": num(items["unblended_cost"]),
        "line_item_unblended_rate": num(items["unblended_rate"]),
        "line_item_usage_account_id": txt(items["account_id"]),
        "line_item_usage_amount": num(items["usage_amount"]),
        "line_item_usage_end_date": ts(items["usage_end"]),
        "line_item_usage_start_date": ts(items["usage_start"]),
        "line_item_usage_type": txt(items["usage_type"]),
        "pricing_public_on_demand_cost": num(items["usage_amount"] * items["unblended_rate"]),
        "pricing_unit": txt(items["pricing_unit"]),
        "product": _str_map(["product_name", "region", "servicecode"],
                            [items["product_name"], items["region"], items["product_code"]]),
        # A backwards-compatible export (SELECT product.product_name AS product_product_name) has this too.
        "product_product_name": txt(items["product_name"]),
        "product_region_code": txt(items["region"]),
        "product_servicecode": txt(items["product_code"]),
        "resource_tags": _str_map(["user_environment", "user_team"], [items["tag_env"], items["tag_team"]]),
        "savings_plan_savings_plan_a_r_n": txt(items["sp_arn"].where(items["sp_arn"] != "", None)),
        "savings_plan_savings_plan_effective_cost": num(items["sp_effective_cost"]),
        "savings_plan_savings_plan_rate": num(items["sp_rate"]),
        "savings_plan_total_commitment_to_date": num(items["sp_total_commitment"]),
        "savings_plan_used_commitment": num(items["sp_used_commitment"]),
    }  # fmt: skip
    return pa.table(columns)


def write_cur2(items: pd.DataFrame, folder: str | os.PathLike[str], *, manifests: bool = True) -> list[Path]:
    """Write a CUR 2.0 export folder: ``data/BILLING_PERIOD=YYYY-MM/<name>-00001.snappy.parquet`` per month.

    Args:
        items: Canonical line items.
        folder: The export folder (created when missing).
        manifests: Also write the ``metadata/BILLING_PERIOD=.../<name>-Manifest.json`` files Data Exports
            puts next to the data (readers must skip them).

    Returns:
        The Parquet files written, in billing period order.
    """
    folder = Path(folder)
    period = np.datetime_as_string(items["usage_start"].to_numpy(dtype="datetime64[M]"), unit="M")
    full = cur2_table(items)
    written = []
    for value in sorted(set(period)):
        table = full.take(np.flatnonzero(period == value))
        data_dir = folder / "data" / f"BILLING_PERIOD={value}"
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / f"{EXPORT_NAME}-00001.snappy.parquet"
        pq.write_table(table, path, compression="snappy", row_group_size=65536, store_schema=False)
        written.append(path)
        if manifests:
            meta_dir = folder / "metadata" / f"BILLING_PERIOD={value}"
            meta_dir.mkdir(parents=True, exist_ok=True)
            manifest = {
                "billingPeriod": value,
                "columns": [{"name": f.name, "type": str(f.type)} for f in table.schema],
                "dataFiles": [path.relative_to(folder).as_posix()],
                "exportName": EXPORT_NAME,
                "recordCount": table.num_rows,
            }
            text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
            (meta_dir / f"{EXPORT_NAME}-Manifest.json").write_text(text, encoding="utf-8")
    return written
