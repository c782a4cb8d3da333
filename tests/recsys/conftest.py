"""Shared fixtures: a small seeded job board, its datasets and models fitted once per session."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from recsys.dataset import Dataset
from recsys.interactions import DEFAULT_WEIGHTS, aggregate_events, read_events
from recsys.metadata import prepare_metadata
from recsys.models import MODELS, Recommender
from recsys.split import Split, temporal_split
from recsys.synthetic import JobBoard, JobBoardConfig, generate_job_board

# Small enough to fit every model in seconds, large enough for the hybrid to train its ranker.
BOARD = JobBoardConfig(n_users=900, n_jobs=400, n_days=60, seed=11)
# Parameters that make every model exactly reproducible (BPR's SGD is only deterministic on one thread).
PARAMS: dict[str, dict] = {"bpr": {"num_threads": 1, "iterations": 30}, "hybrid": {"n_estimators": 60}}


@pytest.fixture(scope="session")
def board() -> JobBoard:
    return generate_job_board(BOARD)


@pytest.fixture(scope="session")
def events(board: JobBoard) -> pd.DataFrame:
    return read_events(board.events)


@pytest.fixture(scope="session")
def users(board: JobBoard) -> pd.DataFrame:
    return prepare_metadata(board.users, id_col="user_id", canonical="user_id", where="users")


@pytest.fixture(scope="session")
def items(board: JobBoard) -> pd.DataFrame:
    return prepare_metadata(board.jobs, id_col="item_id", canonical="item_id", where="jobs")


@pytest.fixture(scope="session")
def dataset(events: pd.DataFrame, users: pd.DataFrame, items: pd.DataFrame) -> Dataset:
    return Dataset(aggregate_events(events), users, items, DEFAULT_WEIGHTS)


@pytest.fixture(scope="session")
def temporal(events: pd.DataFrame) -> Split:
    return temporal_split(events, target_fraction=0.15)


@pytest.fixture(scope="session")
def temporal_dataset(temporal: Split, users: pd.DataFrame, items: pd.DataFrame) -> Dataset:
    # Jobs posted after the cut are unknown at training time: they arrive with the current catalog.
    known = items[items["posted_at"] < temporal.cutoff]
    return Dataset(aggregate_events(temporal.train), users, known, DEFAULT_WEIGHTS)


def make(name: str) -> Recommender:
    return MODELS[name](**PARAMS.get(name, {}))


@pytest.fixture(scope="session")
def new_model() -> Callable[[str], Recommender]:
    """Build an unfitted model of the registry with the test parameters."""
    return make


@pytest.fixture(scope="session")
def fitted(dataset: Dataset) -> dict[str, Recommender]:
    return {name: make(name).fit(dataset) for name in MODELS}


@pytest.fixture(scope="session")
def fitted_temporal(temporal_dataset: Dataset) -> dict[str, Recommender]:
    return {name: make(name).fit(temporal_dataset) for name in ("popularity", "als", "content", "hybrid")}
