"""Notebook widgets: choice lists and the controls-to-table-and-chart views, exercised without a kernel."""

from __future__ import annotations

import base64

import ipywidgets as widgets
import pandas as pd
import pytest
from matplotlib.figure import Figure

from costrec.notebook import LinkedViews, choice

COSTS = pd.DataFrame(
    {
        "service": ["EC2", "EC2", "S3", "S3"],
        "account": ["012", "345", "012", "345"],
        "y": [10.0, 20.0, 1.0, 2.0],
    }
)


def _select(service: str | None, account: str | None) -> pd.DataFrame:
    """A filter with the packages' convention: None means every value; no match is a ValueError."""
    rows = COSTS
    if service is not None:
        rows = rows[rows["service"] == service]
    if account is not None:
        rows = rows[rows["account"] == account]
    if rows.empty:
        raise ValueError(f"no rows for service {service!r} and account {account!r}")
    return rows


def _bar_chart(frame: pd.DataFrame) -> Figure:
    fig = Figure()
    fig.add_subplot().bar(frame["account"], frame["y"])
    return fig


def test_choice_lists_distinct_values_after_an_everything_entry() -> None:
    box = choice("Account", ["345", "012", None, float("nan"), "012"], everything="every account")
    assert box.options == (("every account", None), ("012", "012"), ("345", "345"))
    assert box.value is None
    assert box.description == "Account"


def test_views_start_unfiltered_and_follow_the_controls() -> None:
    service, account = choice("Service", COSTS["service"]), choice("Account", COSTS["account"])
    views = LinkedViews({"service": service, "account": account}, _select, _bar_chart)
    assert views.frame is not None
    assert views.frame["y"].sum() == 33.0
    service.value = "S3"
    assert views.frame["y"].tolist() == [1.0, 2.0]
    account.value = "345"
    assert views.frame["y"].tolist() == [2.0]
    assert isinstance(views.figure, Figure)
    assert views.message == ""


def test_views_render_an_html_table_and_a_png_chart() -> None:
    service = choice("Service", COSTS["service"])
    controls = {"service": service, "account": widgets.Dropdown(options=[None])}
    views = LinkedViews(controls, _select, _bar_chart)
    service.value = "EC2"
    (table,) = views._table_out.outputs
    assert "<table" in table["data"]["text/html"]
    assert "S3" not in table["data"]["text/html"]
    (chart,) = views._chart_out.outputs
    assert base64.b64decode(chart["data"]["image/png"]).startswith(b"\x89PNG\r\n\x1a\n")


def test_an_empty_selection_shows_the_message_instead_of_stale_views() -> None:
    service, account = choice("Service", ["EC2", "S3", "Lambda"]), choice("Account", COSTS["account"])
    views = LinkedViews({"service": service, "account": account}, _select, _bar_chart)
    service.value = "Lambda"
    assert views.frame is None
    assert views.figure is None
    assert "no rows for service 'Lambda'" in views.message
    assert "no rows for service &#x27;Lambda&#x27;" in views._status.value
    assert views._table_out.outputs == ()
    assert views._chart_out.outputs == ()
    service.value = "S3"
    assert views.message == ""
    assert views._status.value == ""
    assert len(views._table_out.outputs) == 1


def test_errors_outside_the_shown_types_propagate() -> None:
    def broken(service: str | None) -> pd.DataFrame:
        raise KeyError(service)

    with pytest.raises(KeyError):
        LinkedViews({"service": choice("Service", ["EC2"])}, broken)


def test_a_table_without_chart() -> None:
    views = LinkedViews({"service": choice("Service", ["EC2"]), "account": choice("Account", [])}, _select)
    assert views.figure is None
    assert views._chart_out.outputs == ()
    assert len(views._table_out.outputs) == 1
