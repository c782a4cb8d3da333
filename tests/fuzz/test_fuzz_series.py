"""Fuzz the series reader of ``forecast run`` with validation: a frame, or a DataError naming the fix."""

from __future__ import annotations

import gzip
import tempfile
import warnings
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecasting.errors import DataError, DataWarning
from forecasting.series_io import read_series_table
from forecasting.validation import validate_series

KINDS = ("csv", "csv.gz", "tsv", "parquet")


def _read_and_validate(path: Path, freq: str = "D") -> object:
    with warnings.catch_warnings():
        # Missing y values and varying extra columns are recoverable: warned about, then handled.
        warnings.simplefilter("ignore", DataWarning)
        frame = read_series_table(path)
        return validate_series(frame, freq=freq)


@st.composite
def series_frames(draw: st.DrawFn, fz: SimpleNamespace) -> pd.DataFrame:
    """Valid daily series: ids that must survive as text (leading zeros, unicode), finite costs."""
    n_ids = draw(st.integers(1, 4))
    ids = draw(st.lists(fz.IDS.filter(lambda s: s.strip() == s and s != "" and "\r" not in s), min_size=n_ids,
                        max_size=n_ids, unique=True))  # fmt: skip
    parts = []
    for uid in ids:
        n = draw(st.integers(1, 12))
        start = draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 1, 1)))
        y = draw(st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=n, max_size=n))
        ds = pd.date_range(start, periods=n, freq="D")
        parts.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y}))
    return pd.concat(parts, ignore_index=True)


def test_fuzz_valid_series_round_trip(fz: SimpleNamespace) -> None:
    @given(data=st.data(), kind=st.sampled_from(KINDS))
    def prop(data: st.DataObject, kind: str) -> None:
        frame = data.draw(series_frames(fz))
        frame = frame.assign(unique_id="0" + frame["unique_id"])  # a leading zero must survive text files
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / f"series.{kind}"
            path.write_bytes(fz.to_bytes(frame.assign(ds=frame["ds"].dt.strftime("%Y-%m-%d")), kind))
            out = _read_and_validate(path)
        assert sorted(set(out.df["unique_id"])) == sorted(set(frame["unique_id"]))
        assert np.isclose(out.df["y"].sum(), frame["y"].sum(), rtol=1e-9, atol=1e-6)
        assert len(out.df) - out.n_filled == len(frame)

    prop()


def test_fuzz_malformed_cells(fz: SimpleNamespace) -> None:
    """Any cell anywhere: wrong types, NaN/inf, huge numbers, unicode, empty strings, bad dates."""

    @given(data=st.data(), kind=st.sampled_from(KINDS))
    def prop(data: st.DataObject, kind: str) -> None:
        n = data.draw(st.integers(1, 8))
        cols = {c: data.draw(st.lists(fz.CELLS, min_size=n, max_size=n)) for c in ("unique_id", "ds", "y")}
        frame = pd.DataFrame({c: pd.Series(v, dtype=object).map(lambda x: x if x is None else str(x))
                              for c, v in cols.items()})  # fmt: skip
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / f"s.{kind}"
            path.write_bytes(fz.to_bytes(frame, kind))
            fz.check_reader(lambda: _read_and_validate(path), DataError, ("unique_id", "ds", "y", str(path)))

    prop()


def test_fuzz_frames_in_memory(fz: SimpleNamespace) -> None:
    """validate_series on frames of mixed Python objects, duplicated and missing columns."""

    @given(data=st.data())
    def prop(data: st.DataObject) -> None:
        n = data.draw(st.integers(0, 6))
        names = data.draw(st.lists(st.sampled_from(["unique_id", "ds", "y", "x"]), min_size=1, max_size=5))
        values = [data.draw(st.lists(fz.CELLS, min_size=n, max_size=n)) for _ in names]
        frame = pd.DataFrame(dict(enumerate(values)) if values else {}, dtype=object)
        frame.columns = names
        freq = data.draw(st.sampled_from(["D", "W", "MS", "h", "Q", "bogus", ""]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            fz.check_reader(lambda: validate_series(frame, freq=freq), DataError)

    prop()


def test_fuzz_damaged_files(fz: SimpleNamespace) -> None:
    """Truncated, bit-flipped, re-encoded, padded or empty files: read fine or a DataError, nothing else."""

    @given(data=st.data(), kind=st.sampled_from(KINDS))
    def prop(data: st.DataObject, kind: str) -> None:
        frame = data.draw(series_frames(fz))
        raw = fz.to_bytes(frame.assign(ds=frame["ds"].dt.strftime("%Y-%m-%d")), kind)
        bad = data.draw(fz.damaged(raw))
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / f"s.{kind}"
            path.write_bytes(bad)
            fz.check_reader(lambda: _read_and_validate(path), DataError, ("unique_id", "ds", "y", str(path)))

    prop()


def test_repeated_header_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("unique_id,ds,y,y\na,2024-01-01,1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="'y' appears more than once"):
        read_series_table(path)


def test_long_rows_are_not_read_as_an_index(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("unique_id,ds,y\n0,2000,01-01,0.0\n", encoding="utf-8")
    with pytest.raises(DataError, match="more fields than the header"):
        read_series_table(path)


def test_leading_zeros_and_latin1(tmp_path: Path) -> None:
    path = tmp_path / "s.csv.gz"
    path.write_bytes(gzip.compress(b"unique_id,ds,y\n012345678901,2024-01-01,1.5\n"))
    assert read_series_table(path)["unique_id"].tolist() == ["012345678901"]
    latin = tmp_path / "l.csv"
    latin.write_bytes("unique_id,ds,y\nZürich,2024-01-01,1\n".encode("latin-1"))
    with pytest.raises(DataError, match="UTF-8"):
        read_series_table(latin)


def test_out_of_range_dates_are_a_data_error() -> None:
    frame = pd.DataFrame({"unique_id": ["a"], "ds": ["0001-01-01"], "y": ["1"]})
    with pytest.raises(DataError, match="between 1677 and 2262"):
        validate_series(frame)


def test_invalid_utf8_inside_parquet_is_a_data_error(tmp_path: Path) -> None:
    # Found by the damaged-file fuzzing: a flipped byte inside a Parquet string page.
    path = tmp_path / "s.parquet"
    pd.DataFrame({"unique_id": ["a"], "ds": ["2000-01-01"], "y": [0.0]}).to_parquet(path, index=False)
    raw = path.read_bytes()
    at = raw.index(b"2000-01-01")
    path.write_bytes(raw[:at] + b"\xb2" + raw[at + 1 :])
    with pytest.raises(DataError, match="cannot be read as Parquet"):
        read_series_table(path)
