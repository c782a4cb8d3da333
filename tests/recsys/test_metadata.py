"""Metadata typing: any non-id column is a feature; kinds, dates and duplicate ids."""

from __future__ import annotations

import pandas as pd
import pytest

from recsys.errors import DataError, DataWarning
from recsys.metadata import date_column, infer_kinds, prepare_metadata, read_metadata


def test_job_board_columns_get_their_kinds(users, items) -> None:
    assert infer_kinds(items, "item_id").categorical == ("industry", "city", "state")
    assert set(infer_kinds(items, "item_id").text) == {"title", "company"}
    assert infer_kinds(items, "item_id").date == ("posted_at", "expires_at")
    kinds = infer_kinds(users, "user_id")
    assert set(kinds.text) == {"skills", "preferences"}  # lists of values are text, not categories
    assert {"occupation", "state", "city", "branch"} <= set(kinds.categorical)
    assert kinds.date == ("signup_date",)
    assert date_column(items, "posted") == "posted_at"
    assert date_column(items, "expires") == "expires_at"


def test_numbers_dates_blanks_and_duplicate_ids(tmp_path) -> None:
    path = tmp_path / "jobs.csv"
    path.write_text("job,salary,closes,title\n1,100,2024-05-01,Nurse\n2,,2024-05-02, \n1,120,2024-06-01,RN\n")
    with pytest.warns(DataWarning, match="1 duplicate ids"):
        meta = read_metadata(path, id_col="job", canonical="item_id")
    assert meta["item_id"].tolist() == ["2", "1"]
    assert meta["salary"].tolist()[1] == 120
    assert pd.api.types.is_datetime64_any_dtype(meta["closes"])
    assert meta["title"].isna().tolist() == [True, False]
    assert infer_kinds(meta, "item_id").numeric == ("salary",)
    assert date_column(meta, "expires") == "closes"


def test_missing_id_column_is_named() -> None:
    with pytest.raises(DataError, match="lacks the id column 'job_id'"):
        prepare_metadata(pd.DataFrame({"id": [1]}), id_col="job_id", canonical="item_id", where="jobs.csv")
