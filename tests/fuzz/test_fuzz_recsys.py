"""Fuzz the interaction, user and item readers: canonical frames, or a recsys DataError naming the fix."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recsys.errors import DataError, DataWarning
from recsys.inputs import load_inputs
from recsys.interactions import EventColumns, read_events
from recsys.metadata import infer_kinds, read_metadata

KINDS = ("csv", "parquet")
EVENTS = ("view", "click", "apply")


@st.composite
def event_logs(draw: st.DrawFn, fz: SimpleNamespace) -> pd.DataFrame:
    """Valid logs: text ids (leading zeros, unicode), known event types, ISO or epoch timestamps."""
    n = draw(st.integers(1, 25))
    ids = fz.IDS.filter(lambda s: s.strip() == s and s not in ("", "NULL", "null") and "\r" not in s)
    users = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
    items = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
    times = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        draw(st.lists(st.integers(0, 10**7), min_size=n, max_size=n)), unit="s"
    )
    return pd.DataFrame({
        "user_id": draw(st.lists(st.sampled_from(users), min_size=n, max_size=n)),
        "item_id": draw(st.lists(st.sampled_from(items), min_size=n, max_size=n)),
        "event_type": draw(st.lists(st.sampled_from(EVENTS), min_size=n, max_size=n)),
        "timestamp": times.strftime("%Y-%m-%d %H:%M:%S"),
    })  # fmt: skip


def _file(frame: pd.DataFrame, folder: Path, kind: str, fz: SimpleNamespace, name: str = "events") -> Path:
    path = folder / f"{name}.{kind}"
    path.write_bytes(fz.to_bytes(frame, kind))
    return path


def _quiet(call):  # type: ignore[no-untyped-def]
    def run():  # type: ignore[no-untyped-def]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)  # duplicate metadata ids: handled, then reported
            return call()

    return run


def test_fuzz_events_valid_round_trip(fz: SimpleNamespace) -> None:
    @given(data=st.data(), kind=st.sampled_from(KINDS))
    def prop(data: st.DataObject, kind: str) -> None:
        log = data.draw(event_logs(fz))
        with tempfile.TemporaryDirectory() as d:
            events = read_events(_file(log, Path(d), kind, fz))
        assert events["user_id"].tolist() == log["user_id"].tolist()
        assert events["item_id"].tolist() == log["item_id"].tolist()
        weights = log["event_type"].map({"view": 1.0, "click": 2.0, "apply": 5.0})
        assert events["weight"].sum() == weights.sum()

    prop()


def test_fuzz_events_malformed_cells(fz: SimpleNamespace) -> None:
    @given(data=st.data(), kind=st.sampled_from(KINDS))
    def prop(data: st.DataObject, kind: str) -> None:
        log = data.draw(event_logs(fz))
        column = data.draw(st.sampled_from(list(log.columns)))
        values = log[column].astype(object).to_list()
        for r in data.draw(st.lists(st.integers(0, len(log) - 1), min_size=1, max_size=3)):
            cell = data.draw(fz.CELLS)
            values[r] = None if cell is None else str(cell)
        log[column] = values
        with tempfile.TemporaryDirectory() as d:
            path = _file(log, Path(d), kind, fz)
            fz.check_reader(_quiet(lambda: read_events(path)), DataError, (column, str(path)))

    prop()


def test_fuzz_events_columns_and_options(fz: SimpleNamespace) -> None:
    """Missing, renamed and duplicated columns; numbers or bools where text is expected; odd options."""

    @given(data=st.data(), kind=st.sampled_from(KINDS))
    def prop(data: st.DataObject, kind: str) -> None:
        log = data.draw(event_logs(fz))
        column = data.draw(st.sampled_from(list(log.columns)))
        how = data.draw(st.sampled_from(["drop", "rename", "duplicate", "numbers", "bools", "value"]))
        cols = EventColumns()
        if how == "drop":
            log = log.drop(columns=column)
        elif how == "rename":
            log = log.rename(columns={column: data.draw(fz.TEXT)})
        elif how == "duplicate":
            log = pd.concat([log, log[[column]]], axis=1)
        elif how == "numbers":
            log[column] = data.draw(st.lists(fz.FLOATS, min_size=len(log), max_size=len(log)))
        elif how == "bools":
            log[column] = [i % 2 == 0 for i in range(len(log))]
        else:
            log["rating"] = [str(data.draw(fz.CELLS)) for _ in range(len(log))]
            cols = EventColumns(value="rating", min_value=data.draw(fz.FLOATS))
        if how == "duplicate" and kind == "parquet":
            return  # Parquet cannot hold two columns of one name
        with tempfile.TemporaryDirectory() as d:
            path = _file(log, Path(d), kind, fz)
            fz.check_reader(_quiet(lambda: read_events(path, columns=cols)), DataError)

    prop()


def test_fuzz_metadata_any_cells(fz: SimpleNamespace) -> None:
    """User/item metadata with any cells in any column: typed features, or a DataError."""

    @given(data=st.data(), kind=st.sampled_from(KINDS))
    def prop(data: st.DataObject, kind: str) -> None:
        n = data.draw(st.integers(1, 12))
        names = data.draw(st.lists(fz.TEXT.filter(lambda s: s.strip() == s and s != ""), max_size=4,
                                   unique=True))  # fmt: skip
        frame = pd.DataFrame({"item_id": [str(data.draw(fz.IDS)) for _ in range(n)]})
        for name in names:
            if name != "item_id":
                cells = data.draw(st.lists(fz.CELLS, min_size=n, max_size=n))
                frame[name] = [None if c is None else str(c) for c in cells]
        with tempfile.TemporaryDirectory() as d:
            path = _file(frame, Path(d), kind, fz, "items")
            meta = fz.check_reader(
                _quiet(lambda: read_metadata(path, id_col="item_id", canonical="item_id")), DataError
            )
        if meta is not None:
            assert meta["item_id"].is_unique
            kinds = infer_kinds(meta, "item_id")
            assert set(kinds.text + kinds.categorical + kinds.date + kinds.numeric) <= set(meta.columns)

    prop()


def test_far_future_dates_are_clipped_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("item_id,expires_at\na,9999-12-31\nb,2024-05-01\n", encoding="utf-8")
    with pytest.warns(DataWarning, match="clipped"):
        meta = read_metadata(path, id_col="item_id", canonical="item_id")
    assert meta["expires_at"].tolist() == [pd.Timestamp("2262-04-11 23:47:16"), pd.Timestamp("2024-05-01")]


def test_fuzz_damaged_input_files(fz: SimpleNamespace) -> None:
    """Truncated, bit-flipped, re-encoded, padded or empty logs and metadata through ``load_inputs``."""

    @given(data=st.data(), kind=st.sampled_from(KINDS), which=st.sampled_from(["events", "users"]))
    def prop(data: st.DataObject, kind: str, which: str) -> None:
        log = data.draw(event_logs(fz))
        users = pd.DataFrame({"user_id": log["user_id"].unique(), "city": "Paris"})
        with tempfile.TemporaryDirectory() as d:
            events_path = _file(log, Path(d), kind, fz)
            users_path = _file(users, Path(d), kind, fz, "users")
            target = events_path if which == "events" else users_path
            target.write_bytes(data.draw(fz.damaged(target.read_bytes())))
            fz.check_reader(
                _quiet(lambda: load_inputs(events_path, users=users_path)),
                DataError,
                (str(events_path), str(users_path)),
            )

    prop()
