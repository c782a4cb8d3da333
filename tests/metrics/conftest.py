"""Seeded synthetic frames shared by the metric tests."""

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

ForecastFrames = tuple[pd.DataFrame, pd.DataFrame]


def _forecast_frames(
    seed: int = 0,
    n_series: int = 4,
    models: tuple[str, ...] = ("ets", "naive"),
    n_cutoffs: int = 2,
    h: int = 3,
) -> ForecastFrames:
    """A daily history per series plus backtest forecasts (p10/p50/p90/mean) for every model and cutoff."""
    rng = np.random.default_rng(seed)
    n_days = 20 + n_cutoffs * h
    days = pd.date_range("2024-01-01", periods=n_days, freq="D")
    history = []
    for i in range(n_series):
        level = rng.uniform(1, 100)
        weekly = 3 * np.sin(np.arange(n_days) * 2 * np.pi / 7)
        y = np.maximum(level + rng.normal(0, level / 5, n_days) + weekly, 0)
        history.append(pd.DataFrame({"unique_id": f"s{i}", "ds": days, "y": y.round(2)}))
    train = pd.concat(history, ignore_index=True)
    rows = []
    for c in range(n_cutoffs):
        cutoff = days[20 + c * h - 1]
        window = train[(train["ds"] > cutoff) & (train["ds"] <= cutoff + pd.Timedelta(days=h))]
        for model in models:
            mean = window["y"].to_numpy() + rng.normal(0, 5, len(window))
            spread = rng.uniform(0.5, 10, len(window))
            rows.append(
                window.assign(
                    cutoff=cutoff,
                    model=model,
                    p10=mean - spread,
                    p50=mean + rng.normal(0, 1, len(window)),
                    p90=mean + spread,
                    mean=mean,
                )
            )
    df = pd.concat(rows, ignore_index=True)
    df["p50"] = df[["p10", "p50", "p90"]].median(axis=1)
    return df, train


@pytest.fixture
def forecast_frames() -> Callable[..., ForecastFrames]:
    """Factory of (backtest forecast frame, history frame) pairs, seeded."""
    return _forecast_frames
