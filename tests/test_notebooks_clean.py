"""The notebooks are committed thin and clean: no outputs, a papermill parameters cell, no own code."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
EXPECTED = ("01_explore_costs.ipynb", "02_forecast_costs.ipynb", "03_recommend_jobs.ipynb")
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
# Everything a notebook computes comes from the project's packages; the rest is display.
ALLOWED_IMPORTS = {
    "costrec",
    "forecasting",
    "recsys",
    "metrics",
    "pandas",
    "matplotlib",
    "ipywidgets",
    "IPython",
    "pathlib",
    "functools",
}
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
# Aggregations and figure building belong in the packages (forecasting.explore, forecasting.plots,
# recsys.plots, recsys.views), where they are typed, documented and tested; a cell calls them.
COMPUTING_CALLS = {
    "groupby",
    "pivot",
    "pivot_table",
    "resample",
    "rolling",
    "agg",
    "aggregate",
    "merge",
    "concat",
    "subplots",
    "add_subplot",
    "plot",
    "bar",
    "barh",
    "scatter",
}


def _code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def _parse(cell: nbformat.NotebookNode) -> ast.Module:
    # IPython turns magics (``%matplotlib inline``) into plain calls before running a cell; so do we.
    return ast.parse(TransformerManager().transform_cell(cell.source))


@pytest.fixture(params=NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def notebook(request: pytest.FixtureRequest) -> nbformat.NotebookNode:
    nb = nbformat.read(request.param, as_version=4)
    nbformat.validate(nb)
    return nb


def test_the_three_notebooks_exist() -> None:
    """The app's front door: exploration, forecasting and recommendations."""
    assert {path.name for path in NOTEBOOKS} >= set(EXPECTED)


def test_committed_without_outputs(notebook: nbformat.NotebookNode) -> None:
    """Outputs, execution counts and saved widget state are stripped before commit."""
    for cell in _code_cells(notebook):
        assert cell.outputs == [], f"cell with outputs: {cell.source[:80]!r}"
        assert cell.execution_count is None, f"cell with an execution count: {cell.source[:80]!r}"
    assert "widgets" not in notebook.metadata, "saved ipywidgets state in the notebook metadata"


def test_runs_on_the_project_kernel(notebook: nbformat.NotebookNode) -> None:
    """The kernelspec names the default python3 kernel, which is the project's virtualenv."""
    assert notebook.metadata["kernelspec"]["name"] == "python3"


def test_has_one_papermill_parameters_cell_of_plain_assignments(notebook: nbformat.NotebookNode) -> None:
    """Exactly one code cell is tagged ``parameters`` and holds only ``NAME = literal`` assignments."""
    tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"expected one cell tagged 'parameters', found {len(tagged)}"
    assert tagged[0].cell_type == "code"
    statements = _parse(tagged[0]).body
    assert statements, "the parameters cell is empty"
    for statement in statements:
        assert isinstance(statement, ast.Assign | ast.AnnAssign), ast.unparse(statement)
        assert statement.value is not None
        ast.literal_eval(statement.value)  # papermill injects literals; anything else would be logic


def test_is_thin(notebook: nbformat.NotebookNode) -> None:
    """No function, class or lambda is defined; imports come only from the packages and display libraries."""
    for cell in _code_cells(notebook):
        for node in ast.walk(_parse(cell)):
            assert not isinstance(node, DEFINITIONS), f"definition in a cell: {ast.unparse(node)[:60]}"
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots <= ALLOWED_IMPORTS, f"import outside the allowed packages: {ast.unparse(node)}"


def test_cells_call_the_packages_for_aggregations_and_charts(notebook: nbformat.NotebookNode) -> None:
    """No group-by, pivot, join or hand-built figure in a cell: those are package functions."""
    for cell in _code_cells(notebook):
        for node in ast.walk(_parse(cell)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                shown = ast.unparse(node)[:80]
                assert node.func.attr not in COMPUTING_CALLS, f"computation in a cell: {shown}"


def test_computation_check_catches_an_inline_aggregation() -> None:
    """A pivot table built in a cell is caught."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('daily = costs.pivot_table(index="ds", values="y")\ndaily.head()')]
    with pytest.raises(AssertionError, match="computation in a cell"):
        test_cells_call_the_packages_for_aggregations_and_charts(nb)


def test_is_thin_rejects_a_definition() -> None:
    """The thinness check catches a function hidden in an otherwise plain cell."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1\nfor i in range(2):\n    f = lambda v: v\n")]
    with pytest.raises(AssertionError, match="definition in a cell"):
        test_is_thin(nb)
