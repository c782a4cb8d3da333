"""The reconciliation report of a prepare run: where every dollar of the input went.

input total = series total + excluded charge types + amounts after the last complete period, to the
cent. Input and excluded totals are exact decimal sums (DuckDB ``DECIMAL``); the series total adds the
float ``y`` values, whose rounding error is far below a cent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = ["ChargeTotal", "PrepareReport", "CENT"]

CENT = 0.005  # the books balance when the difference rounds to 0.00


@dataclass(frozen=True)
class ChargeTotal:
    """Line items of one charge type: how many, their exact sum, and whether the series include them."""

    charge_type: str
    category: str
    count: int
    total: Decimal
    included: bool


@dataclass
class PrepareReport:
    """What a prepare run read, kept, left out and produced (see :meth:`summary`)."""

    source: str
    format: str
    measure: str
    measure_column: str
    charges: str
    dims: tuple[str, ...]
    dim_columns: dict[str, str]
    freq: str
    tz: str
    spread: str
    files_read: list[str]
    files_skipped: list[tuple[str, str]]
    bytes_read: int
    rows: int
    data_start: str
    data_end: str
    currency: str
    input_total: Decimal
    by_charge_type: list[ChargeTotal]
    beyond_count: int
    beyond_total: float
    cut: str | None
    partial_period: str | None
    series_total: float
    n_series: int
    n_points: int
    zero_filled: int
    first_ds: str | None
    last_ds: str | None
    seconds: float
    other_currencies: dict[str, tuple[int, Decimal]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def excluded(self) -> list[ChargeTotal]:
        """Charge types left out of the series."""
        return [c for c in self.by_charge_type if not c.included]

    @property
    def excluded_total(self) -> Decimal:
        """Exact sum of the charge types left out."""
        return sum((c.total for c in self.excluded), Decimal(0))

    @property
    def difference(self) -> float:
        """input total - (series + excluded + after the last period); 0 up to float rounding."""
        return float(self.input_total - self.excluded_total) - self.beyond_total - self.series_total

    @property
    def balanced(self) -> bool:
        """Whether the reconciliation adds up to the cent."""
        return abs(self.difference) < CENT

    @property
    def rows_per_second(self) -> float:
        """Line items read per second of the whole run."""
        return self.rows / self.seconds if self.seconds > 0 else float("inf")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (decimals as strings)."""
        out = asdict(self)
        out["input_total"] = str(self.input_total)
        out["by_charge_type"] = [{**asdict(c), "total": str(c.total)} for c in self.by_charge_type]
        out["other_currencies"] = {k: [n, str(t)] for k, (n, t) in self.other_currencies.items()}
        out.update(balanced=self.balanced, difference=self.difference, rows_per_second=self.rows_per_second)
        return out

    def summary(self) -> str:
        """A printable account of the run: files, rows, date range, series, reconciliation, speed."""
        cur = self.currency
        skipped = [f"  skipped {Path(p).name if len(self.files_skipped) > 20 else p}: {why}"
                   for p, why in self.files_skipped]  # fmt: skip
        lines = [
            f"{self.source}: {self.format}, {len(self.files_read)} file(s), "
            f"{self.bytes_read / 1e6:,.1f} MB, {len(self.files_skipped)} skipped",
            *skipped,
            f"line items: {self.rows:,} from {self.data_start} to {self.data_end} (UTC)",
            f"measure: {self.measure} ({self.measure_column}); charges: {self.charges}",
            f"series: {self.n_series:,} by {', '.join(self.dims) or 'total'}, {self.n_points:,} points "
            f"({self.freq}, {self.tz}, spread={self.spread}) from {self.first_ds} to {self.last_ds}; "
            f"{self.zero_filled:,} empty periods filled with 0",
            "reconciliation:",
            f"  input total              {self.input_total:>18,.2f} {cur}  ({self.rows:,} line items)",
        ]
        for c in self.excluded:
            lines.append(f"  - excluded {c.charge_type:<14}{c.total:>18,.2f} {cur}  ({c.count:,} line items)")
        if self.beyond_count or self.beyond_total:
            what = (
                f"partial {self.partial_period} and after" if self.partial_period else f"from {self.cut} on"
            )
            lines.append(
                f"  - after last period      {self.beyond_total:>18,.2f} {cur}  "
                f"({self.beyond_count:,} line items; {what})"
            )
        lines += [
            f"  = series total           {self.series_total:>18,.2f} {cur}",
            f"  difference               {self.difference:>18,.2f} {cur}  "
            f"({'balanced' if self.balanced else 'NOT BALANCED'})",
        ]
        for name, (n, total) in sorted(self.other_currencies.items()):
            lines.append(f"  not read: {n:,} line items in {name}, {total:,.2f} {name} (see --currency)")
        lines += [f"warning: {w}" for w in self.warnings]
        lines.append(f"time: {self.seconds:.2f} s, {self.rows_per_second:,.0f} line items/s")
        return "\n".join(lines)
