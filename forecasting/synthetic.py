"""Seeded synthetic AWS bills: canonical line items with known ground truth, written in three export formats.

The generator draws daily line items for a grid of accounts x services with weekday/weekend seasonality
and growth, then adds what real bills carry around the usage: a service launched mid-history, a monthly
support fee on the 1st, promotional credits, tax, refunds, a Compute Savings Plan (covered usage,
negation and recurring fee, so amortized and unblended costs differ), a few days missing from the export
and one injected anomaly. Everything is drawn with integer-exact random draws and plain arithmetic, and
money is rounded to the micro-dollar, so the output is identical on every machine.

Command line (writes ``cur2/``, ``cur_legacy.csv.gz``, ``focus.csv.gz``, ``truth.json``, ``README.md``)::

    python -m forecasting.synthetic --out data/bills [--seed 0]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecasting.billing.sample import write_sample_bills
from forecasting.billing.writers import LINE_ITEM_COLUMNS

__all__ = ["SERVICES", "Service", "generate_bills", "main"]


@dataclass(frozen=True)
class Service:
    """One AWS service of the synthetic bill: names as they appear in CUR and FOCUS, and its cost shape."""

    code: str  # lineItem/ProductCode
    name: str  # product/ProductName, FOCUS ServiceName
    category: str  # FOCUS ServiceCategory
    usage_type: str  # suffix of lineItem/UsageType (prefixed by the region's usage-type code)
    operation: str
    unit: str
    rate: float  # dollars per usage unit
    daily_cost: float  # typical weekday cost in dollars at the start
    weekend: float  # weekend cost relative to a weekday


# fmt: off
SERVICES: tuple[Service, ...] = tuple(Service(*row) for row in (
    ("AmazonEC2", "Amazon Elastic Compute Cloud", "Compute", "BoxUsage:m5.xlarge", "RunInstances", "Hrs",
     0.192, 310.0, 0.72),
    ("AmazonS3", "Amazon Simple Storage Service", "Storage", "TimedStorage-ByteHrs", "StandardStorage",
     "GB-Mo", 0.023, 42.0, 1.0),
    ("AmazonRDS", "Amazon Relational Database Service", "Databases", "InstanceUsage:db.r6g.large",
     "CreateDBInstance:0014", "Hrs", 0.225, 118.0, 0.95),
    ("AWSLambda", "AWS Lambda", "Compute", "Lambda-GB-Second", "Invoke", "Lambda-GB-Second", 0.0000166667,
     24.0, 0.55),
    ("AmazonDynamoDB", "Amazon DynamoDB", "Databases", "ReadCapacityUnit-Hrs", "CommittedThroughput",
     "ReadCapacityUnit-Hrs", 0.00013, 31.0, 0.7),
    ("AmazonCloudFront", "Amazon CloudFront", "Networking", "DataTransfer-Out-Bytes", "GET", "GB", 0.085,
     36.0, 1.15),
    ("AmazonCloudWatch", "AmazonCloudWatch", "Management and Governance", "CW:MetricMonitorUsage",
     "MetricStorage", "Metrics", 0.3, 14.0, 0.9),
    ("AmazonECS", "Amazon Elastic Container Service", "Compute", "Fargate-vCPU-Hours:perCPU", "FargateTask",
     "hours", 0.04048, 61.0, 0.65),
    ("AmazonVPC", "Amazon Virtual Private Cloud", "Networking", "NatGateway-Hours", "NatGateway", "Hrs",
     0.045, 19.0, 1.0),
    ("AmazonBedrock", "Amazon Bedrock", "AI and Machine Learning", "Claude3Sonnet-input-tokens",
     "InvokeModelInference", "1K tokens", 0.003, 48.0, 0.5),
))
# fmt: on
# The service that appears mid-history (a short series) and the Savings Plan's covered service.
LAUNCHED = "AmazonBedrock"
COVERED = "AmazonEC2"
SUPPORT = ("AWSSupportBusiness", "AWS Support (Business)", "Other")
EC2 = ("AmazonEC2", "Amazon Elastic Compute Cloud", "Compute")
RDS = ("AmazonRDS", "Amazon Relational Database Service", "Databases")
CLOUDFRONT = ("AmazonCloudFront", "Amazon CloudFront", "Networking")
SAVINGS_PLAN = ("ComputeSavingsPlans", "Savings Plans for AWS Compute usage", "Compute")

# (region, usage-type prefix, tax rate, legal entity) cycled over accounts.
REGIONS: tuple[tuple[str, str, float, str], ...] = (
    ("us-east-1", "USE1", 0.0725, "Amazon Web Services, Inc."),
    ("eu-west-1", "EUW1", 0.20, "Amazon Web Services EMEA SARL"),
    ("ca-central-1", "CAN1", 0.13, "Amazon Web Services Canada, Inc."),
)
TEAMS = ("platform", "data", "web", "ml")
DAY = np.timedelta64(1, "D")


def _account_ids(n: int) -> list[str]:
    # Twelve digits; the first one starts with 0 so readers that parse ids as integers get caught.
    base = ["012345678901", "210987654321", "555566667777"]
    return base[:n] + [f"{300000000000 + 7919 * k:012d}" for k in range(n - len(base))]


def _noise(rng: np.random.Generator, shape: tuple[int, ...], spread: float) -> np.ndarray:
    # Irwin-Hall: the sum of three uniforms is bell-shaped; no libm calls, so bit-identical everywhere.
    u = rng.random((3, *shape))
    return 1.0 + spread * (u.sum(axis=0) - 1.5)


def _money(x: np.ndarray | float) -> np.ndarray:
    return np.round(np.asarray(x, dtype=float), 6)


def _month_starts(start: pd.Timestamp, months: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=months + 1, freq="MS")


def _usage_grid(
    rng: np.random.Generator, accounts: list[str], services: Sequence[Service], days: pd.DatetimeIndex
) -> np.ndarray:
    """Daily usage cost per (account, service, day): level x growth x weekday pattern x noise."""
    n_a, n_s, n_d = len(accounts), len(services), len(days)
    level = np.array([s.daily_cost for s in services])[None, :] * (0.5 + rng.random((n_a, n_s)))
    growth = 0.05 + 0.55 * rng.random((n_a, n_s))  # yearly linear growth between 5% and 60%
    t = np.arange(n_d) / 365.0
    weekend = np.array([s.weekend for s in services])
    is_weekend = np.asarray(days.day_of_week >= 5)
    week = np.where(is_weekend[None, :], weekend[:, None], 1.0)  # (service, day)
    cost = level[:, :, None] * (1.0 + growth[:, :, None] * t[None, None, :]) * week[None, :, :]
    return _money(cost * _noise(rng, cost.shape, 0.12))


def generate_bills(
    seed: int = 0,
    *,
    accounts: int = 3,
    start: str = "2024-01-01",
    months: int = 18,
    services: Sequence[Service] = SERVICES,
    missing_days: int = 3,
    currency: str = "USD",
) -> pd.DataFrame:
    """Generate canonical daily line items of an AWS bill with known ground truth.

    Args:
        seed: Seed of the random generator; the same seed gives the same bill, byte for byte.
        accounts: Number of usage (linked) accounts.
        start: First day (UTC) of the bill; it should be the first of a month.
        months: Number of whole months.
        services: The services drawn; :data:`SERVICES` (ten of them) by default.
        missing_days: Number of days that are missing from the export (no line items at all).
        currency: Billing currency code of every line item.

    Returns:
        One row per line item, columns as listed in :data:`forecasting.billing.writers.LINE_ITEM_COLUMNS`,
        sorted by usage start, account, product and line item type. ``attrs["truth"]`` holds the ground
        truth: the launch date of the short series, the anomaly, the missing days, tax rates and so on.

    Example:
        >>> bills = generate_bills(seed=1, months=2)
        >>> sorted(bills["line_item_type"].unique())  # too short for the Savings Plan, which starts later
        ['Credit', 'Fee', 'Refund', 'Tax', 'Usage']
        >>> bills.attrs["truth"]["days"]
        60
    """
    rng = np.random.default_rng(seed)
    start_ts = pd.Timestamp(start)
    month_starts = _month_starts(start_ts, months)
    days = pd.date_range(start_ts, month_starts[-1] - DAY, freq="D")
    ids = _account_ids(accounts)
    cost = _usage_grid(rng, ids, services, days)
    codes = [s.code for s in services]

    launch_day = days[int(len(days) * 0.7)]
    launch_accounts: list[str] = []
    present = np.ones(cost.shape, dtype=bool)
    if LAUNCHED in codes:
        launch_accounts = ids[: max(1, min(2, accounts))]
        s = codes.index(LAUNCHED)
        present[:, s, :] = False
        late = np.asarray(days >= launch_day)
        for a in range(len(launch_accounts)):
            present[a, s, late] = True
        # A launch ramps up over two weeks instead of jumping to its full level.
        launch_idx = int(np.searchsorted(days.to_numpy(), launch_day.to_datetime64()))
        ramp = np.clip((np.arange(len(days)) - launch_idx + 1) / 14.0, 0.0, 1.0)
        cost[:, s, :] = _money(cost[:, s, :] * ramp[None, :])

    # One anomaly: a runaway workload multiplies one series' cost for one day.
    a_acc, a_srv = accounts - 1, codes.index("AWSLambda") if "AWSLambda" in codes else 0
    anomaly_idx = int(len(days) * 0.8) + int(rng.integers(0, 10))
    normal = float(cost[a_acc, a_srv, anomaly_idx])
    cost[a_acc, a_srv, anomaly_idx] = _money(normal * 6.0)

    # Days missing from the export: never the 1st (fees) nor the anomaly day.
    candidates = [i for i, d in enumerate(days) if d.day != 1 and i != anomaly_idx and 7 < i < len(days) - 7]
    missing = np.sort(rng.choice(candidates, size=min(missing_days, len(candidates)), replace=False))
    present[:, :, missing] = False

    usage = _daily_items(cost, present, ids, services, days)
    usage, sp_truth = _apply_savings_plan(usage, ids[0], days[int(len(days) * 0.35)].replace(day=1))
    monthly = _monthly_items(usage, ids, month_starts, rng)
    items = pd.concat([usage, monthly], ignore_index=True)
    items["currency"] = currency
    items = _finish(items, ids)
    items.attrs["truth"] = {
        "seed": seed,
        "start": str(days[0].date()),
        "end": str(days[-1].date()),
        "days": len(days),
        "accounts": ids,
        "services": [s.name for s in services],
        "currency": currency,
        "launch": {
            "service": dict(zip(codes, [s.name for s in services], strict=True)).get(LAUNCHED),
            "date": str(launch_day.date()),
            "accounts": launch_accounts,
        },
        "anomaly": {
            "date": str(days[anomaly_idx].date()),
            "account": ids[a_acc],
            "service": services[a_srv].name,
            "factor": 6.0,
            "normal_cost": round(normal, 6),
            "cost": float(cost[a_acc, a_srv, anomaly_idx]),
        },
        "missing_days": [str(days[i].date()) for i in missing],
        "tax_rates": {acc: REGIONS[k % len(REGIONS)][2] for k, acc in enumerate(ids)},
        "savings_plan": sp_truth,
    }
    return items


def _daily_items(
    cost: np.ndarray,
    present: np.ndarray,
    ids: list[str],
    services: Sequence[Service],
    days: pd.DatetimeIndex,
) -> pd.DataFrame:
    a_idx, s_idx, d_idx = np.nonzero(present)
    svc = [services[int(i)] for i in s_idx]
    region = [REGIONS[i % len(REGIONS)] for i in a_idx]
    rate = np.array([s.rate for s in svc])
    team = np.array(TEAMS)[(a_idx * 7 + s_idx * 3) % len(TEAMS)]
    usage_cost = cost[a_idx, s_idx, d_idx]
    return pd.DataFrame(
        {
            "usage_start": days.to_numpy()[d_idx],
            "account_id": np.array(ids)[a_idx],
            "line_item_type": "Usage",
            "product_code": [s.code for s in svc],
            "product_name": [s.name for s in svc],
            "service_category": [s.category for s in svc],
            "region": [r[0] for r in region],
            "usage_type": [f"{r[1]}-{s.usage_type}" for r, s in zip(region, svc, strict=True)],
            "operation": [s.operation for s in svc],
            "pricing_unit": [s.unit for s in svc],
            "unblended_rate": rate,
            "unblended_cost": usage_cost,
            "tag_team": team,
            "tag_env": np.where(a_idx % 2 == 0, "prod", "dev"),
        }
    )


def _apply_savings_plan(
    usage: pd.DataFrame, account: str, sp_start: pd.Timestamp
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Cover part of one account's EC2 usage with a Compute Savings Plan from ``sp_start`` on.

    Each covered day gets the three CUR line items of a No-Upfront plan: ``SavingsPlanCoveredUsage`` (the
    on-demand cost, with the discounted ``savings_plan_effective_cost``), ``SavingsPlanNegation`` (minus the
    on-demand cost) and ``SavingsPlanRecurringFee`` (the daily commitment, with its used part).
    """
    discount = 0.28  # the Savings Plan rate is 72% of on-demand
    series = (usage["account_id"] == account) & (usage["product_code"] == COVERED)
    mask = series & (usage["usage_start"] >= sp_start)
    ec2 = usage[mask]
    # Commit to 90% of the month before's median day: weekdays use it all, weekends leave some unused.
    before = usage.loc[series & (usage["usage_start"] < sp_start), "unblended_cost"].tail(30)
    if before.empty:  # too short a bill to size a commitment: no plan
        return usage, {}
    commitment = float(np.floor(0.9 * (1 - discount) * float(before.median())))
    covered = _money(np.minimum(ec2["unblended_cost"].to_numpy(), commitment / (1 - discount)))
    effective = _money(covered * (1 - discount))
    rest = usage.copy()
    rest.loc[mask, "unblended_cost"] = _money(ec2["unblended_cost"].to_numpy() - covered)
    cov = ec2.assign(
        line_item_type="SavingsPlanCoveredUsage",
        unblended_cost=covered,
        sp_effective_cost=effective,
        sp_rate=np.round(ec2["unblended_rate"].to_numpy() * (1 - discount), 6),
    )
    neg = ec2.assign(line_item_type="SavingsPlanNegation", unblended_cost=-covered, unblended_rate=0.0)
    fee = ec2.assign(
        line_item_type="SavingsPlanRecurringFee",
        product_code=SAVINGS_PLAN[0],
        product_name=SAVINGS_PLAN[1],
        service_category=SAVINGS_PLAN[2],
        usage_type="ComputeSP:1yrNoUpfront",
        operation="",
        pricing_unit="Hrs",
        unblended_rate=commitment / 24,
        unblended_cost=commitment,
        tag_team="",
        tag_env="",
        sp_total_commitment=commitment,
        sp_used_commitment=effective,
    )
    arn = f"arn:aws:savingsplans::{account}:savingsplan/3f2c7a10-5b8e-4c1d-9a6e-0b7d2e4f8a91"
    parts = [rest[rest["unblended_cost"] != 0], cov, neg, fee]
    for p in parts[1:]:
        p["sp_arn"] = arn
    out = pd.concat(parts, ignore_index=True)
    truth = {
        "account": account,
        "service": COVERED,
        "start": str(sp_start.date()),
        "arn": arn,
        "daily_commitment": commitment,
        "discount": discount,
    }
    return out, truth


def _region(k: int) -> tuple[str, str, float, str]:
    return REGIONS[k % len(REGIONS)]


def _item(
    start: pd.Timestamp,
    end: pd.Timestamp,
    account: str,
    kind: str,
    product: tuple[str, str, str],
    cost: float,
    *,
    region: str = "",
    usage_type: str = "",
    unit: str = "",
    rate: float = 0.0,
) -> dict[str, Any]:
    code, name, category = product
    return dict(usage_start=start, usage_end=end, account_id=account, line_item_type=kind, product_code=code,
                product_name=name, service_category=category, region=region, usage_type=usage_type,
                operation="", pricing_unit=unit, unblended_rate=rate, unblended_cost=cost)  # fmt: skip


def _monthly_items(
    usage: pd.DataFrame, ids: list[str], month_starts: pd.DatetimeIndex, rng: np.random.Generator
) -> pd.DataFrame:
    """Support fees on the 1st, promotional credits, refunds and monthly tax, from the daily items."""
    month = usage["usage_start"].dt.to_period("M").dt.start_time
    by_acc_month = usage.groupby([usage["account_id"], month])["unblended_cost"].sum()
    rows: list[dict[str, Any]] = []
    for acc in ids:
        for m0, m1 in zip(month_starts[:-1], month_starts[1:], strict=True):
            prev = float(by_acc_month.get((acc, m0 - pd.offsets.MonthBegin(1)), 0.0))
            # Business support: 10% of last month's usage, at least $100, charged on the 1st for the month.
            fee = round(max(100.0, 0.10 * prev), 2)
            rows.append(_item(m0, m1, acc, "Fee", SUPPORT, fee, usage_type="Dollar", unit="Dollar", rate=fee))
    credit_acc = ids[1 % len(ids)]
    n_credit = min(6, len(month_starts) - 1)
    for m0, m1 in zip(month_starts[:n_credit], month_starts[1 : n_credit + 1], strict=True):
        rows.append(_item(m0, m1, credit_acc, "Credit", EC2, -250.0, region=_region(1)[0]))
    for acc_k, product, m, amount in ((0, RDS, 4, -180.55), (len(ids) - 1, CLOUDFRONT, 10, -96.4)):
        day = month_starts[min(m, len(month_starts) - 2)] + int(rng.integers(3, 20)) * DAY
        rows.append(_item(day, day + DAY, ids[acc_k], "Refund", product, amount, region=_region(acc_k)[0]))
    extra = pd.DataFrame(rows)
    taxed = pd.concat([usage, extra[extra["line_item_type"] == "Fee"]], ignore_index=True)
    t_month = taxed["usage_start"].dt.to_period("M").dt.start_time
    keys = ["account_id", "product_code", "product_name", "service_category"]
    base = taxed.groupby([*[taxed[c] for c in keys], t_month])["unblended_cost"].sum().reset_index()
    rate = base["account_id"].map({acc: REGIONS[k % len(REGIONS)][2] for k, acc in enumerate(ids)})
    base["unblended_cost"] = np.round(base["unblended_cost"].to_numpy() * rate.to_numpy(), 2)
    base["usage_end"] = base["usage_start"] + pd.offsets.MonthBegin(1)
    tax = base.assign(
        line_item_type="Tax", region="", usage_type="", operation="", pricing_unit="", unblended_rate=0.0
    )
    return pd.concat([extra, tax[tax["unblended_cost"] != 0]], ignore_index=True)


def _finish(items: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    items = items.copy()
    items["usage_end"] = items["usage_end"].fillna(items["usage_start"] + DAY)
    for col in ("sp_effective_cost", "sp_rate", "sp_total_commitment", "sp_used_commitment"):
        if col not in items:
            items[col] = np.nan
    for col in ("sp_arn", "tag_team", "tag_env"):
        items[col] = items[col].fillna("") if col in items else ""
    items["payer_account_id"] = ids[0]
    legal = {acc: REGIONS[k % len(REGIONS)][3] for k, acc in enumerate(ids)}
    items["legal_entity"] = items["account_id"].map(legal)
    items["unblended_cost"] = _money(items["unblended_cost"].to_numpy())
    rate = items["unblended_rate"].to_numpy(dtype=float)
    amount = np.where(rate > 0, items["unblended_cost"].to_numpy() / np.where(rate > 0, rate, 1.0), 0.0)
    items["usage_amount"] = np.round(np.abs(amount), 6)
    items = items.sort_values(
        ["usage_start", "account_id", "product_code", "line_item_type", "usage_type"], kind="stable"
    ).reset_index(drop=True)
    return items[list(LINE_ITEM_COLUMNS)]


def main(argv: Sequence[str] | None = None) -> int:
    """Write the sample bills in the three formats (see the module docstring) and return 0."""
    doc = (__doc__ or "").splitlines()[0]
    parser = argparse.ArgumentParser(prog="python -m forecasting.synthetic", description=doc)
    parser.add_argument("--out", required=True, help="output folder, replaced as a whole (e.g. data/bills)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--accounts", type=int, default=3, help="number of accounts (default 3)")
    parser.add_argument("--months", type=int, default=18, help="number of months (default 18)")
    args = parser.parse_args(argv)
    items = generate_bills(args.seed, accounts=args.accounts, months=args.months)
    out = write_sample_bills(items, args.out)
    print(f"wrote {len(items)} line items in three formats to {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
