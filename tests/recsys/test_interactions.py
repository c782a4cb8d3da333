"""Reading interaction logs: configurable columns, event weights, timestamps, aggregation, bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from recsys.errors import DataError
from recsys.interactions import EventColumns, aggregate_events, parse_weights, read_events
from recsys.prune import prune


def _write(tmp_path: Path, text: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


LOG = """uid,job,kind,when
007,j1,view,2024-01-01 10:00:00
007,j1,apply,2024-01-01 10:05:00
007,j2,View,2024-01-02 09:00:00
8,j1,click,2024-01-03 00:00:00
"""


def test_configurable_columns_weights_and_duplicate_aggregation(tmp_path) -> None:
    cols = EventColumns(user="uid", item="job", time="when", event="kind")
    events = read_events(_write(tmp_path, LOG), columns=cols, weights=parse_weights("view=1,click=2,apply=5"))
    assert events["user_id"].tolist()[0] == "007"  # ids stay text: leading zeros survive
    agg = aggregate_events(events).set_index(["user_id", "item_id"])
    assert agg.loc[("007", "j1"), "weight"] == 6.0
    assert agg.loc[("007", "j1"), "event_type"] == "apply"
    assert agg.loc[("007", "j1"), "timestamp"] == pd.Timestamp("2024-01-01 10:05:00")
    assert agg.loc[("007", "j2"), "event_type"] == "view"  # event names are case-insensitive
    assert len(agg) == 3


def test_unknown_event_type_lists_allowed_ones_and_the_fix(tmp_path) -> None:
    cols = EventColumns(user="uid", item="job", time="when", event="kind")
    with pytest.raises(
        DataError, match=r"'click' \(1 rows\).*Allowed: view, apply.*--weights view=1,apply=5,click=1"
    ):
        read_events(_write(tmp_path, LOG), columns=cols, weights=parse_weights("view=1,apply=5"))


def test_zero_weight_drops_an_event_type(tmp_path) -> None:
    cols = EventColumns(user="uid", item="job", time="when", event="kind")
    events = read_events(_write(tmp_path, LOG), columns=cols, weights=parse_weights("view=0,click=2,apply=5"))
    assert sorted(events["event_type"]) == ["apply", "click"]


def test_missing_columns_name_what_exists(tmp_path) -> None:
    with pytest.raises(
        DataError, match=r"lacks column\(s\) user='user_id'.*\['uid', 'job', 'kind', 'when'\]"
    ):
        read_events(_write(tmp_path, LOG))


def test_unparseable_timestamps_show_the_rows(tmp_path) -> None:
    bad = LOG.replace("2024-01-03 00:00:00", "next tuesday")
    cols = EventColumns(user="uid", item="job", time="when", event="kind")
    with pytest.raises(DataError, match=r"1 timestamp\(s\) cannot be parsed \(row 4: 'next tuesday'\)"):
        read_events(_write(tmp_path, bad), columns=cols)


def test_epoch_seconds_value_threshold_and_no_event_column(tmp_path) -> None:
    path = _write(tmp_path, "userId,movieId,rating,timestamp\n1,10,4.5,1260759144\n1,11,2.0,1260759179\n")
    cols = EventColumns(user="userId", item="movieId", value="rating", min_value=4)
    events = read_events(path, columns=cols)
    assert events.to_dict("list") == {
        "user_id": ["1"],
        "item_id": ["10"],
        "weight": [1.0],
        "timestamp": [pd.Timestamp("2009-12-14 02:52:24")],
    }


def test_parquet_input(tmp_path) -> None:
    frame = pd.DataFrame(
        {"user_id": [1, 2], "item_id": ["a", "b"], "timestamp": pd.to_datetime(["2024-01-01"] * 2)}
    )
    frame.to_parquet(tmp_path / "events.parquet")
    events = read_events(tmp_path / "events.parquet")
    assert events["user_id"].tolist() == ["1", "2"]
    assert events["weight"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("text", ["view", "view=x", "=3", "view=-1", "view=0"])
def test_bad_weight_strings(text) -> None:
    with pytest.raises(DataError, match="view=1,click=2,apply=5"):
        parse_weights(text)


def test_pruning_reports_counts_at_each_step() -> None:
    frame = pd.DataFrame({"user_id": list("aabc"), "item_id": list("xyxz")})
    with pytest.raises(DataError, match=r"input: 4 interactions, 3 users, 3 items; round 1 users >= 3: 0"):
        prune(frame, min_user_interactions=3)
    kept, steps = prune(frame, min_item_interactions=2)
    assert kept["item_id"].tolist() == ["x", "x"]
    assert [s.rows for s in steps] == [4, 2, 2]


def test_a_weight_column_weighs_events_and_sums_per_pair(tmp_path) -> None:
    path = tmp_path / "plays.csv"
    pd.DataFrame(
        {"user_id": ["a", "a", "b", "b"], "item_id": ["x", "x", "x", "y"], "weight": [3, 4, 1, 0]}
    ).to_csv(path, index=False)
    events = read_events(path)
    pairs = aggregate_events(events)
    assert pairs[["user_id", "item_id", "weight"]].values.tolist() == [["a", "x", 7.0], ["b", "x", 1.0]]
    plays = tmp_path / "plays2.csv"
    pd.read_csv(path).rename(columns={"weight": "plays"}).to_csv(plays, index=False)
    assert read_events(plays)["weight"].tolist() == [1.0, 1.0, 1.0, 1.0]  # no weight column: one each
    named = read_events(plays, columns=EventColumns(weight="plays"))
    assert named["weight"].tolist() == [3.0, 4.0, 1.0]


@pytest.mark.parametrize("bad", ["-1", "lots"])
def test_a_bad_weight_names_the_column_row_and_flag(tmp_path, bad) -> None:
    path = tmp_path / "plays.csv"
    path.write_text(f"user_id,item_id,weight\na,x,2\nb,y,{bad}\n")
    with pytest.raises(DataError, match=rf"column 'weight' .* row 2 has '{bad}'.*--weight-col"):
        read_events(path)
