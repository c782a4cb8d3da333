"""Bad input: every case raises DataError naming the file, the column, an example value and the fix."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from forecasting import DataError
from forecasting.measures import check_measure
from forecasting.prepare import prepare_series

# Real exports shipped with the repository (data/real_bills/README.md: sources and licences).
REAL = Path(__file__).resolve().parents[2] / "data" / "real_bills"


def _cur2_part(path: Path, cost: pa.Array, account: str = "111122223333") -> None:
    n = len(cost)
    pq.write_table(
        pa.table({
            "line_item_usage_start_date": pa.array(pd.date_range("2024-01-01", periods=n, freq="D")),
            "line_item_usage_end_date": pa.array(pd.date_range("2024-01-02", periods=n, freq="D")),
            "line_item_usage_account_id": pa.array([account] * n),
            "line_item_line_item_type": pa.array(["Usage"] * n),
            "product_product_name": pa.array(["Amazon EC2"] * n),
            "line_item_unblended_cost": cost,
            "line_item_currency_code": pa.array(["USD"] * n),
        }),
        path,
    )  # fmt: skip


def test_missing_column_lists_the_closest_names(cur_csv, usage) -> None:
    path = cur_csv([usage("2024-01-01", 1)], cost="lineItem/UnblendedCosts")
    with pytest.raises(DataError) as err:
        prepare_series(path)
    text = str(err.value)
    assert str(path) in text
    assert "missing column 'lineItem/UnblendedCost'" in text
    assert "lineItem/UnblendedCosts" in text  # the closest name present
    assert "Fix:" in text


def test_unparseable_timestamp_names_file_line_column_and_value(cur_csv, usage) -> None:
    rows = [usage("2024-01-01", 1), usage("2024-01-02", 2), usage("2024-01-03", 3)]
    rows[1]["start"] = "2024-01-02T25:00:00Z"
    path = cur_csv(rows)
    with pytest.raises(DataError) as err:
        prepare_series(path)
    text = str(err.value)
    assert f"{path} (line 3)" in text
    assert "'lineItem/UsageStartDate'" in text
    assert "'2024-01-02T25:00:00Z'" in text
    assert "Fix:" in text


@pytest.mark.parametrize(("scenario", "line"), [(2, 4), (3, 5)])
def test_focus_spec_examples_with_invalid_hours_are_data_errors(scenario: int, line: int) -> None:
    """Purchase scenarios 2 and 3 of the FOCUS spec end a charge period at 2023-02-01T30:00:00 (hour 30)."""
    path = REAL / "focus_spec_examples" / f"commitment_discount_purchase_scenario_{scenario}.csv"
    value = "unparseable timestamp '2023-02-01T30:00:00Z' in column 'ChargePeriodEnd'"
    expected = rf"{path.name} \(line {line}\): {value}"
    with pytest.raises(DataError, match=expected):
        prepare_series(path, dims=(), charges="all")


def test_non_numeric_cost(cur_csv, usage) -> None:
    path = cur_csv([usage("2024-01-01", "1.5"), usage("2024-01-02", "$2.00")])
    with pytest.raises(DataError) as err:
        prepare_series(path)
    text = str(err.value)
    assert f"{path} (line 3)" in text
    assert "non-numeric cost '$2.00' in column 'lineItem/UnblendedCost'" in text


def test_mixed_currencies_need_currency(cur_csv, usage) -> None:
    path = cur_csv([usage("2024-01-01", 1), usage("2024-01-01", 5, currency="EUR"), usage("2024-01-02", 2)])
    with pytest.raises(DataError) as err:
        prepare_series(path)
    text = str(err.value)
    assert "mixed currencies in column 'lineItem/CurrencyCode'" in text
    assert f"EUR: 1 line items, e.g. in {path}" in text
    assert "--currency USD" in text
    result = prepare_series(path, currency="USD")
    assert result.series["y"].sum() == 3.0
    assert result.report.other_currencies["EUR"][0] == 1
    assert "not read: 1 line items in EUR" in result.report.summary()
    with pytest.raises(DataError, match="no line items in currency 'GBP'"):
        prepare_series(path, currency="GBP")


def test_empty_file_and_folder_without_data(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.csv: empty file \(0 bytes\).*Fix"):
        prepare_series(tmp_path / "empty.csv")
    (tmp_path / "only_meta").mkdir()
    (tmp_path / "only_meta" / "cur-Manifest.json").write_text("{}")
    with pytest.raises(
        DataError, match=r"folder with no data files \(found: cur-Manifest.json \(manifest\)\)"
    ):
        prepare_series(tmp_path / "only_meta")


def test_header_only_export_has_no_line_items(cur_csv, usage) -> None:
    path = cur_csv([usage("2024-01-01", 1)])
    path.write_text(path.read_text().splitlines()[0] + "\n")
    with pytest.raises(DataError, match="no line items"):
        prepare_series(path)


def test_parts_whose_schemas_disagree(tmp_path: Path) -> None:
    (tmp_path / "exp").mkdir()
    _cur2_part(tmp_path / "exp" / "a.parquet", pa.array([1.0, 2.0]))
    _cur2_part(tmp_path / "exp" / "b.parquet", pa.array(["3.0", "4.0"]))
    with pytest.raises(DataError) as err:
        prepare_series(tmp_path / "exp")
    text = str(err.value)
    assert "parts whose schemas disagree: column 'line_item_unblended_cost' is DOUBLE in" in text
    assert "a.parquet" in text
    assert "VARCHAR in" in text
    assert "b.parquet" in text


def test_part_without_a_required_column(tmp_path: Path, cur_csv, usage) -> None:
    cur_csv([usage("2024-01-01", 1)], name="exp/a.csv")
    cur_csv([usage("2024-01-02", 1)], name="exp/b.csv", service="product/Name")
    with pytest.raises(DataError, match=r"schemas disagree: .*b\.csv has no column 'product/ProductName'"):
        prepare_series(tmp_path / "exp")


def test_corrupt_parquet(tmp_path: Path) -> None:
    (tmp_path / "exp").mkdir()
    _cur2_part(tmp_path / "exp" / "a.parquet", pa.array([1.0]))
    data = (tmp_path / "exp" / "a.parquet").read_bytes()
    (tmp_path / "exp" / "b.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"b\.parquet: not a readable Parquet file .*Fix: re-download"):
        prepare_series(tmp_path / "exp")


def test_csv_with_repeated_header_rows(tmp_path: Path, cur_csv, usage) -> None:
    part = cur_csv([usage("2024-01-01", 1), usage("2024-01-02", 2)])
    text = part.read_text()
    with gzip.open(tmp_path / "concatenated.csv.gz", "wt") as out:
        out.write(text + text)  # the second header line is now a data row
    with pytest.raises(DataError) as err:
        prepare_series(tmp_path / "concatenated.csv.gz")
    assert "concatenated.csv.gz (line 4): repeated header row" in str(err.value)
    assert "Fix: remove the extra header lines" in str(err.value)


def test_amortized_needs_the_reservation_columns(cur_csv, usage) -> None:
    path = cur_csv([usage("2024-01-01", 0, type="DiscountedUsage"), usage("2024-01-01", 2)])
    with pytest.raises(
        DataError, match=r"1 line items of type 'DiscountedUsage' but no column 'reservation/"
    ):
        prepare_series(path, measure="amortized")
    assert prepare_series(path, measure="unblended").series["y"].sum() == 2.0


@pytest.mark.parametrize(
    ("option", "match"),
    [({"measure": "list_price"}, "unknown measure"), ({"freq": "Q"}, "unknown frequency"),
     ({"measure": "blended"}, r"^--measure blended: a FOCUS 1\.0 export has no blended cost .*Fix: use a "
      r"measure FOCUS offers: unblended, net_unblended, billed \(BilledCost\); amortized, effective "
      r"\(EffectiveCost\)\.$"),
     ({"tz": "Mars/Olympus"}, "unknown time zone"), ({"spread": "later"}, "unknown spread"),
     ({"dims": "service,service"}, "repeated dimension")],
)  # fmt: skip
def test_bad_options(sample_bills_dir: Path, option: dict, match: str) -> None:
    with pytest.raises(DataError, match=match):
        prepare_series(sample_bills_dir / "focus.csv.gz", **option)


def _cli_error(argv: list[str], capsys) -> str:
    """Run ``forecast`` expecting exit 2 and return its one-line error."""
    from forecasting.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "Traceback" not in err
    return err


def test_utf16_export_names_the_encoding_and_the_conversion(tmp_path: Path, capsys) -> None:
    # A legacy CUR saved as UTF-16 (as Excel's "Unicode text" does): DuckDB says "CSV Error on Line: 1".
    text = gzip.decompress((REAL / "aws_cur_legacy_anonymized_sample_2023-11.csv.gz").read_bytes())
    path = tmp_path / "u16.csv"
    path.write_bytes(text.decode("utf-8").encode("utf-16"))
    out = tmp_path / "o.parquet"
    err = _cli_error(["prepare", str(path), "-o", str(out)], capsys)
    assert err.startswith(
        f"forecast prepare: error: {path}: UTF-16 text (little-endian, with a byte-order mark)"
    )
    assert f"`iconv -f UTF-16 -t UTF-8 {path} > {tmp_path / 'u16-utf8.csv'}`" in err
    assert "CSV Error" not in err
    assert not out.exists()


@pytest.mark.parametrize("damage", ["truncated", "not gzip"])
def test_damaged_gzip_export_is_named_as_such(tmp_path: Path, capsys, damage: str) -> None:
    whole = (REAL / "aws_cur_legacy_anonymized_sample_2023-11.csv.gz").read_bytes()
    path = tmp_path / "cur.csv.gz"
    path.write_bytes(whole[:1000] if damage == "truncated" else b"<html>Access denied</html>\n")
    out = tmp_path / "o.parquet"
    err = _cli_error(["prepare", str(path), "-o", str(out)], capsys)
    assert f"{path}: damaged gzip: " in err
    expected = "the file is truncated" if damage == "truncated" else "the content is not gzip data"
    assert expected in err
    assert f"gzip -t {path}" in err
    assert not out.exists()


def test_unwritable_report_leaves_the_series_output_as_it_was(
    tmp_path: Path, sample_bills_dir: Path, capsys
) -> None:
    # `-o ok.parquet --report ro/rep.json`: the series was written before the report failed. Tests run as
    # root (chmod does not stop writes), so the report's folder is a regular file.
    (tmp_path / "somefile").write_text("not a folder")
    new_out = tmp_path / "ok.parquet"
    old_out = tmp_path / "old.parquet"
    old_out.write_bytes(b"previous output")
    for out in (new_out, old_out):
        argv = ["prepare", str(sample_bills_dir / "cur_legacy.csv.gz"), "-o", str(out)]
        err = _cli_error([*argv, "--report", str(tmp_path / "somefile" / "rep.json")], capsys)
        assert err == (
            f"forecast prepare: error: cannot write {str(tmp_path / 'somefile' / 'rep.json')!r}: "
            f"{str(tmp_path / 'somefile')!r} is a file, not a folder. Fix: choose another output path "
            "(nothing was written)."
        )
    assert not new_out.exists()
    assert old_out.read_bytes() == b"previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.parquet", "somefile"]  # no temporary left


def test_report_failing_midway_rolls_back_the_series(
    tmp_path: Path, sample_bills_dir: Path, capsys, monkeypatch
) -> None:
    # A disk that fills up while the report is written: the series, staged first, is not committed.
    import errno

    write_text = Path.write_text

    def full_disk(self: Path, *args, **kwargs) -> int:
        if "rep.json" in self.name:  # the report's staged copy
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_text(self, *args, **kwargs)

    out = tmp_path / "series.parquet"
    out.write_bytes(b"previous output")
    monkeypatch.setattr(Path, "write_text", full_disk)
    argv = ["prepare", str(sample_bills_dir / "cur_legacy.csv.gz"), "-o", str(out)]
    err = _cli_error([*argv, "--report", str(tmp_path / "rep.json")], capsys)
    assert "No space left on device; free disk space" in err
    assert out.read_bytes() == b"previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["series.parquet"]


def test_dims_typo_suggests_the_dimension(sample_bills_dir: Path, tmp_path: Path, capsys) -> None:
    # `--dims servce` was "missing column 'servce', needed for dimension 'servce'", with no suggestion.
    bill = sample_bills_dir / "cur_legacy.csv.gz"
    out = tmp_path / "s.parquet"
    err = _cli_error(["prepare", str(bill), "-o", str(out), "--dims", "servce,account"], capsys)
    assert err.startswith(f"forecast prepare: error: {bill}: unknown dimension 'servce' (no dimension of ")
    assert "Did you mean 'service'? Fix: --dims service,account. Known dimensions: service, account," in err
    assert not out.exists()
    with pytest.raises(DataError, match=r"Did you mean 'service' for 'serivce', 'account' for 'acount'\? "
                       r"Fix: dims='service,account,region'\."):  # fmt: skip
        prepare_series(sample_bills_dir / "cur2", dims="serivce,acount,region")


def test_dims_names_a_tag_key_or_says_there_is_no_match(
    sample_bills_dir: Path, tmp_path: Path, capsys
) -> None:
    bill = sample_bills_dir / "cur_legacy.csv.gz"
    with pytest.raises(
        DataError, match=r"unknown dimension 'team' .*Did you mean 'tag:team'\? Fix: dims='tag:team'"
    ):
        prepare_series(bill, dims="team")
    with pytest.raises(
        DataError, match=r"unknown dimension 'zzqx' .*\. Fix: correct dims=\. Known dimensions"
    ):
        prepare_series(bill, dims="zzqx")
    # A real column name is still a dimension.
    assert prepare_series(bill, dims="lineItem/UsageAccountId").series["unique_id"].nunique() >= 1


def test_measure_typo_suggests_the_measure(sample_bills_dir: Path) -> None:
    expected = r"unknown measure 'amortised'\. Did you mean 'amortized'\? Fix: use one"
    with pytest.raises(DataError, match=expected):
        prepare_series(sample_bills_dir / "cur_legacy.csv.gz", measure="amortised")
    with pytest.raises(DataError, match=r"measure 'AMORTISED'\. Did you mean 'amortized'\? Fix: use one"):
        check_measure("AMORTISED")
    with pytest.raises(DataError, match=r"unknown measure 'zzqx'\. Fix: use one of unblended, "):
        check_measure("zzqx")


def test_gzip_truncated_past_the_sniffed_start_is_named_by_the_scan(tmp_path: Path, capsys) -> None:
    import duckdb

    from forecasting.billing.files import find_export_files
    from forecasting.billing.schema import read_schemas

    # The reader sniffs the first 20,480 rows; a cut beyond them fails in the scan, not the schema read.
    text = gzip.decompress((REAL / "aws_cur_legacy_anonymized_sample_2023-11.csv.gz").read_bytes()).decode()
    header, *rows = text.splitlines(keepends=True)
    whole = gzip.compress((header + "".join(rows * 40)).encode(), compresslevel=1)
    path = tmp_path / "big.csv.gz"
    path.write_bytes(whole[: int(len(whole) * 0.9)])
    con = duckdb.connect()
    assert read_schemas(con, find_export_files(path))  # the schema read does not notice the cut
    err = _cli_error(["prepare", str(path), "-o", str(tmp_path / "o.parquet")], capsys)
    assert err.startswith(f"forecast prepare: error: {path}: damaged gzip: the file is truncated")
    assert "Unexpected end of GZIP" not in err


def test_utf16_series_file_names_the_encoding_not_latin1(tmp_path: Path) -> None:
    # A series file (not a billing export) in UTF-16 was told to convert from latin1.
    from forecasting.series_io import read_series_table

    path = tmp_path / "series.csv"
    path.write_bytes("unique_id,ds,y\na,2024-01-01,1\n".encode("utf-16"))
    with pytest.raises(DataError, match=r"UTF-16 text .*`iconv -f UTF-16 -t UTF-8 ") as err:
        read_series_table(path)
    assert "latin1" not in str(err.value)
