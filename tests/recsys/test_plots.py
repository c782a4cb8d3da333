"""The lift chart draws exactly the lifts and intervals of the evaluation table, against popularity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from recsys.errors import DataError
from recsys.plots import lift_chart, lift_rows, metric_label


@pytest.fixture
def table() -> pd.DataFrame:
    """An evaluation table at two list lengths; popularity scores zero on new items (no ratio there)."""
    rows = []
    for k, scale in ((5, 1.0), (10, 2.0)):
        for segment, lifts in (("all", (1.5, 0.9)), ("new_items", (np.nan, np.nan))):
            rows.append({"segment": segment, "k": k, "model": "popularity", "ndcg_at_k_lift": np.nan})
            for model, lift in zip(("hybrid", "als"), lifts, strict=True):
                rows.append(
                    {
                        "segment": segment,
                        "k": k,
                        "model": model,
                        "ndcg_at_k_lift": lift * scale,
                        "ndcg_at_k_lift_low": lift * scale - 0.4,
                        "ndcg_at_k_lift_high": lift * scale + 0.3,
                        "coverage_lift": 3.0,
                    }
                )
    return pd.DataFrame(rows)


def test_lift_rows_pick_one_k_and_skip_the_baseline_and_missing_ratios(table: pd.DataFrame) -> None:
    rows = lift_rows(table)
    assert rows[["segment", "model"]].values.tolist() == [["all", "hybrid"], ["all", "als"]]
    assert rows["lift"].tolist() == pytest.approx([1.5, 0.9])  # the smallest k by default
    assert rows["low"].tolist() == pytest.approx([1.1, 0.5])
    assert rows["high"].tolist() == pytest.approx([1.8, 1.2])
    assert lift_rows(table, k=10)["lift"].tolist() == pytest.approx([3.0, 1.8])
    coverage = lift_rows(table, "coverage", k=10)
    assert (coverage["low"] == coverage["lift"]).all()  # no interval: it collapses on the ratio
    with pytest.raises(DataError, match="no lift of 'map_at_k'; it has lifts of ndcg_at_k, coverage"):
        lift_rows(table, "map_at_k")


def test_lift_chart_bars_are_the_lifts_with_their_intervals(table: pd.DataFrame) -> None:
    fig = lift_chart(table, "ndcg_at_k", k=5)
    ax = fig.axes[0]
    assert [p.get_width() for p in ax.patches] == pytest.approx([1.5, 0.9])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["all · hybrid", "all · als"]
    # Only a lift whose whole interval lies above x1 is drawn as a win.
    green, grey = ax.patches[0].get_facecolor(), ax.patches[1].get_facecolor()
    assert green != grey
    assert ax.get_title().startswith("Lift of NDCG@5 over popularity")
    assert "ratio" in ax.get_xlabel()
    caps = ax.containers[0].lines[2][0].get_segments()
    assert [seg[0][0] for seg in caps] == pytest.approx([1.1, 0.5])  # the error bars' left ends
    assert [seg[1][0] for seg in caps] == pytest.approx([1.8, 1.2])
    assert any(line.get_xdata()[0] == 1.0 for line in ax.get_lines())  # the baseline mark
    assert [t.get_text() for t in ax.texts] == ["x1.50", "x0.90"]


def test_lift_chart_on_given_axes_and_without_rows(table: pd.DataFrame) -> None:
    fig = Figure()
    ax = fig.add_subplot()
    assert lift_chart(table, ax=ax) is fig
    with pytest.raises(DataError, match="no model has a lift"):
        lift_chart(table[table["segment"] == "new_items"])


def test_metric_label() -> None:
    assert metric_label("precision_at_k", 25) == "PRECISION@25"
    assert metric_label("recall_at_k") == "RECALL@k"
