"""The runner: chunked per-series models, worker processes, failures reported per chunk."""

from __future__ import annotations

import pandas as pd
import pytest

import forecasting.runner as runner
from forecasting import DataWarning
from forecasting.forecaster import Forecaster
from forecasting.runner import Runner, chunk_frame, is_global

SETTINGS = {"quantiles": (0.1, 0.5, 0.9), "freq": "D", "season_length": 7}


def test_chunks_hold_whole_series(weekly_frame):
    parts = list(chunk_frame(weekly_frame, 3))
    assert [p["unique_id"].nunique() for p in parts] == [3, 1]
    pd.testing.assert_frame_equal(pd.concat(parts), weekly_frame)


def test_worker_processes_give_the_same_forecasts(weekly_frame):
    """Two forkserver workers, per-series chunks, identical output to the in-process run."""
    here = Forecaster(models=["naive", "seasonal_naive"], n_jobs=1).fit(weekly_frame, h=7)
    pooled = Forecaster(models=["naive", "seasonal_naive"], n_jobs=2).fit(weekly_frame, h=7)
    pd.testing.assert_frame_equal(here.predict(7), pooled.predict(7))
    pd.testing.assert_frame_equal(here.cv_, pooled.cv_)


def test_a_failing_chunk_is_reported_and_the_others_kept(weekly_frame, last_value_model, monkeypatch):
    monkeypatch.setattr(runner, "CHUNK_SIZE", 1)
    model = last_value_model(fail_on="s1")
    model.is_global = False  # run series by series, so only the chunk holding s1 fails
    with pytest.warns(DataWarning, match="failed on 1 series"):
        result = Runner(n_jobs=1).run("flaky", model, weekly_frame, 3, SETTINGS)
    assert sorted(result.forecast["unique_id"].unique()) == ["s0", "s2", "s3"]
    assert "cannot fit series containing 's1'" in result.error


def test_models_are_global_unless_they_say_otherwise(last_value_model):
    assert is_global(last_value_model())
    assert not is_global(type("Local", (), {"is_global": False})())
