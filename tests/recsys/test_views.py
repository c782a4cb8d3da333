"""Side-by-side views and the blinded annotation sheet, on the seeded job board."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from recsys.annotation import (
    BLIND_COLUMNS,
    annotation_sheet,
    blind_sheet,
    key_path,
    sample_users,
    score_annotations,
    write_annotation,
)
from recsys.dataset import Dataset
from recsys.errors import DataError
from recsys.filters import Filters
from recsys.models import Recommender
from recsys.views import extend_catalog, item_reach, recommendations_table, user_history, user_view


@pytest.fixture(scope="module")
def models(dataset: Dataset, new_model: Callable[[str], Recommender]) -> dict[str, Recommender]:
    return {name: new_model(name).fit(dataset) for name in ("popularity", "content")}


@pytest.fixture(scope="module")
def user(models: dict[str, Recommender]) -> str:
    ctx = models["content"].context_
    return next(u for u in sample_users(ctx, 50, seed=1) if ctx.user_counts[ctx.users.rows([u])[0]] >= 3)


def test_recommendations_table_matches_each_models_list(models, user) -> None:
    table = recommendations_table(models, user, k=5)
    assert table.columns.tolist() == ["popularity", "content"]
    assert table.index.tolist() == [1, 2, 3, 4, 5]
    for name, model in models.items():
        recs = model.recommend([user], k=5)
        ctx = model.context_
        titles = ctx.item_meta.iloc[ctx.items.rows(recs["item_id"])]["title"].tolist()
        assert all(text.startswith(title) for text, title in zip(table[name], titles, strict=True))


def test_recommendations_table_with_columns_for_a_cold_user(models, items) -> None:
    profile = pd.DataFrame([{"user_id": "nobody", "occupation": "Registered Nurse", "state": "TX"}])
    table = recommendations_table(
        models, "nobody", k=4, columns=["title", "state"], users=profile, items=items
    )
    assert table.columns.tolist() == [(m, c) for m in models for c in ("title", "state")]
    recs = models["content"].recommend(["nobody"], k=4, users=profile, items=items)
    expected = items.set_index("item_id").loc[recs["item_id"], "title"].tolist()
    assert table[("content", "title")].tolist() == expected
    with pytest.raises(DataError, match=r"lacks columns \['salary'\]"):
        recommendations_table(models, "nobody", columns=["salary"], users=profile, items=items)


def test_user_history_is_latest_first(models, user) -> None:
    history = user_history(models["content"], user, n=3)
    assert len(history) == 3
    assert history["last_seen"].is_monotonic_decreasing
    ctx = models["content"].context_
    row = ctx.users.rows([user])[0]
    latest = pd.to_datetime(ctx.times[row].data.max(), unit="s")
    assert history["last_seen"].iloc[0] == latest
    assert user_history(models["content"], "nobody").empty


def test_user_view_puts_profile_history_and_lists_side_by_side(models, user) -> None:
    view = user_view(models, user, k=3, history=2, filters=Filters())
    assert view.profile.name is not None
    assert len(view.history) == 2
    assert view.recommendations.shape == (3, 2)
    page = view._repr_html_()
    assert page.count("<table") == 3
    assert "display: flex" in page
    assert user in str(view)


def test_extend_catalog_and_reach(models, items, users) -> None:
    new = {"item_id": "fresh", "title": "SOC Analyst", "posted_at": "2024-04-29", "expires_at": "2024-06-30"}
    catalog = extend_catalog(items, new)
    assert len(catalog) == len(items) + 1
    assert catalog["posted_at"].dtype == items["posted_at"].dtype
    assert catalog["posted_at"].iloc[-1] == pd.Timestamp("2024-04-29")
    with pytest.raises(DataError, match="already in the catalog"):
        extend_catalog(items, {"item_id": items["item_id"].iloc[0]})
    recs = pd.DataFrame(
        {"user_id": ["u1", "u2", "u3"], "rank": [3, 1, 1], "item_id": "fresh", "score": [0.9, 0.2, 0.5]}
    )
    profiles = pd.DataFrame({"user_id": ["u1", "u2", "u3"], "state": ["VA", "TX", "OH"], "x": 1})
    reach = item_reach(recs, "fresh", users=profiles, columns=["state"])
    assert reach["user_id"].tolist() == ["u3", "u2", "u1"]
    assert reach.columns.tolist() == ["user_id", "rank", "score", "state"]


def test_blinded_sheet_scores_like_the_open_one(models, tmp_path) -> None:
    sheet = annotation_sheet(models, n_users=5, k=4, seed=2)
    blinded, key = blind_sheet(sheet, seed=3)
    assert blinded.columns.tolist() == list(BLIND_COLUMNS)
    assert not {"model", "rank", "score", "source"} & set(blinded.columns)
    assert blinded["key"].is_unique
    assert len(blinded) == len(sheet.drop_duplicates(["user_id", "item_id"]))
    assert len(key) == len(sheet)
    # Judge content's picks right and the rest wrong, through the blinded sheet and through the open one.
    content = set(
        zip(
            sheet.loc[sheet["model"] == "content", "user_id"],
            sheet.loc[sheet["model"] == "content", "item_id"],
            strict=True,
        )
    )
    blinded["correct"] = [
        int((u, i) in content) for u, i in zip(blinded["user_id"], blinded["item_id"], strict=True)
    ]
    sheet["correct"] = [
        int((u, i) in content) for u, i in zip(sheet["user_id"], sheet["item_id"], strict=True)
    ]
    open_score = score_annotations(sheet, n_boot=50).set_index("model")
    blind_score = score_annotations(blinded, key=key, n_boot=50).set_index("model")
    assert blind_score.loc["content", "precision"] == 1.0
    assert blind_score["precision"].to_dict() == pytest.approx(open_score["precision"].to_dict())
    assert blind_score["labelled"].to_dict() == open_score["labelled"].to_dict()

    paths = write_annotation(sheet, tmp_path / "a.csv", seed=3)
    assert paths == [tmp_path / "a.csv", key_path(tmp_path / "a.csv")]
    assert "model" not in pd.read_csv(paths[0]).columns
    with pytest.raises(DataError, match="keys missing from the key file"):
        score_annotations(blinded.assign(key="R999"), key=key)
    with pytest.raises(DataError, match="scored with its key file"):
        score_annotations(blinded)


def test_cli_scores_a_blinded_sheet_with_its_key(models, tmp_path, capsys) -> None:
    from recsys.cli import main
    from recsys.store import save_model

    folder = tmp_path / "content"
    save_model(models["content"], folder)
    out = tmp_path / "sheet.csv"
    assert main(["annotate", str(folder), "--users", "3", "--k", "2", "--blind", "-o", str(out)]) == 0
    assert "models hidden" in capsys.readouterr().out
    sheet = pd.read_csv(out)
    assert "model" not in sheet.columns
    sheet["correct"] = 1
    sheet.to_csv(out, index=False)
    assert main(["annotate", "--score", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.split()[:2] == ["content", "3"] for line in lines)
    key_path(out).unlink()
    assert main(["annotate", "--score", str(out)]) == 2
    assert "pass --key KEY_FILE" in capsys.readouterr().err
