"""Fuzz the CUR, CUR 2.0 and FOCUS readers through ``prepare_series``: series, or a DataError with a fix."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from forecasting.errors import DataError, DataWarning
from forecasting.prepare import prepare_series

# The columns each reader needs for the default service x account series of unblended cost.
LAYOUTS = {
    "cur_legacy": {
        "start": "lineItem/UsageStartDate", "end": "lineItem/UsageEndDate", "type": "lineItem/LineItemType",
        "cost": "lineItem/UnblendedCost", "service": "product/ProductName",
        "account": "lineItem/UsageAccountId", "currency": "lineItem/CurrencyCode",
    },
    "cur2": {
        "start": "line_item_usage_start_date", "end": "line_item_usage_end_date",
        "type": "line_item_line_item_type", "cost": "line_item_unblended_cost",
        "service": "product_product_name", "account": "line_item_usage_account_id",
        "currency": "line_item_currency_code",
    },
    "focus": {
        "start": "ChargePeriodStart", "end": "ChargePeriodEnd", "type": "ChargeCategory",
        "cost": "BilledCost", "service": "ServiceName", "account": "SubAccountId",
        "currency": "BillingCurrency",
    },
}  # fmt: skip
KINDS = ("csv", "csv.gz", "parquet")


def _prepare(path: Path) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # e.g. a partial last day, dropped and reported
        return prepare_series(path)


@st.composite
def line_items(draw: st.DrawFn, fmt: str) -> pd.DataFrame:
    """Well-formed hourly usage line items over a few days, as the export writes them."""
    cols = LAYOUTS[fmt]
    n = draw(st.integers(1, 30))
    hours = draw(st.lists(st.integers(0, 24 * 6), min_size=n, max_size=n))
    start = pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta(hours, unit="h")
    costs = draw(st.lists(st.decimals(-1000, 10**6, places=6, allow_nan=False), min_size=n, max_size=n))
    fmt_time = "%Y-%m-%dT%H:%M:%SZ"
    return pd.DataFrame({
        cols["start"]: start.strftime(fmt_time),
        cols["end"]: (start + pd.Timedelta(hours=1)).strftime(fmt_time),
        cols["type"]: draw(st.lists(st.sampled_from(["Usage", "Tax", "Credit", "DiscountedUsage"]),
                                    min_size=n, max_size=n)),
        cols["cost"]: [str(c) for c in costs],
        cols["service"]: draw(st.lists(st.sampled_from(["Amazon EC2", "Amazon S3", "AWS Lambda"]),
                                       min_size=n, max_size=n)),
        cols["account"]: draw(st.lists(st.sampled_from(["012345678901", "000000000042"]), min_size=n,
                                       max_size=n)),
        cols["currency"]: "USD",
    })  # fmt: skip


def _write(frame: pd.DataFrame, folder: Path, kind: str, fz: SimpleNamespace) -> Path:
    path = folder / f"export.{kind}"
    path.write_bytes(fz.to_bytes(frame, kind))
    return path


FORMATS = st.sampled_from(sorted(LAYOUTS))


def test_fuzz_billing_valid_exports_reconcile(fz: SimpleNamespace) -> None:
    """Valid exports in every format and container: the reconciliation adds up to the input total."""

    @fz.share(0.25)
    @given(data=st.data(), fmt=FORMATS, kind=st.sampled_from(KINDS))
    def prop(data: st.DataObject, fmt: str, kind: str) -> None:
        frame = data.draw(line_items(fmt))
        with tempfile.TemporaryDirectory() as d:
            result = _prepare(_write(frame, Path(d), kind, fz))
        report = result.report  # type: ignore[attr-defined]
        total = sum(pd.to_numeric(frame[LAYOUTS[fmt]["cost"]]).map(float))
        assert abs(float(report.input_total) - total) < 1e-6 * max(1.0, abs(total))
        assert set(result.series["account"]) <= {"012345678901", "000000000042"}  # type: ignore[attr-defined]

    prop()


def test_fuzz_billing_malformed_cells(fz: SimpleNamespace) -> None:
    """Any cell in the columns the readers use: junk, empty, unicode, huge numbers, NaN/inf, bad dates."""

    @fz.share(0.25)
    @given(data=st.data(), fmt=FORMATS, kind=st.sampled_from(KINDS))
    def prop(data: st.DataObject, fmt: str, kind: str) -> None:
        frame = data.draw(line_items(fmt))
        role = data.draw(st.sampled_from(sorted(LAYOUTS[fmt])))
        column = LAYOUTS[fmt][role]
        rows = data.draw(st.lists(st.integers(0, len(frame) - 1), min_size=1, max_size=3))
        values = frame[column].astype(object).to_list()
        for r in rows:
            cell = data.draw(fz.CELLS)
            values[r] = None if cell is None else str(cell)
        frame[column] = values
        with tempfile.TemporaryDirectory() as d:
            path = _write(frame, Path(d), kind, fz)
            fz.check_reader(lambda: _prepare(path), DataError, (column, str(path), "Fix"))

    prop()


def test_fuzz_billing_columns(fz: SimpleNamespace) -> None:
    """Dropped, renamed, duplicated and typed-as-numbers columns."""

    @fz.share(0.25)
    @given(data=st.data(), fmt=FORMATS, kind=st.sampled_from(KINDS))
    def prop(data: st.DataObject, fmt: str, kind: str) -> None:
        frame = data.draw(line_items(fmt))
        column = data.draw(st.sampled_from(list(frame.columns)))
        how = data.draw(st.sampled_from(["drop", "rename", "duplicate", "numbers", "bools"]))
        if how == "drop":
            frame = frame.drop(columns=column)
        elif how == "rename":
            frame = frame.rename(columns={column: data.draw(fz.TEXT)})
        elif how == "duplicate":
            frame = pd.concat([frame, frame[[column]]], axis=1)
        elif how == "numbers":
            frame[column] = data.draw(st.lists(fz.FLOATS, min_size=len(frame), max_size=len(frame)))
        else:
            frame[column] = [i % 2 == 0 for i in range(len(frame))]
        with tempfile.TemporaryDirectory() as d:
            if how == "duplicate" and kind == "parquet":
                return  # Parquet cannot hold two columns of one name
            path = _write(frame, Path(d), kind, fz)
            fz.check_reader(lambda: _prepare(path), DataError, ("Fix",))

    prop()


def test_fuzz_billing_damaged_files(fz: SimpleNamespace) -> None:
    """Truncated, bit-flipped, re-encoded, padded or empty export files."""

    @fz.share(0.25)
    @given(data=st.data(), fmt=FORMATS, kind=st.sampled_from(KINDS))
    def prop(data: st.DataObject, fmt: str, kind: str) -> None:
        raw = fz.to_bytes(data.draw(line_items(fmt)), kind)
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / f"export.{kind}"
            path.write_bytes(data.draw(fz.damaged(raw)))
            fz.check_reader(lambda: _prepare(path), DataError, ("Fix",))

    prop()
