"""Model directories round-trip exactly, hold no pickles, and refuse tampering or other versions."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from recsys.errors import DataError
from recsys.filters import Filters
from recsys.models import MODELS
from recsys.store import load_model, save_model


@pytest.mark.parametrize("name", sorted(MODELS))
def test_round_trip_gives_identical_recommendations(name, fitted, items, tmp_path) -> None:
    model = fitted[name]
    users = ["u00001", "u00002", "u00010", "nobody", *model.context_.users.ids[:30]]
    new_job = items.iloc[[0]].assign(item_id="brand-new", expires_at=pd.Timestamp("2030-01-01"))
    catalog = pd.concat([items, new_job], ignore_index=True)
    filters = Filters.make(as_of="2024-02-15")
    before = model.recommend(users, k=15, filters=filters, items=catalog)
    save_model(model, tmp_path / "model")
    after = load_model(tmp_path / "model").recommend(users, k=15, filters=filters, items=catalog)
    pd.testing.assert_frame_equal(before, after)


def test_directory_holds_no_pickles(fitted, tmp_path) -> None:
    save_model(fitted["hybrid"], tmp_path / "m")
    files = [p for p in (tmp_path / "m").rglob("*") if p.is_file()]
    assert {p.suffix for p in files} <= {".json", ".parquet", ".npz", ".txt"}
    for path in files:
        if path.suffix == ".npz":
            with zipfile.ZipFile(path) as z:
                assert all(n.endswith(".npy") for n in z.namelist())
            with np.load(path, allow_pickle=False) as arrays:  # raises on object arrays
                assert all(arrays[k].dtype != object for k in arrays.files)


@pytest.fixture
def saved(fitted, tmp_path):
    return save_model(fitted["als"], tmp_path / "als")


def test_tampered_file_is_refused(saved) -> None:
    target = saved / "context" / "items.parquet"
    target.write_bytes(target.read_bytes() + b"\0")
    with pytest.raises(
        DataError, match=r"modified since it was saved \(changed: \['context/items.parquet'\]"
    ):
        load_model(saved)


def test_added_or_removed_files_are_refused(saved) -> None:
    (saved / "model" / "extra.npz").write_bytes(b"x")
    with pytest.raises(DataError, match=r"unexpected: \['model/extra.npz'\]"):
        load_model(saved)
    (saved / "model" / "extra.npz").unlink()
    (saved / "model" / "implicit.npz").unlink()
    with pytest.raises(DataError, match=r"missing: \['model/implicit.npz'\]"):
        load_model(saved)


def test_other_version_is_refused(saved) -> None:
    manifest = json.loads((saved / "manifest.json").read_text())
    manifest["costrec_version"] = "0.0.1"
    (saved / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="written by costrec 0.0.1.*Retrain"):
        load_model(saved)


def test_not_a_model_directory(tmp_path) -> None:
    with pytest.raises(DataError, match="not a model directory"):
        load_model(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        load_model(tmp_path)


def test_failed_save_keeps_the_previous_model(fitted, saved, monkeypatch) -> None:
    before = (saved / "manifest.json").read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    model = fitted["als"]
    monkeypatch.setattr(model, "_save", boom)
    with pytest.raises(RuntimeError):
        save_model(model, saved)
    assert (saved / "manifest.json").read_bytes() == before
    assert load_model(saved).recommend(["u00001"], k=3)["item_id"].tolist()
