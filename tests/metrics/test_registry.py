"""The package surface: every metric is registered, named by its direction and documented with an example."""

import inspect

import pytest

import metrics
from metrics import LOWER_IS_BETTER, METRICS, greater_is_better


def test_registry_names_are_the_function_names_and_carry_a_direction() -> None:
    for name, func in METRICS.items():
        assert func.__name__ == name
        assert name.endswith(("_loss", "_error", "_score", "_at_k")), name
        assert getattr(metrics, name) is func


@pytest.mark.parametrize(
    ("name", "higher"),
    [
        ("wql_loss", False), ("pinball_loss", False), ("wape_error", False), ("mase_error", False),
        ("interval_width_loss", False), ("ndcg_at_k", True), ("mrr_at_k", True), ("coverage_score", True),
        ("catalog_coverage_score", True), ("wql_p10", False), ("mean_wql", False), ("wape", False),
        ("rmse", False), ("mase", False), ("mape", False), ("smape", False), ("interval_width", False),
        ("coverage", True), ("precision_at_k", True), ("hit_rate_at_k", True),
    ],
)  # fmt: skip
def test_greater_is_better(name: str, higher: bool) -> None:
    assert greater_is_better(name) is higher
    if not name.startswith("wql_p"):  # per-quantile columns are open-ended, so only the rule knows them
        assert (name in LOWER_IS_BETTER) is (not higher)


def test_every_lower_is_better_name_agrees_with_greater_is_better() -> None:
    assert all(not greater_is_better(name) for name in LOWER_IS_BETTER)
    assert {n for n in METRICS if not greater_is_better(n)} <= LOWER_IS_BETTER


def test_unknown_names_have_no_direction() -> None:
    with pytest.raises(ValueError, match=r"'n_targets' has no known direction"):
        greater_is_better("n_targets")


@pytest.mark.parametrize("name", [n for n in metrics.__all__ if inspect.isfunction(getattr(metrics, n))])
def test_public_functions_have_google_docstrings_with_an_example(name: str) -> None:
    doc = inspect.getdoc(getattr(metrics, name)) or ""
    assert "Args:" in doc, name
    assert "Returns:" in doc, name
    assert ">>> " in doc, name
