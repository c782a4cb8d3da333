"""``forecast budget``: the odds that a period's bill (or one service's, one account's) exceeds a budget."""

from __future__ import annotations

import argparse
import json
from typing import Any

from costrec.cli import examples

__all__ = ["add_parser", "run", "format_risk"]


def add_parser(subparsers: Any) -> None:
    """Register ``forecast budget``."""
    p = subparsers.add_parser(
        "budget",
        help="probability that a period's total exceeds a budget, expected overrun, crossing dates",
        description="Read the bill totals of a `forecast run` folder and print the probability that a "
        "period's total exceeds --amount, the expected overrun, and the first day on which the running "
        "total reaches the amount at P50 and at P90. --budgets FILE.csv (level,key,period,amount) checks "
        "several budgets at once, riskiest first.",
        **examples(
            "forecast budget out/forecast --amount 100000 --period 2025-07",
            'forecast budget out/forecast --amount 12000 --level service --key "AWS Lambda" --json',
            "forecast budget out/forecast --budgets budgets.csv",
        ),
    )
    p.add_argument("run_folder", metavar="OUT", help="output folder of `forecast run`")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--amount", help="the budget, in the run's currency")
    what.add_argument("--budgets", metavar="FILE.csv", help="CSV with columns level,key,period,amount")
    p.add_argument("--period", default=None, help="YYYY-MM (default: the first period of the horizon)")
    p.add_argument("--level", default="total", help="total (default), or a dimension such as service")
    p.add_argument("--key", default="total", help="total (default), or a value of --level")
    p.add_argument("--json", action="store_true", help="print JSON (one object; a list with --budgets)")
    p.set_defaults(func=run)


def format_risk(risk: dict[str, Any]) -> str:
    """One budget's risk as readable lines."""
    from forecasting.money import format_money

    cur = risk["currency"]
    name = "the whole bill" if risk["level"] == "total" else f"{risk['level']} {risk['key']!r}"
    gap = (
        f" ({risk['missing_steps']} step(s) of the period lie beyond the horizon and are not included)"
        if risk["missing_steps"]
        else ""
    )
    p50 = format_money(risk["p50"]) if "p50" in risk else format_money(risk["mean"])

    def cross(date: str | None) -> str:
        return date or "not within the horizon"

    return "\n".join([
        f"budget {format_money(risk['amount'])} {cur} for {name}, {risk['period']}{gap}",
        f"  probability over budget: {risk['probability_over']:.1%}",
        f"  expected overrun:        {format_money(risk['expected_overrun'])} {cur}",
        f"  forecast total:          P50 {p50} {cur}, mean {format_money(risk['mean'])} {cur} "
        f"({format_money(risk['actual_to_date'])} already observed)",
        f"  running total reaches the budget: at P50 {cross(risk['cross_date_p50'])}, "
        f"at P90 {cross(risk['cross_date_p90'])}",
    ])  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run ``forecast budget`` and return the exit status."""
    from forecasting.budget import budget_risk, budget_table, load_totals, parse_amount, read_budgets
    from forecasting.export import to_json

    if args.amount is not None:
        parse_amount(args.amount)  # before reading the run: a typo is reported first
        totals = load_totals(args.run_folder)
        risk = budget_risk(totals, args.amount, period=args.period, level=args.level, key=args.key)
        print(json.dumps(to_json(risk)) if args.json else format_risk(risk))
        return 0
    budgets = read_budgets(args.budgets)
    table = budget_table(load_totals(args.run_folder), budgets)
    if args.json:
        print(json.dumps(to_json(table.to_dict("records"))))
        return 0
    from forecasting.money import format_money

    shown = table[["level", "key", "period", "amount", "probability_over", "expected_overrun",
                   "cross_date_p50", "cross_date_p90"]].copy()  # fmt: skip
    shown["probability_over"] = shown["probability_over"].map(lambda v: f"{v:.1%}")
    for col in ("amount", "expected_overrun"):
        shown[col] = shown[col].map(format_money)
    shown = shown.fillna("-")
    print(shown.to_string(index=False))
    print(f"{len(table)} budget(s), riskiest first; amounts in {table['currency'].iloc[0]}")
    return 0
