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
            "forecast budget out/weekly --amount 25000 --period 2025-07-28",
        ),
    )
    p.add_argument("run_folder", metavar="OUT", help="output folder of `forecast run`")
    p.add_argument("--amount", help="the budget, in the run's currency (commas only between thousands)")
    budgets = "CSV with columns level,key,period,amount, instead of --amount, --period, --level and --key"
    p.add_argument("--budgets", metavar="FILE.csv", help=budgets)
    period = (
        "the period as the run's totals write it: YYYY-MM for months, YYYY-MM-DD (any day of the week) "
        "for weeks, YYYY-Qn or YYYY-MM for quarters (default: the first period of the horizon)"
    )
    p.add_argument("--period", default=None, help=period)
    p.add_argument("--level", default=None, help="total (default), or a dimension such as service")
    p.add_argument("--key", default=None, help="a value of --level (needed unless --level is total)")
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
    # The median when 0.5 is among the run's quantiles; the mean alone otherwise, never labelled P50.
    middle = f"P50 {format_money(risk['p50'])} {cur}, " if "p50" in risk else ""

    def cross(date: str | None) -> str:
        return date or "not within the horizon"

    return "\n".join([
        f"budget {format_money(risk['amount'])} {cur} for {name}, {risk['period']}{gap}",
        f"  probability over budget: {risk['probability_over']:.1%}",
        f"  expected overrun:        {format_money(risk['expected_overrun'])} {cur}",
        f"  forecast total:          {middle}mean {format_money(risk['mean'])} {cur} "
        f"({format_money(risk['actual_to_date'])} already observed)",
        f"  running total reaches the budget: at P50 {cross(risk['cross_date_p50'])}, "
        f"at P90 {cross(risk['cross_date_p90'])}",
    ])  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run ``forecast budget`` and return the exit status."""
    from forecasting.budget import budget_risk, budget_table, load_totals, parse_amount, read_budgets
    from forecasting.errors import DataError
    from forecasting.export import to_json

    if args.budgets is not None:
        # The file gives every budget's level, key, period and amount: a flag beside it would be ignored.
        given = [
            f"--{name}" for name in ("amount", "period", "level", "key") if getattr(args, name) is not None
        ]
        if given:
            them = "it" if len(given) == 1 else "them"
            raise DataError(f"--budgets takes level, key, period and amount from the file; got "
                            f"{', '.join(given)} as well: drop {them}, or drop --budgets")  # fmt: skip
    elif args.amount is None:
        raise DataError("no budget given; pass --amount A (one budget) or --budgets FILE.csv (several)")
    else:
        parse_amount(args.amount, negative=True)  # before reading the run: a typo is reported first
        totals = load_totals(args.run_folder)
        risk = budget_risk(totals, args.amount, period=args.period, level=args.level or "total", key=args.key)
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
