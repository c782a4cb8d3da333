"""Notebook widgets shared by both applications: choice lists, and controls that drive a table and a chart."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["LinkedViews", "choice"]


def choice(description: str, values: Iterable[Any], *, everything: str = "all") -> widgets.Dropdown:
    """A dropdown of the distinct ``values`` (as text, sorted) after a first entry whose value is None.

    None is what the packages' filters read as "no filter" (``lookup(run, service=None)``), so the first
    entry, labelled ``everything``, selects every value.

    Example:
        >>> box = choice("Service", ["S3", "EC2", "S3", None])
        >>> box.options, box.value
        ((('all', None), ('EC2', 'EC2'), ('S3', 'S3')), None)
    """
    distinct = sorted({str(v) for v in values if v is not None and not pd.isna(v)})
    options = [(everything, None), *((v, v) for v in distinct)]
    return widgets.Dropdown(description=description, options=options, value=None)


def _table_output(frame: pd.DataFrame) -> dict[str, Any]:
    # Built by hand rather than through IPython's display machinery, so the views work (and are tested)
    # without a running kernel; the frontend renders the bundle exactly like a cell's display output.
    max_rows = pd.get_option("display.max_rows")
    data = {"text/html": frame.to_html(max_rows=max_rows), "text/plain": frame.to_string(max_rows=max_rows)}
    return {"output_type": "display_data", "data": data, "metadata": {}}


def _figure_output(figure: Figure) -> dict[str, Any]:
    # Rendered to PNG here: a Figure made without pyplot has no inline-backend formatter otherwise.
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    data = {"image/png": png, "text/plain": repr(figure)}
    return {"output_type": "display_data", "data": data, "metadata": {}}


class LinkedViews(widgets.VBox):
    """Controls above a table and a chart, both rebuilt whenever a control changes.

    ``table(**values)`` builds the table from the controls' current values, each passed under the
    control's key in ``controls``; ``chart(frame)`` draws that table. An exception of the ``errors``
    types (by default ``ValueError``, which the packages' ``DataError`` subclasses) replaces the views
    with its message: "no series matches these filters" is an answer to show, not a crash.

    Args:
        controls: Widgets with a ``value`` (dropdowns, date pickers...), by keyword of ``table``.
        table: Builds the table from the control values.
        chart: Draws a figure from the table; None for a table only.
        errors: Exception types shown as a message.

    Attributes:
        frame: The table shown, None after an error.
        figure: The figure shown, None after an error or without ``chart``.
        message: The error shown, ``""`` when the views are current.
    """

    def __init__(
        self,
        controls: Mapping[str, widgets.ValueWidget],
        table: Callable[..., pd.DataFrame],
        chart: Callable[[pd.DataFrame], Figure] | None = None,
        *,
        errors: tuple[type[Exception], ...] = (ValueError,),
    ) -> None:
        self._status = widgets.HTML()
        self._table_out = widgets.Output()
        self._chart_out = widgets.Output()
        controls = dict(controls)
        super().__init__(
            [widgets.HBox(list(controls.values())), self._status, self._table_out, self._chart_out]
        )
        self.controls = controls
        self._table, self._chart, self._errors = table, chart, errors
        self.frame: pd.DataFrame | None = None
        self.figure: Figure | None = None
        self.message = ""
        for control in controls.values():
            control.observe(self.refresh, names="value")
        self.refresh()

    def refresh(self, change: object = None) -> None:  # noqa: ARG002 - the traitlets observer signature
        """Rebuild the table and the chart from the controls (called on every change of a value)."""
        values = {name: control.value for name, control in self.controls.items()}
        try:
            frame = self._table(**values)
            figure = self._chart(frame) if self._chart is not None else None
        except self._errors as exc:
            self.frame, self.figure, self.message = None, None, str(exc)
        else:
            self.frame, self.figure, self.message = frame, figure, ""
        self._status.value = f"<b>{html.escape(self.message)}</b>" if self.message else ""
        self._table_out.outputs = () if self.frame is None else (_table_output(self.frame),)
        self._chart_out.outputs = () if self.figure is None else (_figure_output(self.figure),)
