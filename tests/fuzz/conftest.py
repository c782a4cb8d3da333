"""Shared strategies and checks of the reader fuzz tests: every failure must be the package's DataError."""

from __future__ import annotations

import gzip
import io
import string
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from hypothesis import settings
from hypothesis import strategies as st

# Text a user's file may hold: ASCII, accents, CJK, emoji, separators, quotes and control characters.
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(list(",;\t\"'\n\r ")),
    max_size=12,
)
IDS = st.one_of(st.text(string.ascii_letters + string.digits + "-_ ", min_size=1, max_size=8), TEXT)
FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324]),
)
# Cell values of any kind: numbers, dates, junk text, missing values.
CELLS = st.one_of(
    TEXT,
    FLOATS,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.datetimes().map(str),
    st.sampled_from(["", "NULL", "nan", "NaT", "inf", "-inf", "1e999", "2024-02-30", "0000-00-00", "TRUE"]),
    st.none(),
)


def failure_text(exc: BaseException) -> str:
    """The message of an expected failure; it must be a sentence, not an empty or bare repr."""
    text = str(exc)
    assert len(text) > 20, f"unhelpful message: {text!r}"
    return text


def check_reader(call: Callable[[], Any], error: type[Exception], must_name: tuple[str, ...] = ()) -> Any:
    """Run a reader: it returns, or raises ``error`` whose message names one of ``must_name`` (if given).

    Any other exception propagates, which fails the property with the example that caused it.
    """
    try:
        return call()
    except error as exc:
        text = failure_text(exc)
        if must_name:
            assert any(n in text for n in must_name), f"message names none of {must_name}: {text}"
        return None


def to_bytes(frame: pd.DataFrame, kind: str) -> bytes:
    """A frame serialized as one of the supported file kinds (``csv``, ``csv.gz``, ``tsv``, ``parquet``)."""
    if kind == "parquet":
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        return buf.getvalue()
    text = frame.to_csv(index=False, sep="\t" if kind == "tsv" else ",")
    data = text.encode("utf-8")
    return gzip.compress(data, mtime=0) if kind.endswith(".gz") else data


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """A damaged copy of ``data``: truncated, bit-flipped, re-encoded, padded with junk, or emptied."""
    how = draw(st.sampled_from(["truncate", "flip", "latin1", "junk", "empty", "nul"]))
    if how == "truncate" and len(data) > 1:
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "flip" and data:
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if how == "latin1":
        try:
            return data.decode("utf-8").encode("latin-1", errors="replace") + "é".encode("latin-1")
        except UnicodeDecodeError:
            return data + b"\xe9\xff"
    if how == "junk":
        return data + draw(st.binary(min_size=1, max_size=64))
    if how == "nul":
        return data.replace(b",", b"\x00", 1)
    return b""


def share(fraction: float) -> settings:
    """Settings running ``fraction`` of the profile's examples: for properties whose examples are slow
    (a DuckDB scan each), so a reader's tests together run about the profile's count."""
    return settings(max_examples=max(5, int(settings.default.max_examples * fraction)))


@pytest.fixture(scope="session")
def fz() -> SimpleNamespace:
    """The strategies and checks above (test modules cannot import each other or this file)."""
    return SimpleNamespace(
        TEXT=TEXT, IDS=IDS, FLOATS=FLOATS, CELLS=CELLS, damaged=damaged, check_reader=check_reader,
        to_bytes=to_bytes, failure_text=failure_text, share=share,
    )  # fmt: skip
